"""One process at a time holds the warehouse open: an OS lock taken before DuckDB opens the
file and released after the connection closes.

DuckDB lets one process open a file for writing and turns every other process away at once
(`IO Error: Could not set lock on file`), even a read-only one; it does not wait. Processes
that share a warehouse (the steps of a multiprocess run, a run launched from the UI beside
`lnw run`) queue on this lock instead, for just the time a connection is open, so that their
CPU work (parsing, classification, validation) runs side by side.

A process that does all its work in one thread (`lnw run` in one process) may instead keep the
warehouse open for a whole block (`kept_open`): each opening and close costs DuckDB a
checkpoint, and on 5 accounts x 3 snapshots those came to 4.9 s of a 35 s run. It puts the
warehouse down whenever it would wait for another lock (`exclusive`), so that a process that
holds that lock and waits for the warehouse is never stuck behind it.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

import settings
from warehouse.database import connect, writable, writer

# Re-entrant within a process: a step that holds the warehouse may call code that opens it
# again (DuckDB shares one database instance between the connections of a process).
_HELD: dict[Path, tuple[int, int]] = {}
_THREADS = threading.RLock()
# Files this process has migrated. Migrating re-creates the views, a catalog write that makes
# the close checkpoint the file: done at every opening, it doubled the time a short read
# holds the warehouse (0.1 s to open, 0.2 s to close, measured with 25k-row snapshots).
# Kept with the file's inode: a file deleted or replaced since is migrated again.
_MIGRATED: dict[Path, int] = {}
# `kept_open` blocks: the files whose connection this process keeps, and that connection (with
# what closes it and releases the lock) while it is open, and how many blocks use it.
_KEEPING: set[Path] = set()
_KEPT: dict[Path, tuple[duckdb.DuckDBPyConnection, ExitStack]] = {}
_IN_USE: dict[Path, int] = {}
# How much write-ahead log a kept connection may gather before it is closed (checkpointed).
KEPT_WAL_LIMIT = 256 * 1024 * 1024


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def warehouse_lock(database: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold the warehouse's OS lock; waits while another process holds it, or with
    ``wait=False`` raises BlockingIOError at once.

    ``LNW_LOCK_TRACE=FILE`` appends, at each release, the process id and the seconds spent
    waiting for the lock and holding it: benchmarks/accounts.py reads it to show how much of
    a load is serialized."""
    database = Path(database).resolve()
    with _THREADS:
        fd, depth = _HELD.get(database, (-1, 0))
        if not depth:
            database.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
            asked = time.perf_counter()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BaseException:
                os.close(fd)
                raise
            got = time.perf_counter()
        _HELD[database] = (fd, depth + 1)
        try:
            yield
        finally:
            if depth:
                _HELD[database] = (fd, depth)
            else:
                del _HELD[database]
                # Closing the descriptor releases the lock, also when the process dies.
                os.close(fd)
                trace = settings.trace_file(settings.LOCK_TRACE_ENV)
                if trace:
                    with open(trace, "a") as out:
                        out.write(
                            f"{os.getpid()} {got - asked:.6f} {time.perf_counter() - got:.6f}\n"
                        )


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an OS lock on ``path`` (created if need be), waiting while another process holds
    it: one account's load at a time, whatever launched it (two `lnw run`, a run from the
    sensor beside one from the CLI). Released when the block ends or the process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # The holder may be waiting for the warehouse this process keeps open.
            _put_down_idle()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def kept_open(database: Path) -> Iterator[None]:
    """Within the block, every `open_warehouse` of ``database`` in this process gets one
    connection, opened at the first and closed (checkpointed once) at the block's end, with the
    lock held meanwhile; other processes wait for the block, as for any opening. Only for a
    process whose work on the warehouse runs in this thread: step processes it launched would
    wait for it."""
    database = Path(database).resolve()
    with _THREADS:
        _KEEPING.add(database)
    try:
        yield
    finally:
        with _THREADS:
            _KEEPING.discard(database)
            _put_down(database)


def _put_down(database: Path) -> None:
    kept = _KEPT.pop(database, None)
    if kept is not None:
        kept[1].close()


def _put_down_idle() -> None:
    with _THREADS:
        for database in [d for d in _KEPT if not _IN_USE.get(d)]:
            _put_down(database)


def _put_down_if_logged(database: Path) -> None:
    """Close the kept connection (the next block opens the file again) once its write-ahead
    log has passed `KEPT_WAL_LIMIT`. DuckDB holds what was committed since the last checkpoint
    in memory as well: a teams account's load is 67 MB of log, and 5 kept open added 330 MB
    to the run's peak; closed after each account instead, the account steps took about 1 s
    more. Checked after every block, not only between accounts, so that one account's own
    phases cannot gather more than the limit either. (A single large insert does not count
    here: DuckDB writes it straight to the file, and the 1M-follower snapshot left 6 MB of
    log; that is why `lnw run` does not keep the file open for one account.)"""
    wal = database.with_name(database.name + ".wal")
    if wal.exists() and wal.stat().st_size > KEPT_WAL_LIMIT:
        _put_down(database)


@contextmanager
def open_warehouse(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated connection to the warehouse, with the lock held while it is open (inside a
    `kept_open` block: the block's connection)."""
    database = Path(database).resolve()
    with _THREADS:
        if database not in _KEEPING:
            with ExitStack() as stack:
                yield _open(database, stack)
            return
        if database not in _KEPT:
            stack = ExitStack()
            try:
                _KEPT[database] = (_open(database, stack), stack)
            except BaseException:
                stack.close()
                raise
        _IN_USE[database] = _IN_USE.get(database, 0) + 1
        try:
            yield _KEPT[database][0]
        except BaseException:
            # Opened again by the next block: a failure may have left the connection unusable.
            _IN_USE[database] -= 1
            if not _IN_USE[database]:
                _put_down(database)
            raise
        _IN_USE[database] -= 1
        if not _IN_USE[database]:
            _put_down_if_logged(database)


def _open(database: Path, stack: ExitStack) -> duckdb.DuckDBPyConnection:
    """Take the lock and open the file; ``stack`` closes the connection, then releases it."""
    stack.enter_context(warehouse_lock(database))
    if database.exists() and _MIGRATED.get(database) == database.stat().st_ino:
        con = writer(writable(database))
    else:
        con = connect(database)
        _MIGRATED[database] = database.stat().st_ino
    stack.callback(con.close)
    return con
