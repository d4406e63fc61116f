"""The SCD2 history depends on the set of snapshots only: not on arrival order or repeats."""

import datetime as dt
import random

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.loading import SNAPSHOT_SCHEMA as FACTS_SCHEMA
from transforms.classify import SNAPSHOT_SCHEMA
from warehouse.database import connect
from warehouse.history import merge_history, replace_snapshots

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
            "last_conversation_on": None,
            "relationship": relationship,
        }
        for person, (relationship, company) in sorted(states.items())
    ]
    return pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA)


def facts(day: dt.date) -> pl.DataFrame:
    """core.snapshots facts of a snapshot carrying an archive and a list of its own date."""
    row = {
        "snapshot_date": day,
        "connections_observed_on": day,
        "followers_observed_on": day,
        "export_ids": ["x"],
        "self_key": None,
        "has_follower_list": True,
        "has_invitations": False,
        "has_messages": False,
        "unidentified_connections": 0,
        "followers": None,
    }
    return pl.DataFrame([row], schema=FACTS_SCHEMA)


def load(con: duckdb.DuckDBPyConnection, day: dt.date, states: dict) -> str:
    """Write a snapshot (replacing what the date held) and merge the history from it, as one
    account's load does."""
    replace_snapshots(con, "me", facts(day), {day: people_frame(states)}, [])
    return merge_history(con, "me", day)


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


# Each example loads up to fourteen snapshots into two new warehouses: the fast tier samples
# ten sequences, the full suite forty.
@pytest.mark.parametrize("examples", [10, pytest.param(40, marks=pytest.mark.slow)])
def test_any_load_order_and_repeats_give_the_in_order_history(fresh, examples):
    @settings(max_examples=examples, deadline=None)
    @given(snapshots=snapshot_sequences, seed=st.integers(0, 10_000))
    def check(snapshots, seed):
        days = [START + dt.timedelta(weeks=i) for i in range(len(snapshots))]
        in_order = fresh()
        for day, states in zip(days, snapshots, strict=True):
            assert load(in_order, day, states) == "incremental"
        expected = history(in_order)

        shuffled = fresh()
        order = list(zip(days, snapshots, strict=True))
        rng = random.Random(seed)
        order += rng.sample(order, k=min(2, len(order)))  # some snapshots are written twice
        rng.shuffle(order)
        for day, states in order:
            load(shuffled, day, states)
        assert history(shuffled) == expected

        current = shuffled.execute(
            "SELECT person_key, count(*) FROM core.relationship_history WHERE is_current "
            "GROUP BY ALL HAVING count(*) > 1"
        ).fetchall()
        assert current == []
        present_last = {p for p in snapshots[-1]}
        assert {r[0] for r in expected if r[5]} == present_last

    check()


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


def test_a_snapshot_that_knows_no_connections_leaves_the_history_unchanged(fresh):
    con = fresh()
    load(con, START, {"ann": ("mutual", "A")})
    later = START + dt.timedelta(weeks=8)
    load(con, later, {"ann": ("mutual", "A"), "bob": ("follower_only", "A")})
    before = history(con)
    # A follower list between the two, too long after the archive: nobody is classified.
    between = START + dt.timedelta(weeks=6)
    unknown = facts(between).with_columns(pl.lit(None, pl.Date).alias("connections_observed_on"))
    replace_snapshots(con, "me", unknown, {}, [])
    assert merge_history(con, "me", between) == "rebuilt"
    assert history(con) == before


def test_removing_a_snapshot_rebuilds_the_periods_after_it(fresh):
    con = fresh()
    weeks = [START + dt.timedelta(weeks=w) for w in range(3)]
    load(con, weeks[0], {"ann": ("mutual", "A")})
    load(con, weeks[1], {"ann": ("connection_only", "A")})
    load(con, weeks[2], {"ann": ("mutual", "A")})
    replace_snapshots(con, "me", facts(weeks[1]).clear(), {}, [weeks[1]])
    merge_history(con, "me", weeks[1])
    assert [(r[1], r[3], r[4]) for r in history(con)] == [("mutual", weeks[0], None)]
