"""Several items make one snapshot: a Basic and a Complete archive of the same day, a follower
list beside them, and items the pipeline has no use for."""

import contextlib
import io
import zipfile

import duckdb
import pytest

from inbox.home import Home
from tests.conftest import run_lnw
from tests.ingest.corpus import CONNECTIONS, INVITATIONS, MESSAGES

LINNEA = (
    "Linnéa,Ström,https://www.linkedin.com/in/linn%C3%A9a-str%C3%B6m,,Exempel AB,HR,20 Jan 2026"
)
COMPLETE_CONNECTIONS = CONNECTIONS + "\n" + LINNEA
BASIC_CONNECTIONS = CONNECTIONS.rsplit("\n", 1)[0]  # one connection fewer
# Re-saved by Excel on Windows: cp1252, CRLF.
FOLLOWERS = (
    "Profile URL,Full Name,Headline\r\n"
    "https://www.linkedin.com/in/ana-pereira/,Ana Pereira,Data Analyst\r\n"
    "https://de.linkedin.com/in/jens-j%C3%B8rgensen,Jens Jørgensen,Geschäftsführer\r\n"
).encode("cp1252")


def write_zip(path, files):
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)


def run(home):
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        code = run_lnw(home, "run")
    return code, printed.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("snapshot-items")).ensure()
    me = home.inbox / "me"
    me.mkdir()
    basic = {"Connections.csv": BASIC_CONNECTIONS, "Invitations.csv": INVITATIONS}
    basic["messages.csv"] = MESSAGES
    write_zip(me / "Basic_LinkedInDataExport_02-01-2026.zip", basic)
    write_zip(
        me / "Complete_LinkedInDataExport_02-01-2026.zip",
        {"Connections.csv": COMPLETE_CONNECTIONS, "Profile.csv": "First Name,Last Name\nM,S\n"},
    )
    (me / "followers_2026-02-01.csv").write_bytes(FOLLOWERS)
    write_zip(me / "Profile_only_2026-02-01.zip", {"Profile.csv": "First Name,Last Name\nM,S\n"})
    # March: the Complete archive arrives first, the Basic one on the next run.
    write_zip(
        me / "Complete_LinkedInDataExport_03-01-2026.zip", {"Connections.csv": COMPLETE_CONNECTIONS}
    )
    first = run(home)
    write_zip(me / "Basic_LinkedInDataExport_03-01-2026.zip", basic)
    second = run(home)
    # The writer's file: past snapshots' rows are not in the published copy.
    con = duckdb.connect(str(home.warehouse), read_only=True)
    yield home, first, second, con
    con.close()


def reach(con) -> dict:
    rows = con.execute(
        "SELECT snapshot_date::VARCHAR, connections, followers, followers_source "
        "FROM analytics.reach ORDER BY 1"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_items_of_one_day_make_one_snapshot_and_complete_wins(runs):
    _, (code, _), (code2, _), con = runs
    assert (code, code2) == (0, 0)
    # March has no follower list of its own: February's, 28 days old, is carried to it.
    assert reach(con) == {"2026-02-01": (3, 2, "list"), "2026-03-01": (3, 2, "list")}


def test_the_basic_archive_still_gives_the_files_the_complete_one_lacks(runs):
    _, _, _, con = runs
    capacity = con.execute(
        "SELECT snapshot_date::VARCHAR, pending_outbound, active_conversations_90d "
        "FROM analytics.messaging_capacity ORDER BY 1"
    ).fetchall()
    # Ana wrote on 20 January: active in both snapshots, from the Basic archive's messages.
    assert capacity == [("2026-02-01", 1, 1), ("2026-03-01", 1, 1)]


def test_an_item_with_nothing_used_is_reported_as_such_once(runs):
    _, (_, printed), (_, again), _ = runs
    assert (
        "unused       me/Profile_only_2026-02-01.zip (holds no Connections, Invitations or "
        "messages file, follower list or FOLLOWERS sheet)" in printed
    )
    assert "quarantined" not in printed
    assert "skipped      me/Profile_only_2026-02-01.zip (already loaded)" in again
    assert again.count("loaded       ") == 1


def test_a_spreadsheet_resave_is_loaded_flagged_and_shown(runs):
    _, (_, printed), _, con = runs
    assert (
        "loaded       me/followers_2026-02-01.csv (follower list of 2026-02-01; re-saved by a "
        "spreadsheet: followers_2026-02-01.csv as cp1252)" in printed
    )
    rows = con.execute(
        "SELECT source_file, encoding, resaved FROM raw.export_files WHERE file_kind = 'followers'"
    ).fetchall()
    assert rows == [("followers_2026-02-01.csv", "cp1252", True)]
    keys = con.execute(
        "SELECT person_key, full_name FROM core.relationship_snapshots "
        "WHERE snapshot_date = '2026-02-01' AND relationship = 'follower_only'"
    ).fetchall()
    assert keys == [("jens-jørgensen", "Jens Jørgensen")]
