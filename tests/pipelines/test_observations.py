"""Observations on their own dates: monthly archives and weekly follower lists of other days
make a snapshot on every observed date, each carrying the latest archive and list, at most
LNW_CARRY_DAYS old; what is not carried is unknown (NULL), never guessed."""

import datetime as dt
import itertools

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw

# A list before the first archive, archives four weeks apart, lists every week in between on
# other days, and a list too long after the last archive for it to be carried.
START = dt.date(2026, 8, 28)
LISTS = [START + dt.timedelta(days=d) for d in (0, 9, 16, 23, 37, 44, 51, 93)]
ARCHIVES = [START + dt.timedelta(days=d) for d in (7, 35)]
DATES = sorted({*LISTS, *ARCHIVES})


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("observations")).ensure()
    truths = write_account_exports(
        home.inbox,
        "me",
        DATES,
        n_connections=120,
        n_followers=200,
        n_messages=60,
        seed=21,
        archive_for=set(ARCHIVES),
        follower_list_for=set(LISTS),
    )
    assert run_lnw(home, "run") == 0
    con = duckdb.connect(str(home.published), read_only=True)
    yield {t.snapshot_date: t for t in truths}, con
    con.close()


def rows(con, sql: str) -> dict[dt.date, dict]:
    result = con.execute(sql)
    columns = [d[0] for d in result.description]
    return {row[1]: dict(zip(columns, row, strict=True)) for row in result.fetchall()}


def carried(day: dt.date, observed: list[dt.date], carry_days: int = 35) -> dt.date | None:
    before = [d for d in observed if d <= day]
    return max(before) if before and (day - max(before)).days <= carry_days else None


def test_every_observed_date_is_a_snapshot_with_what_it_carries(loaded):
    _, con = loaded
    reach = rows(con, "SELECT * FROM analytics.reach ORDER BY snapshot_date")
    assert list(reach) == DATES
    for day, row in reach.items():
        assert row["connections_observed_on"] == carried(day, ARCHIVES), day
        assert row["followers_observed_on"] == carried(day, LISTS), day
        assert row["followers_source"] == ("list" if carried(day, LISTS) else None), day


def test_carried_figures_are_those_of_the_carried_observations(loaded):
    truths, con = loaded
    reach = rows(con, "SELECT * FROM analytics.reach ORDER BY snapshot_date")
    capacity = rows(con, "SELECT * FROM analytics.messaging_capacity ORDER BY snapshot_date")
    for day, row in reach.items():
        archive_on, list_on = carried(day, ARCHIVES), carried(day, LISTS)
        if archive_on is None:
            continue
        archive = truths[archive_on]
        connected = set(archive.connections)
        # Connections and everything about them are the archive's own, as of its date.
        assert row["connections"] == len(connected), day
        assert row["unidentified_connections"] == archive.unidentified_connections, day
        assert capacity[day]["active_conversations_90d"] == len(archive.active_90d), day
        assert capacity[day]["pending_outbound"] == len(archive.pending_outbound), day
        if list_on is not None:
            followers = truths[list_on].followers
            assert row["followers"] == len(followers), day
            assert row["mutual"] == len(connected & followers), day
            assert row["follower_only"] == len(followers - connected), day


def test_a_list_before_the_first_archive_gives_follower_figures_only(loaded):
    truths, con = loaded
    first = rows(con, f"SELECT * FROM analytics.reach WHERE snapshot_date = '{START}'")[START]
    assert first["followers"] == first["audience"] == len(truths[START].followers)
    for column in ("connections", "unidentified_connections", "mutual", "connection_only"):
        assert first[column] is None, column
    capacity = rows(
        con, f"SELECT * FROM analytics.messaging_capacity WHERE snapshot_date = '{START}'"
    )[START]
    assert capacity["messageable"] is None and capacity["connection_headroom"] is None
    relevance = rows(
        con, f"SELECT * FROM analytics.network_relevance WHERE snapshot_date = '{START}'"
    )[START]
    assert relevance["followers"] == first["followers"]
    assert relevance["connections"] is None and relevance["relevant_followers"] is None


def test_a_list_long_after_the_last_archive_knows_no_connections(loaded):
    truths, con = loaded
    late = LISTS[-1]
    row = rows(con, f"SELECT * FROM analytics.reach WHERE snapshot_date = '{late}'")[late]
    assert row["connections_observed_on"] is None
    assert row["connections"] is None and row["new_connections"] is None
    assert row["followers"] == len(truths[late].followers)
    # Nobody is classified there: the people and the history are those of the last
    # snapshot that knew the connections.
    current = con.execute("SELECT DISTINCT snapshot_date FROM analytics.current_relationships")
    assert current.fetchall() == [(LISTS[-2],)]
    starts = con.execute("SELECT max(valid_from) FROM analytics.relationship_history")
    assert starts.fetchall()[0][0] <= LISTS[-2]


def test_changes_compare_consecutive_snapshots_of_the_timeline(loaded):
    truths, con = loaded
    reach = rows(con, "SELECT * FROM analytics.reach ORDER BY snapshot_date")
    days = list(reach)
    for before, day in itertools.pairwise(days):
        row = reach[day]
        archive_now, archive_then = carried(day, ARCHIVES), carried(before, ARCHIVES)
        if archive_now is None or archive_then is None:
            assert row["new_connections"] is None, day
        elif archive_now == archive_then:
            assert (row["new_connections"], row["lost_connections"]) == (0, 0), day
        else:
            now, then = set(truths[archive_now].connections), set(truths[archive_then].connections)
            assert (row["new_connections"], row["lost_connections"]) == (
                len(now - then),
                len(then - now),
            ), day
        list_now, list_then = carried(day, LISTS), carried(before, LISTS)
        if list_now is None or list_then is None:
            assert row["new_followers"] is None and row["follower_growth_rate"] is None, day
        elif list_now == list_then:
            assert (row["new_followers"], row["follower_growth_rate"]) == (0, 0.0), day
        else:
            now, then = truths[list_now].followers, truths[list_then].followers
            assert (row["new_followers"], row["lost_followers"]) == (
                len(now - then),
                len(then - now),
            ), day
            assert row["follower_growth_rate"] == pytest.approx((len(now) - len(then)) / len(then))


def test_the_carry_is_a_setting(tmp_path, monkeypatch):
    home = Home(tmp_path).ensure()
    write_account_exports(
        home.inbox,
        "me",
        [ARCHIVES[0], LISTS[2]],
        n_connections=30,
        n_followers=40,
        n_messages=10,
        seed=5,
        archive_for={ARCHIVES[0]},
        follower_list_for={LISTS[2]},
    )
    monkeypatch.setenv("LNW_CARRY_DAYS", "7")  # the list is 9 days after the archive
    assert run_lnw(home, "run") == 0
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        carried_on = con.execute(
            "SELECT snapshot_date, connections_observed_on FROM analytics.reach ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert carried_on == [(ARCHIVES[0], ARCHIVES[0]), (LISTS[2], None)]


def test_an_item_without_a_date_in_its_name_is_dated_by_its_modification_time(tmp_path, capsys):
    import os
    import shutil

    home = Home(tmp_path).ensure()
    truths = write_account_exports(
        tmp_path / "staging", "me", [ARCHIVES[0]], n_connections=20, n_followers=20,
        n_messages=10, seed=8,
    )  # fmt: skip
    (home.inbox / "me").mkdir()
    for path in truths[0].files:
        undated = "followers.csv" if path.suffix == ".csv" else path.name
        shutil.move(path, home.inbox / "me" / undated)
    noon = dt.datetime.combine(ARCHIVES[0], dt.time(12), tzinfo=dt.UTC).timestamp()
    os.utime(home.inbox / "me" / "followers.csv", (noon, noon))
    assert run_lnw(home, "run") == 0
    captured = capsys.readouterr()
    assert (
        f"lnw: me/followers.csv has no date in its name: it is taken as observed on "
        f"{ARCHIVES[0]}, the day it was last modified" in captured.err
    )
    assert "put the date in its name (YYYY-MM-DD)" in captured.err
    assert (
        f"loaded       me/followers.csv (follower list of {ARCHIVES[0]}, dated by its "
        "modification time)" in captured.out
    )
