"""The views' rules, counted on the views or on their rows evaluated into another catalog."""

import duckdb

from pipelines.assets.marts import PUBLIC_VIEWS, READ_BY_RULES
from quality.view_rules import VIEW_RULES, broken_rows, views_read


def _team_reach(con, catalog: str, unique_followers: int) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {catalog}.analytics")
    con.execute(
        f"CREATE OR REPLACE TABLE {catalog}.analytics.team_reach AS SELECT "
        f"{unique_followers} AS unique_followers, 10 AS followers_sum, "
        "5 AS unique_connections, 8 AS connections_sum, 12 AS unique_people"
    )


def test_a_broken_row_is_counted_where_the_rows_are_evaluated():
    con = duckdb.connect()
    _team_reach(con, "memory", unique_followers=11)  # more unique followers than the sum
    con.execute("ATTACH ':memory:' AS evaluated")
    _team_reach(con, "evaluated", unique_followers=9)
    rule = "unique figures at most the sums"
    assert broken_rows(con, "team_reach") == {rule: 1}
    assert broken_rows(con, "evaluated") == {}  # not a view with rules
    assert broken_rows(con, "team_reach", "evaluated") == {rule: 0}


def test_every_view_a_rule_reads_is_evaluated_before_it_and_kept():
    order = list(PUBLIC_VIEWS)
    for view in VIEW_RULES:
        assert view in order
        for read in views_read(view) - {view}:
            assert order.index(read) < order.index(view), (view, read)
            assert read in READ_BY_RULES
