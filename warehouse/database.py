"""Opening the warehouse, migrating it, transactions and SQL files. No Dagster here."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

import settings

if TYPE_CHECKING:
    import pyarrow as pa

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
SQL = HERE / "sql"
_PARAM = re.compile(r"\$([a-z_]+)")
# SQL files applied after the migrations, in this order: the public contract views, the
# history views built on them, then the lists of people to act on.
VIEW_FILES = ("views", "history_views", "action_views")
# Depth of open `transaction()` blocks per connection, so that a block inside another joins it.
_OPEN_TRANSACTIONS: dict[int, int] = {}
_crash_points_passed = 0


def crash_point(label: str) -> None:
    """A place where a load may be killed: between statements, before and after commits.

    The crash-safety test sets ``LNW_CRASH_AT=N`` to SIGKILL the process at the N-th point it
    passes (``LNW_CRASH_TRACE=FILE`` lists them): a real kill, at a reproducible place, with
    no mock. Unset (always, outside that test), it only counts.
    """
    global _crash_points_passed
    _crash_points_passed += 1
    trace = settings.trace_file(settings.CRASH_TRACE_ENV)
    if trace:
        with open(trace, "a") as out:
            out.write(f"{_crash_points_passed} {label}\n")
    if settings.trace_file(settings.CRASH_AT_ENV) == str(_crash_points_passed):
        os.kill(os.getpid(), signal.SIGKILL)


def migration_files() -> list[tuple[int, Path]]:
    """Versioned migrations ``NNN_name.sql``, in order."""
    files = sorted(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql"))
    return [(int(f.name[:3]), f) for f in files]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM main.schema_migrations").fetchall()[
        0
    ][0]


def migrate(con: duckdb.DuckDBPyConnection, target_version: int | None = None) -> int:
    """Apply pending migrations, each in its own transaction, then re-create the views.

    Idempotent: a file at the current version is left as it is (apart from the views).
    ``target_version`` stops at that version and leaves the views out (they may need a later
    schema): the upgrade test writes a file as the previous version did.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS main.schema_migrations ("
        "version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    current = schema_version(con)
    for version, path in migration_files():
        if version <= current or (target_version is not None and version > target_version):
            continue
        with transaction(con):
            con.execute(path.read_text())
            con.execute(
                "INSERT INTO main.schema_migrations VALUES (?, ?, now())", [version, path.stem]
            )
    if target_version is None:
        for name in VIEW_FILES:
            con.execute((SQL / f"{name}.sql").read_text())
    return schema_version(con)


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file; a writable one is migrated to the current schema."""
    if read_only:
        return in_utc(duckdb.connect(str(path), read_only=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    con = writer(writable(path))
    migrate(con)
    return con


# DuckDB checkpoints when a commit leaves more than 16 MB in the write-ahead log, and again
# when the connection closes; each checkpoint costs more than the rows it adds (timed on a
# copy of a teams warehouse, the same rows took 0.1-0.8 s to checkpoint). A load commits each
# item's raw rows apart, so with the default its openings checkpointed several times; with
# one checkpoint per opening, at its close, storing a teams account's raw rows (3 archives,
# 3 follower lists, about 300,000 rows) took 0.8 s instead of 1.0-1.1 s. A crash loses
# nothing: the log is on disk at every commit, and the next opening replays it.
CHECKPOINT_THRESHOLD = "1GB"


# Rows DuckDB gathers before it compresses them into the file. A commit that fills a row group
# has it written there at once; the rest goes to the write-ahead log and is compressed again at
# the next checkpoint. A load commits an item's raw rows, and an account's snapshots, a few
# thousand to 50,000 rows at a time: with DuckDB's default (122,880) nearly all of them went
# through the log, and a teams load (5 accounts x 3 snapshots) logged 256 MB by its fourth
# account, which cost a checkpoint of 1.2-1.5 s there. With 8,192 the log stays small, and
# `lnw run` on teams took 14.4-15.1 s instead of 16.6-19.1 s (3 alternated pairs); the file is
# 255 MB instead of 164 MB, and the large snapshot loads as fast, with the same peak. Only
# what this connection writes is laid out so; every reader reads either layout.
ROW_GROUP_SIZE = 8192


def writable(path: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse file opened for writing, attached with `ROW_GROUP_SIZE` (an option of
    ATTACH only, not of `duckdb.connect`)."""
    con = duckdb.connect()
    con.execute(f"ATTACH ? AS warehouse (ROW_GROUP_SIZE {ROW_GROUP_SIZE})", [str(path)])
    con.execute("USE warehouse")
    return con


def writer(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A writable connection as every writer opens it: checkpointing once, at its close."""
    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    return in_utc(con)


def in_utc(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Read stored instants (message times) in UTC. DuckDB hands them over in the session's
    zone, the machine's by default: their calendar dates (the 90-day window of active
    conversations, the raw suite's latest date) would move with where the pipeline runs."""
    con.execute("SET TimeZone = 'UTC'")
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: an exception rolls back every statement of the block.

    A block inside another block of the same connection joins the outer transaction, so that
    functions that are atomic on their own can be combined into one larger atomic step.
    """
    depth = _OPEN_TRANSACTIONS.get(id(con), 0)
    if depth:
        _OPEN_TRANSACTIONS[id(con)] = depth + 1
        try:
            yield con
        finally:
            _OPEN_TRANSACTIONS[id(con)] = depth
        return
    con.execute("BEGIN TRANSACTION")
    _OPEN_TRANSACTIONS[id(con)] = 1
    try:
        crash_point("transaction begun")
        yield con
        crash_point("before commit")
    except BaseException:
        del _OPEN_TRANSACTIONS[id(con)]
        con.execute("ROLLBACK")
        raise
    del _OPEN_TRANSACTIONS[id(con)]
    con.execute("COMMIT")
    crash_point("committed")


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> None:
    """Run the statements of ``warehouse/sql/<name>.sql``; ``$name`` placeholders are bound."""
    script = (SQL / f"{name}.sql").read_text()
    for statement in _statements(script):
        used = {p: params[p] for p in set(_PARAM.findall(statement))}
        con.execute(statement, used)
        crash_point(f"{name}.sql statement")


def _statements(script: str) -> list[str]:
    # Our SQL files end each statement with ';' at the end of a line and never inside strings.
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";").strip()]


def arrow(frame: pl.DataFrame) -> pa.Table:
    """A Polars frame as Arrow without copying it: strings stay string views, which DuckDB
    reads as they are. Polars' default, the oldest Arrow layout, copies every string into
    one buffer (0.25 s and 240 MB for a million-person snapshot), and DuckDB then took twice
    as long to insert it."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append a Polars frame to ``table`` by column name, through Arrow (no row copies)."""
    if frame.is_empty():
        return 0
    con.register("__frame", arrow(frame))
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __frame")
        crash_point(f"inserted into {table}")
    finally:
        con.unregister("__frame")
    return frame.height


def query_frame(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> pl.DataFrame:
    """A query's result as a Polars frame, handed over through Arrow."""
    return con.sql(sql, params=params).pl()


# The readers' copy holds the public views and what they are built from: whole tables whose
# size follows the history's changes (not its length), and only the latest merged snapshot of
# the per-person tables. The bulk raw rows (every connection, follower and message of every
# export) and past snapshots stay in the writer's file: copying them would make each
# publication cost as much as the whole history, and readers of the metrics do not need them.
READER_TABLES = (
    "main.schema_migrations",
    "raw.exports",
    "raw.export_files",
    "raw.follower_counts",
    "core.snapshots",
    "core.observations",
    "core.relationship_history",
    "core.history_merges",
    "marts.reach",
    "marts.messaging_capacity",
    "marts.network_relevance",
    "marts.settings",
    "marts.target_companies",
)
READER_LATEST_SNAPSHOT_TABLES = ("core.relationship_snapshots", "marts.contact_relevance")
READER_COPY = "reader_copy"
# The readers' copy is written in the oldest storage DuckDB 2 can write, which every DuckDB
# since 1.0 reads: the CLI, notebooks and BI tools users have are often 1.x (the DuckDB CLI on
# PyPI, MotherDuck's clients), and a 2.x file stops them with "version number 69". Its views
# are stored as SQL that 1.0 parses (tests/warehouse/test_reader_copy.py opens it with 1.0 and
# the newest 1.x). The writer's own file stays in the newest storage.
READER_STORAGE_VERSION = "v1.0.0"


def publish_read_copy(con: duckdb.DuckDBPyConnection, database: Path, published: Path) -> Path:
    """Write the readers' copy of the warehouse after a successful run, replacing the
    previous one atomically.

    DuckDB lets one process write a file and no other process even read it meanwhile, so
    `lnw sql` and other clients read this copy. It is written as a new file (readers may hold
    the old one open) with what `READER_TABLES` lists, then renamed over the old one.
    ``database`` is the writer's file, which ``con`` holds; it is not copied.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    partial = published.with_name(published.name + ".partial")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    home_catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute(
        f"ATTACH '{_sql_text(partial)}' AS {READER_COPY} "
        f"(STORAGE_VERSION '{READER_STORAGE_VERSION}')"
    )
    try:
        for schema in ("raw", "core", "marts", "analytics"):
            con.execute(f"CREATE SCHEMA {READER_COPY}.{schema}")
        for table in READER_TABLES:
            con.execute(f"CREATE TABLE {READER_COPY}.{table} AS FROM {table}")
        for table in READER_LATEST_SNAPSHOT_TABLES:
            con.execute(
                f"CREATE TABLE {READER_COPY}.{table} AS FROM {table} "
                "WHERE (account, snapshot_date) IN (SELECT account, max(snapshot_date) "
                "FROM core.snapshots WHERE merged_at IS NOT NULL "
                "AND connections_observed_on IS NOT NULL GROUP BY account)"
            )
        crash_point("tables copied for publishing")
        # The view files name tables by schema only: created while the copy is the default
        # catalog, they read the copy's tables, in this file and wherever it is opened.
        con.execute(f"USE {READER_COPY}")
        try:
            for name in VIEW_FILES:
                con.execute((SQL / f"{name}.sql").read_text())
        finally:
            con.execute(f'USE "{home_catalog}"')
    finally:
        con.execute(f"DETACH {READER_COPY}")
    crash_point("copied for publishing")
    os.replace(partial, published)
    crash_point("published")
    return published


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def publication_state(con: duckdb.DuckDBPyConnection) -> tuple:
    """What the published copy must agree with: the merged snapshots and their metrics."""
    return con.execute(
        "SELECT count(*), max(merged_at), count(*) FILTER (WHERE marts_stale), "
        "(SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM marts.settings) "
        "FROM core.snapshots WHERE merged_at IS NOT NULL"
    ).fetchall()[0]


def publication_due(con: duckdb.DuckDBPyConnection, published: Path) -> bool:
    """Whether the metrics refresh and publication must run even with nothing new loaded: a
    run killed after merging a snapshot, or between the metrics and the publication, left
    the readers' copy behind the warehouse."""
    if not published.exists():
        return True
    try:
        reader = duckdb.connect(str(published), read_only=True)
    except duckdb.Error:
        return True
    try:
        return publication_state(reader) != publication_state(con) or bool(
            publication_state(con)[2]
        )
    finally:
        reader.close()
