"""The project home: inbox, archive, quarantine, the warehouse and Dagster's own storage."""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import settings

DEFAULT_HOME = settings.DEFAULT_HOME
# The bundled sample profile, beside the module that reads ICP files.
SAMPLE_ICP = Path(__file__).parents[1] / "transforms" / "sample_icp.yaml"

# Dagster's instance settings for this home: runs, schedules and sensor ticks are kept in it,
# so the runs `lnw` makes show in the UI; the pool serializes writers of the DuckDB file.
# The storage is Dagster's SQLite one (the same files), keeping its connections open
# (pipelines/dagster_storage.py).
_DAGSTER_YAML = """\
# Written by lnw. Runs, event logs and schedules live beside this file.
telemetry:
  enabled: false
storage:
  custom:
    module: pipelines.dagster_storage
    class: HomeStorage
    config:
      base_dir: {base_dir}
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 4
"""
# What earlier versions wrote, replaced on first use: the same storage files, opened per event.
_EARLIER_DAGSTER_YAMLS = (
    """\
# Written by lnw. Runs, event logs and schedules live beside this file.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 4
""",
)


def _written_by_lnw(text: str) -> bool:
    """An earlier version's file, or this version's for a home since moved (its storage
    folder is an absolute path: Dagster gives a custom storage no other way to find it)."""
    ours = re.escape(_DAGSTER_YAML).replace(re.escape("{base_dir}"), ".*")
    return text in _EARLIER_DAGSTER_YAMLS or re.fullmatch(ours, text) is not None


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
        wanted = _DAGSTER_YAML.replace("{base_dir}", json.dumps(str(self.dagster.resolve())))
        current = config.read_text() if config.exists() else None
        if current is None or (current != wanted and _written_by_lnw(current)):
            config.write_text(wanted)
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
