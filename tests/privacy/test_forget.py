"""`lnw forget PROFILE_URL` erases one person from every table of the warehouse and the
readers' copy, from the archive and from the kept validation results and Data Docs: the same
search as the privacy test finds nothing of them afterwards, and everyone else stays."""

import zipfile

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw
from tests.privacy.test_privacy import DAYS, HAND_MADE, home_bytes, private_values

OLD_CONNECTIONS = (
    "First Name,Last Name,Email Address,Company,Position,Connected On\n"
    "Ana,Hidden,,Example Corp,Data Analyst,03 Jan 2019\n"
    "Jonas,Lind,,Acme,Director,03 Jan 2019\n"
)
FOLLOWERS = (
    "profileUrl,fullName,headline\n"
    "https://linkedin.com/in/Ana-Hidden/?trk=abc,Ana Hidden,Analyst\n"
    "https://www.linkedin.com/in/jonaslind,Jonas Lind,Director\n"
)


def people(path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT person_key FROM core.relationship_history").fetchall()
        return {k for (k,) in rows}
    finally:
        con.close()


@pytest.fixture(scope="module")
def forgotten(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("forget-home")).ensure()
    write_account_exports(
        home.inbox, "me", DAYS, n_connections=30, n_followers=30, n_messages=30, seed=4
    )
    folder = home.inbox / "hand"
    folder.mkdir()
    with zipfile.ZipFile(folder / "Basic_LinkedInDataExport_01-15-2023.zip", "w") as bundle:
        bundle.writestr("Connections.csv", OLD_CONNECTIONS)
    with zipfile.ZipFile(folder / "Basic_LinkedInDataExport_10-01-2026.zip", "w") as bundle:
        for name, text in HAND_MADE.items():
            bundle.writestr(name, text)
    (folder / "followers_2026-10-01.csv").write_text(FOLLOWERS)
    secrets = private_values(home.inbox)
    assert run_lnw(home, "run") == 0
    before = people(home.published)
    assert run_lnw(home, "forget", "HTTPS://WWW.LINKEDIN.COM/in/ana-hidden/") == 0
    return home, before, secrets


def test_they_were_there_before(forgotten):
    _, before, _ = forgotten
    assert {"ana-hidden", "jonaslind"} <= before


def test_nothing_of_them_is_left_anywhere_in_the_home_but_the_inbox(forgotten):
    home, _, secrets = forgotten
    contents = home_bytes(home)
    for needle in (b"ana-hidden", b"Ana-Hidden", b"Hidden", b"hidden-mailbox"):
        holders = [str(p) for p, data in contents if needle in data]
        assert not holders, (needle, holders)
    for values in secrets.values():
        for value in values:
            assert not [p for p, data in contents if value.encode() in data], value


def test_everyone_else_stays_and_the_account_is_rebuilt(forgotten):
    home, before, _ = forgotten
    for path in (home.warehouse, home.published):
        assert people(path) == before - {"ana-hidden"}
    con = duckdb.connect(str(home.published), read_only=True)
    rows = con.execute(
        "SELECT snapshot_date, connections FROM analytics.reach WHERE account = 'hand' "
        "ORDER BY 1 DESC LIMIT 1"
    ).fetchall()
    con.close()
    assert rows[0][1] == 1  # Jonas alone


def test_a_url_that_is_not_a_profile_is_one_sentence(tmp_path, capsys):
    home = Home(tmp_path / "home").ensure()
    assert run_lnw(home, "forget", "https://www.linkedin.com/company/acme") == 1
    err = capsys.readouterr().err
    assert "PROFILE_URL='https://www.linkedin.com/company/acme' is not valid" in err
    assert not home.warehouse.exists()
