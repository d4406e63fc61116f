"""The project home: inbox, archive, quarantine, the warehouse and Dagster's own storage."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import settings

DEFAULT_HOME = settings.DEFAULT_HOME
# The bundled sample profile, beside the module that reads ICP files.
SAMPLE_ICP = Path(__file__).parents[1] / "transforms" / "sample_icp.yaml"

# Dagster's instance settings for this home: runs, schedules and sensor ticks are kept in it,
# so the runs `lnw` makes show in the UI; the pool serializes writers of the DuckDB file.
_DAGSTER_YAML = """\
# Written by lnw. Runs, event logs and schedules live beside this file.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 4
"""


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> Home:
        """``--home``, else ``LNW_HOME``, else ``./data``."""
        return cls(settings.home_root(home)[0])

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """The read copy for SQL clients, replaced after each successful run."""
        return self.root / "published" / "warehouse.duckdb"

    def load_lock(self, account: str) -> Path:
        """The lock one account's load holds (warehouse.lock.exclusive)."""
        return self.root / "locks" / f"{account}.lock"

    @property
    def dagster(self) -> Path:
        return self.root / "dagster"

    @property
    def icp(self) -> Path:
        return self.root / "icp.yaml"

    def ensure(self) -> Home:
        for folder in (self.inbox, self.archive, self.quarantine, self.dagster):
            folder.mkdir(parents=True, exist_ok=True)
        config = self.dagster / "dagster.yaml"
        if not config.exists():
            config.write_text(_DAGSTER_YAML)
        return self

    @property
    def email_salt(self) -> str:
        """A random salt kept beside (not inside) the warehouse, made on first use."""
        path = self.root / ".email-salt"
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16))
            path.chmod(0o600)
        return path.read_text().strip()


def icp_path(home: Home, explicit: str | os.PathLike | None = None) -> Path:
    """``--icp``, else ``LNW_ICP``, else ``<home>/icp.yaml``, else the bundled sample."""
    chosen, _ = settings.icp_choice(explicit)
    if chosen is not None:
        return chosen
    return home.icp if home.icp.exists() else SAMPLE_ICP
