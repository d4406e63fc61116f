"""What a user asks of the history: who related how on a date, and what happened when."""

import datetime as dt

import pytest

from tests.warehouse.test_history import START, load
from warehouse.database import connect

WEEKS = [START + dt.timedelta(weeks=w) for w in range(3)]
SNAPSHOTS = [
    {
        "ann": ("mutual", "A"),
        "bob": ("pending_outbound", "A"),
        "cat": ("follower_only", "A"),
        "dan": ("connection_only", "A"),
    },
    {
        "ann": ("connection_only", "A"),
        "bob": ("mutual", "A"),
        "dan": ("mutual", "A"),
        "eve": ("follower_only", "A"),
    },
    {"bob": ("mutual", "A"), "dan": ("mutual", "B"), "eve": ("follower_only", "A")},
]


@pytest.fixture(params=["in order", "reversed"])
def warehouse(request, tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    pairs = list(zip(WEEKS, SNAPSHOTS, strict=True))
    for day, states in pairs if request.param == "in order" else reversed(pairs):
        load(con, day, states)
    yield con
    con.close()


def test_events_say_who_connected_unfollowed_or_left_between_snapshots(warehouse):
    events = warehouse.execute(
        "SELECT person_key, event_date, event, previous_snapshot_date "
        "FROM analytics.relationship_events ORDER BY event_date, person_key, event"
    ).fetchall()
    w0, w1, w2 = WEEKS
    assert events == [
        ("ann", w1, "unfollowed", w0),
        ("bob", w1, "connected", w0),
        ("bob", w1, "invitation accepted", w0),
        ("bob", w1, "started following", w0),
        ("cat", w1, "unfollowed", w0),
        ("dan", w1, "started following", w0),
        ("eve", w1, "started following", w0),
        ("ann", w2, "disconnected", w1),
        ("dan", w2, "changed company", w1),  # from A to B, a connection throughout
    ]


def test_relationships_as_of_a_date_are_those_of_the_last_snapshot_before_it(warehouse):
    def as_of(day: dt.date) -> set[tuple[str, str]]:
        rows = warehouse.execute(
            "SELECT person_key, relationship FROM analytics.relationships_as_of(?::DATE)", [day]
        ).fetchall()
        return set(rows)

    assert as_of(START - dt.timedelta(days=1)) == set()
    mid_week = {(p, r) for p, (r, _) in SNAPSHOTS[0].items()}
    assert as_of(WEEKS[0] + dt.timedelta(days=3)) == mid_week
    assert as_of(WEEKS[1]) == {(p, r) for p, (r, _) in SNAPSHOTS[1].items()}
    assert as_of(WEEKS[2] + dt.timedelta(days=400)) == {
        (p, r) for p, (r, _) in SNAPSHOTS[2].items()
    }
