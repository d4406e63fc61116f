"""Dagster's SQLite storage for a home, with one SQLAlchemy engine and one open connection
per database file.

Dagster's SQLite storages make a new engine for every statement (a run's every event: about
230 in a small `lnw run`), open a connection on it, and close both after. Closing a WAL
database's last connection checkpoints it, so every event paid an engine, the dialect's first
connection and a checkpoint. These subclasses keep each file's engine, with a pool holding
one connection. Other processes (the webserver, the daemon, another `lnw`) share the files as
before: SQLite's WAL mode lets several processes hold connections, and an idle connection
holds no lock. Tables, files and migrations are Dagster's own.

The home's dagster.yaml names `HomeStorage` (inbox.home); a Postgres deployment
(deploy/dagster.yaml) does not use it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import (
    SqliteScheduleStorage,
)
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# Files kept open by one storage: the run and index databases, and the shards of the last few
# runs (a long-lived webserver reads many runs' shards: the least recently used is closed).
KEPT_ENGINES = 8


class _Engines:
    """Engines by connection string, each pooling one connection."""

    def __init__(self, **options) -> None:
        self._options = options
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, conn_string: str) -> Engine:
        with self._lock:
            engine = self._engines.pop(conn_string, None)
            if engine is None:
                # Threads beyond the first (Dagster's event watcher, say) get a connection of
                # their own, closed after use.
                engine = create_engine(
                    conn_string, poolclass=QueuePool, pool_size=1, max_overflow=16, **self._options
                )
            self._engines[conn_string] = engine
            while len(self._engines) > KEPT_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
            return engine

    def close(self, *, in_child: bool = False) -> None:
        if in_child:
            # A forked process must not use, nor close, its parent's SQLite connections.
            self._lock = threading.Lock()
        for engine in self._engines.values():
            engine.dispose(close=not in_child)
        self._engines.clear()


_ALL: list[_Engines] = []


def close_all() -> None:
    """Close every kept connection (each checkpoints its database): before a quick exit."""
    for engines in _ALL:
        engines.close()


os.register_at_fork(after_in_child=lambda: [e.close(in_child=True) for e in _ALL])


@contextmanager
def _begun(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


class _OneFile:
    """`connect` of a storage kept in one file (runs, schedules), on the class's engines."""

    _engines: _Engines
    _conn_string: str

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _begun(self._engines.get(self._conn_string)) as conn:
            yield conn


class HomeRunStorage(_OneFile, SqliteRunStorage):
    _engines = _Engines()


class HomeScheduleStorage(_OneFile, SqliteScheduleStorage):
    _engines = _Engines()


class HomeEventLogStorage(SqliteEventLogStorage):
    _engines = _Engines(connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's: one statement at a time per storage (its event watcher is a thread),
        # and a shard's tables made on its first use.
        with self._db_lock:
            engine = self._engines.get(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with _begun(engine) as conn:
                yield conn


class HomeStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (the same files and tables), keeping its connections open."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        # Not DagsterSqliteStorage.__init__, which would open Dagster's own three storages.
        self.base_dir = base_dir
        self._run_storage = HomeRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = HomeEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = HomeScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> HomeStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
