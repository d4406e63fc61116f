"""The one resource every asset uses: where the home is and the settings the metrics need."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

import settings
from inbox.home import Home, icp_path
from pipelines.loading import LoadSettings
from quality.partial_export import ACCEPT_TAG, accepted_keys
from settings import ACCEPT_ENV, CARRY_ENV
from transforms.relevance import IdealCustomerProfile
from warehouse.lock import open_warehouse

__all__ = ["CARRY_ENV", "LnwSettings"]

# The marts' steps and checks take a slot in this pool (limit 1 in the home's dagster.yaml):
# DuckDB allows one process at a time, even for reading. A pool is held for a whole step, CPU
# work included; account loads share the file more finely, through the OS lock that every
# connection below takes (warehouse/lock.py), so that their parsing and validation overlap.
WAREHOUSE_POOL = "warehouse"


class LnwSettings(dg.ConfigurableResource):
    """Home folder, ICP file and weekly invitation budget. Unset fields are read from
    ``LNW_HOME``, ``LNW_ICP`` and ``LNW_WEEKLY_INVITATIONS`` when a run uses them, so the CLI,
    the UI and the tests can point the same definitions at different homes."""

    home: str = ""
    icp: str = ""
    weekly_invitations: int = 0

    @property
    def paths(self) -> Home:
        return Home.resolve(self.home or None).ensure()

    @property
    def invitation_budget(self) -> int:
        if self.weekly_invitations:
            return self.weekly_invitations
        return settings.weekly_invitations()

    @property
    def stale_invitation_days(self) -> int:
        return settings.stale_invitation_days()

    def load_settings(self, run_tags: dict[str, str]) -> LoadSettings:
        """How loads judge and carry observations: ``LNW_CARRY_DAYS``, ``LNW_MAX_LOSS``, and
        the partial exports accepted by the run tag `lnw/accept_partial` or
        ``LNW_ACCEPT_PARTIAL``."""
        accepted = {
            key: f"environment {ACCEPT_ENV}" for key in settings.accepted_from_environment()
        }
        accepted |= {
            key: f"run tag {ACCEPT_TAG}" for key in accepted_keys(run_tags.get(ACCEPT_TAG))
        }
        return LoadSettings(
            carry_days=settings.carry_days(),
            max_loss=settings.max_loss(),
            accepted=accepted,
        )

    @contextmanager
    def warehouse(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection, with the warehouse's OS lock held while it is open: keep the block
        to the DuckDB work, so that other processes wait as little as possible."""
        with open_warehouse(self.paths.warehouse) as con:
            yield con

    def profile(self) -> tuple[IdealCustomerProfile, Path]:
        path = icp_path(self.paths, self.icp or None)
        return settings.read_icp(path), path
