"""Opening the warehouse, migrating it, transactions and SQL files. No Dagster here."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
SQL = HERE / "sql"
_PARAM = re.compile(r"\$([a-z_]+)")


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


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations, each in its own transaction, then re-create the views.

    Idempotent: a file at the current version is left as it is (apart from the views).
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS main.schema_migrations ("
        "version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    current = schema_version(con)
    for version, path in migration_files():
        if version <= current:
            continue
        with transaction(con):
            con.execute(path.read_text())
            con.execute(
                "INSERT INTO main.schema_migrations VALUES (?, ?, now())", [version, path.stem]
            )
    con.execute((SQL / "views.sql").read_text())
    return schema_version(con)


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file; a writable one is migrated to the current schema."""
    if read_only:
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    migrate(con)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: an exception rolls back every statement of the block."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> None:
    """Run the statements of ``warehouse/sql/<name>.sql``; ``$name`` placeholders are bound."""
    script = (SQL / f"{name}.sql").read_text()
    for statement in _statements(script):
        used = {p: params[p] for p in set(_PARAM.findall(statement))}
        con.execute(statement, used)


def _statements(script: str) -> list[str]:
    # Our SQL files end each statement with ';' at the end of a line and never inside strings.
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";").strip()]


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append a Polars frame to ``table`` by column name, through Arrow (no row copies)."""
    if frame.is_empty():
        return 0
    con.register("__frame", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __frame")
    finally:
        con.unregister("__frame")
    return frame.height


def query_frame(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> pl.DataFrame:
    """A query's result as a Polars frame, handed over through Arrow."""
    return con.sql(sql, params=params).pl()


def publish_read_copy(con: duckdb.DuckDBPyConnection, database: Path, published: Path) -> Path:
    """Copy the warehouse for readers after a successful run.

    DuckDB lets one process write a file and no other process even read it meanwhile, so
    `lnw sql` and other clients read this copy; it is replaced atomically.
    """
    con.execute("CHECKPOINT")
    published.parent.mkdir(parents=True, exist_ok=True)
    partial = published.with_name(published.name + ".partial")
    shutil.copyfile(database, partial)
    os.replace(partial, published)
    return published
