"""People of URL-less (pre-2024) exports are linked to the same person of the account's
URL-bearing exports where name and company agree."""

import contextlib
import datetime as dt
import io
import shutil

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw

OLD, NEW = dt.date(2026, 1, 10), dt.date(2026, 2, 7)


def test_an_old_export_without_urls_joins_the_people_of_a_newer_one(tmp_path):
    home = Home(tmp_path / "home").ensure()
    common = {"n_connections": 40, "n_followers": 50, "n_messages": 30, "seed": 4}
    old = write_account_exports(
        tmp_path / "old", "me", [OLD, NEW], format_year=2023, follower_list_for=set(), **common
    )
    new = write_account_exports(
        tmp_path / "new", "me", [OLD, NEW], format_year=2026, follower_list_for=set(), **common
    )
    (home.inbox / "me").mkdir()
    # The newer, URL-bearing export is loaded first; the user finds the old one later.
    shutil.copy(new[1].files[0], home.inbox / "me")
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_lnw(home, "run") == 0
    shutil.copy(old[0].files[0], home.inbox / "me" / f"old_{old[0].files[0].name}")
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_lnw(home, "run") == 0

    before, after = old[0], new[1]
    # Linkable: connected at both dates, at the same company (a job change breaks the link).
    linkable = {
        key
        for key in before.connections
        if key in after.connections and before.people[key].company == after.people[key].company
    }
    assert len(linkable) > 30
    con = duckdb.connect(str(home.warehouse), read_only=True)
    rows = con.execute(
        "SELECT person_key, key_is_weak, profile_url FROM core.relationship_snapshots "
        "WHERE snapshot_date = ? AND is_connection",
        [OLD],
    ).fetchall()
    current = con.execute(
        "SELECT count(*) FROM core.relationship_history "
        "WHERE person_key LIKE 'name:%' AND relationship = 'connection'"
    ).fetchall()[0][0]
    con.close()
    keys = {key for key, _, _ in rows}
    assert linkable <= keys
    assert len(rows) == len(before.connections)
    weak = {key for key, is_weak, _ in rows if is_weak}
    assert len(weak) == len(before.connections) - len(linkable)
    assert all(url == f"https://www.linkedin.com/in/{key}" for key, w, url in rows if not w)
    assert current == len(weak)


DAY_2018, DAY_2025 = dt.date(2018, 3, 1), dt.date(2025, 3, 1)
IDENTITY_TABLES = {
    "history": "SELECT * EXCLUDE (attributes_hash) FROM core.relationship_history",
    "people": "SELECT snapshot_date, person_key, relationship FROM core.relationship_snapshots",
    "events": "SELECT * FROM analytics.relationship_events",
    "reach": "SELECT * FROM marts.reach",
}


def identity_outcome(home: Home) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return {
            n: con.execute(f"{sql} ORDER BY ALL").fetchall() for n, sql in IDENTITY_TABLES.items()
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def identity_exports(tmp_path_factory) -> tuple[list, list]:
    common = {"n_connections": 60, "n_followers": 0, "n_messages": 20, "seed": 7, "churn": 0.1}
    dates = [DAY_2018, DAY_2025]
    staging = tmp_path_factory.mktemp("identity-exports")
    old = write_account_exports(
        staging / "old", "me", dates, format_year=2018, follower_list_for=set(), **common
    )
    new = write_account_exports(
        staging / "new", "me", dates, format_year=2026, follower_list_for=set(), **common
    )
    return old, new


def load_in_batches(root, batches: list[list]) -> Home:
    """A new home that runs `lnw run` once per batch of items."""
    home = Home(root).ensure()
    (home.inbox / "me").mkdir()
    for batch in batches:
        for path in batch:
            shutil.copy(path, home.inbox / "me")
        with contextlib.redirect_stdout(io.StringIO()):
            assert run_lnw(home, "run") == 0
    return home


@pytest.fixture(scope="module")
def in_one_run(tmp_path_factory, identity_exports) -> tuple[Home, dict[str, list[tuple]]]:
    """Both archives in one run: what every order of loading them must give."""
    old, new = identity_exports
    home = load_in_batches(tmp_path_factory.mktemp("one-run"), [[old[0].files[0], new[1].files[0]]])
    return home, identity_outcome(home)


def test_a_2018_archive_and_a_2025_one_loaded_together_give_one_person_each(
    identity_exports, in_one_run
):
    old, new = identity_exports
    home, outcome = in_one_run
    # Everyone connected at both dates at the same company is one person, keyed by slug;
    # the others of 2018 keep their weak key (nothing links them).
    stayed = {
        key
        for key in old[0].connections
        if key in new[1].connections and old[0].people[key].company == new[1].people[key].company
    }
    assert len(stayed) > 40
    keys_2018 = {
        key
        for day, key, relationship in outcome["people"]
        if day == DAY_2018 and relationship == "connection"
    }
    assert stayed <= keys_2018
    assert len(keys_2018) == len(old[0].connections)
    assert len({k for k in keys_2018 if k.startswith("name:")}) == len(
        set(old[0].connections) - stayed
    )
    # So the changes of 2025 are the real ones.
    con = duckdb.connect(str(home.published), read_only=True)
    new_connections, lost_connections = con.execute(
        "SELECT new_connections, lost_connections FROM analytics.reach WHERE snapshot_date = ?",
        [DAY_2025],
    ).fetchall()[0]
    con.close()
    assert lost_connections == len(set(old[0].connections) - stayed)
    assert new_connections == len(set(new[1].connections) - stayed)


# Two runs per order. The fast tier keeps the calendar's order; the newer archive first, whose
# people the older one must then join, is what the first test of this module does (with a
# 2023 archive) in the fast tier too, and this one in the slow tier.
@pytest.mark.parametrize(
    "first", ["2018", pytest.param("2025", marks=pytest.mark.slow)], ids=lambda y: f"{y} first"
)
def test_a_2018_archive_and_a_2025_one_give_one_person_each_in_any_order(
    tmp_path, identity_exports, in_one_run, first
):
    old, new = identity_exports
    archive_2018, archive_2025 = old[0].files[0], new[1].files[0]
    order = (
        [[archive_2018], [archive_2025]] if first == "2018" else [[archive_2025], [archive_2018]]
    )
    home = load_in_batches(tmp_path / "home", order)
    assert identity_outcome(home) == in_one_run[1]
