"""deploy/dagster.yaml on a real Postgres server: `lnw run` keeps its runs there, not in files."""

import datetime as dt

import duckdb
import pytest

from lnw.samples import write_account_exports
from tests.conftest import run_lnw

# Minutes of real processes and servers: left out of the fast tier (-m 'not slow').
pytestmark = pytest.mark.slow

OCT, NOV = dt.date(2026, 10, 2), dt.date(2026, 11, 6)


def small_accounts(home) -> None:
    # Two accounts, three snapshots: the shape of a team's inbox, small enough for seconds.
    write_account_exports(
        home.inbox, "ana", [OCT, NOV], n_connections=60, n_followers=90, n_messages=30, seed=3
    )
    write_account_exports(
        home.inbox, "ben", [NOV], n_connections=40, n_followers=50, n_messages=20, seed=4
    )


def test_runs_and_materializations_are_recorded_in_postgres(deployed_home, postgres):
    small_accounts(deployed_home)

    assert run_lnw(deployed_home, "run") == 0

    runs = postgres.query("SELECT pipeline_name, status, count(*) FROM runs GROUP BY 1, 2")
    assert sorted(runs) == [("load_inbox", "SUCCESS", 1), ("refresh_marts", "SUCCESS", 1)]
    partitions = postgres.query(
        "SELECT DISTINCT partition FROM event_logs"
        " WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
        " AND asset_key = %s",
        '["core", "relationship_history"]',
    )
    assert sorted(p for (p,) in partitions) == ["ana", "ben"]
    materialized = {
        key
        for (key,) in postgres.query(
            "SELECT asset_key FROM asset_keys WHERE last_materialization_timestamp IS NOT NULL"
        )
    }
    assert {'["raw", "connections"]', '["marts", "reach"]', '["analytics", "reach"]'} <= (
        materialized
    )
    # Nothing fell back to Dagster's file storage inside the home.
    assert not list(deployed_home.dagster.rglob("*.db"))

    con = duckdb.connect(str(deployed_home.published), read_only=True)
    try:
        reach = con.sql(
            "SELECT account, snapshot_date, connections FROM analytics.reach ORDER BY 1, 2"
        ).fetchall()
    finally:
        con.close()
    assert [(a, d.isoformat()) for a, d, _ in reach] == [
        ("ana", "2026-10-02"),
        ("ana", "2026-11-06"),
        ("ben", "2026-11-06"),
    ]
    assert all(connections > 0 for *_, connections in reach)

    # A second `lnw run` sees, through Postgres, that everything is loaded: no new run.
    assert run_lnw(deployed_home, "run") == 0
    runs_again = postgres.query("SELECT pipeline_name, count(*) FROM runs GROUP BY 1")
    assert dict(runs_again) == {"load_inbox": 1, "refresh_marts": 1}
