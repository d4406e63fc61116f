"""The one resource every asset uses: where the home is and the settings the metrics need."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from inbox.home import Home, icp_path
from pipelines.loading import LoadSettings
from quality.partial_export import ACCEPT_ENV, ACCEPT_TAG, accepted_keys, max_loss_share
from transforms.metrics import DEFAULT_WEEKLY_INVITATIONS
from transforms.relevance import IdealCustomerProfile
from transforms.timeline import DEFAULT_CARRY_DAYS
from warehouse.lock import open_warehouse

CARRY_ENV = "LNW_CARRY_DAYS"
STALE_INVITATION_ENV = "LNW_STALE_INVITATION_DAYS"
DEFAULT_STALE_INVITATION_DAYS = 21


def stale_invitation_days(value: str | None = None) -> int:
    """How many days an outbound invitation may wait before analytics.stale_invitations lists
    it: ``value``, else ``LNW_STALE_INVITATION_DAYS``, else 21."""
    text = value if value is not None else os.environ.get(STALE_INVITATION_ENV, "")
    if not text.strip():
        return DEFAULT_STALE_INVITATION_DAYS
    try:
        days = int(text.strip())
    except ValueError:
        days = -1
    if days < 1:
        raise ValueError(
            f"{STALE_INVITATION_ENV}={text!r} is not a whole number of days of at least 1 "
            f"(e.g. {DEFAULT_STALE_INVITATION_DAYS})"
        )
    return days


# Every asset step that opens the DuckDB file takes a slot in this pool (limit 1 in the home's
# dagster.yaml): DuckDB allows one process at a time, even for reading. A pool is held for a
# whole step, CPU work included; the load_accounts job shares the file more finely, through
# the OS lock that every connection below takes (warehouse/lock.py).
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
        return int(os.environ.get("LNW_WEEKLY_INVITATIONS", DEFAULT_WEEKLY_INVITATIONS))

    @property
    def stale_invitation_days(self) -> int:
        return stale_invitation_days()

    def load_settings(self, run_tags: dict[str, str]) -> LoadSettings:
        """How loads judge and carry observations: ``LNW_CARRY_DAYS``, ``LNW_MAX_LOSS``, and
        the partial exports accepted by the run tag `lnw/accept_partial` or
        ``LNW_ACCEPT_PARTIAL``."""
        accepted = {
            key: f"environment {ACCEPT_ENV}" for key in accepted_keys(os.environ.get(ACCEPT_ENV))
        }
        accepted |= {
            key: f"run tag {ACCEPT_TAG}" for key in accepted_keys(run_tags.get(ACCEPT_TAG))
        }
        return LoadSettings(
            carry_days=int(os.environ.get(CARRY_ENV, "") or DEFAULT_CARRY_DAYS),
            max_loss=max_loss_share(),
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
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"ICP file {path} cannot be read: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"ICP file {path} must be a YAML mapping of keys to lists")
        return IdealCustomerProfile.from_mapping(data, source=str(path)), path
