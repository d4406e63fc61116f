"""Schema migrations upgrade an existing warehouse file in place, without losing a row."""

import datetime as dt

import duckdb

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.warehouse.loader import load_inbox
from warehouse.database import connect, migrate, migration_files, schema_version


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_catalog = current_database() "
        "AND table_schema <> 'main' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def row_counts(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in names}


def test_a_file_of_the_previous_schema_version_is_upgraded_without_losing_rows(tmp_path):
    versions = [v for v, _ in migration_files()]
    latest, previous = versions[-1], versions[-2]

    # Real rows at the latest version, from a load of sample exports.
    home = Home(tmp_path / "home").ensure()
    write_account_exports(
        home.inbox,
        "me",
        [dt.date(2026, 9, 4), dt.date(2026, 9, 11)],
        n_connections=30,
        n_followers=40,
        n_messages=20,
        seed=5,
    )
    load_inbox(home.root)

    # A file as the previous version wrote it: its schema only, holding those rows.
    old_file = tmp_path / "previous.duckdb"
    old = duckdb.connect(str(old_file))
    assert migrate(old, target_version=previous) == previous
    old.execute(f"ATTACH '{home.warehouse}' AS current_version (READ_ONLY)")
    old_tables = tables(old)
    for table in old_tables:
        columns = [
            r[0]
            for r in old.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
                "current_database() AND table_schema || '.' || table_name = ?",
                [table],
            ).fetchall()
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        # Version 4 renamed raw.exports.snapshot_date to observed_on.
        taken = ", ".join(
            '"observed_on"' if (table, c) == ("raw.exports", "snapshot_date") else f'"{c}"'
            for c in columns
        )
        old.execute(f"INSERT INTO {table} ({listed}) SELECT {taken} FROM current_version.{table}")
    old.execute("DETACH current_version")
    before = row_counts(old, old_tables)
    assert before["core.relationship_history"] > 0 and before["marts.reach"] == 2
    old.close()

    upgraded = connect(old_file)
    try:
        assert schema_version(upgraded) == latest
        assert row_counts(upgraded, old_tables) == before
        history = upgraded.execute("SELECT count(*) FROM analytics.relationship_history")
        assert history.fetchall()[0][0] == before["core.relationship_history"]
        for view in ("reach", "messaging_capacity", "network_relevance", "relationship_events"):
            upgraded.execute(f"SELECT * FROM analytics.{view}").fetchall()
        # Snapshots a version before 4 built are rebuilt by the account's next load; later
        # versions keep them.
        due = upgraded.execute("SELECT account FROM core.rebuilds_due").fetchall()
        assert due == ([("me",)] if previous < 4 else [])

        # Migrating again is a no-op.
        applied = upgraded.execute("SELECT * FROM main.schema_migrations").fetchall()
        assert migrate(upgraded) == latest
        assert upgraded.execute("SELECT * FROM main.schema_migrations").fetchall() == applied
        assert row_counts(upgraded, old_tables) == before
    finally:
        upgraded.close()
