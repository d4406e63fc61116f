"""People of URL-less (pre-2024) exports are linked to the same person of the account's
URL-bearing exports where name and company agree."""

import contextlib
import datetime as dt
import io
import shutil

import duckdb

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
