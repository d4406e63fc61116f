"""The SCD2 history depends on the set of snapshots only: not on arrival order or repeats."""

import datetime as dt
import random

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.classify import SNAPSHOT_SCHEMA
from warehouse.database import connect
from warehouse.history import (
    load_relationship_snapshot,
    merge_snapshot_into_history,
    write_relationship_snapshot,
)

START = dt.date(2026, 1, 2)
PEOPLE = ["ann", "bob", "cat", "dan", "eve"]
STATES = [None, "mutual", "connection_only", "follower_only"]


def people_frame(states: dict[str, tuple[str, str]]) -> pl.DataFrame:
    """states: person -> (relationship, company)"""
    rows = [
        {
            "person_key": person,
            "key_is_weak": False,
            "full_name": person.title(),
            "profile_url": None,
            "company": company,
            "position": None,
            "headline": None,
            "connected_on": None,
            "is_connection": relationship != "follower_only",
            "is_follower": relationship != "connection_only",
            "invitation": None,
            "invitation_sent_at": None,
            "active_90d": None,
            "relationship": relationship,
        }
        for person, (relationship, company) in sorted(states.items())
    ]
    return pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA)


FACTS = {
    "export_ids": ["x"],
    "self_key": None,
    "has_follower_list": True,
    "has_invitations": False,
    "has_messages": False,
    "unidentified_connections": 0,
}


def load(con: duckdb.DuckDBPyConnection, day: dt.date, states: dict) -> str:
    """Write then merge, as two transactions."""
    write_relationship_snapshot(con, "me", day, people_frame(states), **FACTS)
    return merge_snapshot_into_history(con, "me", day)


def load_at_once(con: duckdb.DuckDBPyConnection, day: dt.date, states: dict) -> str:
    """Write and merge in one transaction, as the pipeline does."""
    return load_relationship_snapshot(con, "me", day, people_frame(states), **FACTS)


def every_row(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """All core rows, timestamps included."""
    return {
        table: con.execute(f"SELECT * FROM core.{table} ORDER BY ALL").fetchall()
        for table in (
            "snapshots",
            "relationship_snapshots",
            "relationship_history",
            "history_merges",
        )
    }


def history(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT person_key, relationship, company, valid_from, valid_to, is_current "
        "FROM core.relationship_history ORDER BY ALL"
    ).fetchall()


snapshot_sequences = st.lists(
    st.fixed_dictionaries(
        {p: st.tuples(st.sampled_from(STATES), st.sampled_from(["A", "B"])) for p in PEOPLE}
    ).map(lambda d: {p: s for p, s in d.items() if s[0] is not None}),
    min_size=1,
    max_size=6,
)


@pytest.fixture
def fresh(tmp_path_factory):
    def make() -> duckdb.DuckDBPyConnection:
        return connect(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")

    return make


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(snapshots=snapshot_sequences, seed=st.integers(0, 10_000))
def test_any_load_order_and_repeats_give_the_in_order_history(fresh, snapshots, seed):
    days = [START + dt.timedelta(weeks=i) for i in range(len(snapshots))]
    in_order = fresh()
    for day, states in zip(days, snapshots, strict=True):
        assert load(in_order, day, states) == "incremental"
    expected = history(in_order)

    shuffled = fresh()
    order = list(zip(days, snapshots, strict=True))
    rng = random.Random(seed)
    order += rng.sample(order, k=min(2, len(order)))  # some snapshots arrive twice
    rng.shuffle(order)
    for number, (day, states) in enumerate(order):
        (load if number % 2 else load_at_once)(shuffled, day, states)
    assert history(shuffled) == expected
    # Loading everything once more changes no row at all, not even a timestamp.
    before = every_row(shuffled)
    for day, states in order:
        assert load_at_once(shuffled, day, states) == "unchanged"
    assert every_row(shuffled) == before

    current = shuffled.execute(
        "SELECT person_key, count(*) FROM core.relationship_history WHERE is_current "
        "GROUP BY ALL HAVING count(*) > 1"
    ).fetchall()
    assert current == []
    present_last = {p for p in snapshots[-1]}
    assert {r[0] for r in expected if r[5]} == present_last


def test_a_person_present_throughout_has_gapless_periods(fresh):
    con = fresh()
    for week, relationship in enumerate(["mutual", "mutual", "connection_only", "mutual"]):
        load(con, START + dt.timedelta(weeks=week), {"ann": (relationship, "A")})
    rows = history(con)
    assert [(r[1], r[3], r[4]) for r in rows] == [
        ("connection_only", START + dt.timedelta(weeks=2), START + dt.timedelta(weeks=3)),
        ("mutual", START, START + dt.timedelta(weeks=2)),
        ("mutual", START + dt.timedelta(weeks=3), None),
    ]


def test_reloading_the_newest_snapshot_changes_no_row(fresh):
    con = fresh()
    load(con, START, {"ann": ("mutual", "A"), "bob": ("mutual", "A")})
    load(con, START + dt.timedelta(weeks=1), {"ann": ("mutual", "B")})
    before = history(con)
    load(con, START + dt.timedelta(weeks=1), {"ann": ("mutual", "B")})
    assert history(con) == before


def test_a_late_snapshot_rewrites_only_the_periods_from_the_snapshot_before_it(fresh):
    con = fresh()
    weeks = [START + dt.timedelta(weeks=w) for w in range(5)]
    load(con, weeks[0], {"ann": ("mutual", "A"), "bob": ("mutual", "A")})
    load(con, weeks[1], {"bob": ("mutual", "A")})  # ann left: her period is closed
    load(con, weeks[2], {"bob": ("mutual", "B")})
    load(con, weeks[4], {"bob": ("connection_only", "B")})
    closed = con.execute(
        "SELECT rowid, * FROM core.relationship_history WHERE person_key = 'ann'"
    ).fetchall()

    assert load(con, weeks[3], {"bob": ("mutual", "B"), "cat": ("follower_only", "A")}) == (
        "rebuilt"
    )

    assert (
        con.execute(
            "SELECT rowid, * FROM core.relationship_history WHERE person_key = 'ann'"
        ).fetchall()
        == closed
    )
    log = con.execute(
        "SELECT strategy, rebuilt_from FROM core.history_merges ORDER BY merged_at DESC LIMIT 1"
    ).fetchall()
    assert log == [("rebuilt", weeks[2])]
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in history(con)] == [
        ("ann", "mutual", "A", weeks[0], weeks[1]),
        ("bob", "connection_only", "B", weeks[4], None),
        ("bob", "mutual", "A", weeks[0], weeks[2]),
        ("bob", "mutual", "B", weeks[2], weeks[4]),
        ("cat", "follower_only", "A", weeks[3], weeks[4]),
    ]


def test_merging_a_merged_snapshot_again_changes_no_row(fresh):
    con = fresh()
    load(con, START, {"ann": ("mutual", "A"), "bob": ("mutual", "A")})
    load(con, START + dt.timedelta(weeks=1), {"ann": ("connection_only", "A")})
    before = every_row(con)
    for week in (0, 1):
        assert merge_snapshot_into_history(con, "me", START + dt.timedelta(weeks=week)) == (
            "unchanged"
        )
    assert every_row(con) == before


def test_a_snapshot_listing_a_person_twice_is_refused_before_anything_is_written(fresh):
    con = fresh()
    twice = pl.concat([people_frame({"ann": ("mutual", "A")})] * 2)
    with pytest.raises(ValueError, match="share a person_key"):
        load_relationship_snapshot(con, "me", START, twice, **FACTS)
    assert every_row(con) == {t: [] for t in every_row(con)}
