"""The home keeps what the warehouse needs and no more: no email and no message text anywhere
under it but the member's own inbox, the archive reads again into the same warehouse, and
everything the project creates is its owner's alone."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import stat
import zipfile
from pathlib import Path

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw

DAYS = [dt.date(2026, 10, 2), dt.date(2026, 10, 30)]
# Written by hand beside the samples: every private column the exports carry, each value
# long and distinctive enough that finding it anywhere means it was kept.
SECRET_EMAIL = "ana.hidden-mailbox@example.org"
SECRET_BODY = "the private body text of a message 7391"
SECRET_SUBJECT = "a private subject line 2284"
SECRET_TITLE = "a private conversation title 5120"
SECRET_NOTE = "a private invitation note 6613"
HAND_MADE = {
    "Connections.csv": (
        'Notes:\n"When exporting your connection data, you may notice..."\n\n'
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        f"Ana,Hidden,https://www.linkedin.com/in/ana-hidden,{SECRET_EMAIL},Example Corp,"
        "Data Analyst,27 Sep 2026\n"
        "Jonas,Lind,https://www.linkedin.com/in/jonaslind,,Acme,Director,03 Jan 2019\n"
    ),
    "Invitations.csv": (
        "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl\n"
        f'Maria Silva,Ken Ito,"9/27/26, 7:35 AM",{SECRET_NOTE},OUTGOING,'
        "https://www.linkedin.com/in/maria-silva,https://www.linkedin.com/in/ken-ito\n"
    ),
    "messages.csv": (
        "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,"
        "DATE,SUBJECT,CONTENT,FOLDER\n"
        f"c1,{SECRET_TITLE},Ana Hidden,https://www.linkedin.com/in/ana-hidden,Maria Silva,"
        f"https://www.linkedin.com/in/maria-silva,2026-09-20 10:00:00 UTC,{SECRET_SUBJECT},"
        f'"{SECRET_BODY}, with a comma",INBOX\n'
        "c2,Sponsored Conversation,Promo,,Maria Silva,https://www.linkedin.com/in/maria-silva,"
        "2026-09-21 10:00:00 UTC,,Buy now,INBOX\n"
    ),
}
PRIVATE_COLUMNS = {
    "Email Address": "email",
    "CONTENT": "body",
    "SUBJECT": "subject",
    "CONVERSATION TITLE": "title",
    "Message": "note",
}


def _zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def private_values(inbox: Path) -> dict[str, set[str]]:
    """Every email, message body, subject, conversation title and invitation note in the
    inbox's archives, by kind: what must be found nowhere else in the home."""
    found: dict[str, set[str]] = {kind: set() for kind in PRIVATE_COLUMNS.values()}
    for path in inbox.rglob("*"):
        files: dict[str, bytes] = {}
        if path.suffix == ".zip":
            files = _zip_members(path)
        elif path.suffix == ".csv":
            files = {path.name: path.read_bytes()}
        for data in files.values():
            text = data.decode("utf-8-sig", errors="replace")
            lines = text.splitlines(keepends=True)
            start = next((i for i, line in enumerate(lines) if line.count(",") >= 3), 0)
            for row in csv.DictReader(io.StringIO("".join(lines[start:]))):
                for column, kind in PRIVATE_COLUMNS.items():
                    value = (row.get(column) or "").strip()
                    # Short values ("Hi", "Thanks!") and the one fact kept are not secrets.
                    if len(value) >= 12 and value != "Sponsored Conversation":
                        found[kind].add(value)
    return found


def home_bytes(home: Home) -> list[tuple[Path, bytes]]:
    """Every file under the home but the inbox (and refused items, which are the member's
    own files, moved), zips and workbooks opened, and every text value of each DuckDB file:
    its own pages may hold strings compressed."""
    out = []
    for path in sorted(home.root.rglob("*")):
        relative = path.relative_to(home.root)
        if relative.parts[0] == "inbox" or not path.is_file() or path.is_symlink():
            continue
        if relative.parts[0] == "quarantine" and not path.name.endswith(".reason.txt"):
            continue
        data = path.read_bytes()
        out.append((path, data))
        if zipfile.is_zipfile(path):
            out.extend((path / name, member) for name, member in _zip_members(path).items())
        if data.startswith(b"DUCK", 8) or path.suffix == ".duckdb":
            out.append((path, duckdb_text(path).encode()))
    return out


def duckdb_text(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = []
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            parts.extend(str(value) for row in rows for value in row)
        return "\n".join(parts)
    finally:
        con.close()


def assert_none_found(home: Home, secrets: dict[str, set[str]]) -> None:
    contents = home_bytes(home)
    assert any(p.suffix == ".duckdb" for p, _ in contents)
    assert any("archive" in p.parts for p, _ in contents)
    for kind, values in secrets.items():
        for value in values:
            needle = value.encode()
            holders = [str(p) for p, data in contents if needle in data]
            assert not holders, f"{kind} {value!r} found in {holders}"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("private-home")).ensure()
    write_account_exports(
        home.inbox, "me", DAYS, n_connections=40, n_followers=40, n_messages=60, seed=21
    )
    folder = home.inbox / "hand"
    folder.mkdir()
    with zipfile.ZipFile(folder / "Basic_LinkedInDataExport_10-01-2026.zip", "w") as bundle:
        for name, text in HAND_MADE.items():
            bundle.writestr(name, text)
    secrets = private_values(home.inbox)
    assert run_lnw(home, "run") == 0
    assert run_lnw(home, "docs", "--no-open") == 0
    assert run_lnw(home, "report") == 0
    return home, secrets


def test_the_exports_are_full_of_private_values(loaded):
    _, secrets = loaded
    assert len(secrets["email"]) >= 2 and len(secrets["body"]) >= 5
    for kind, value in [
        ("email", SECRET_EMAIL),
        ("body", SECRET_BODY + ", with a comma"),
        ("subject", SECRET_SUBJECT),
        ("title", SECRET_TITLE),
        ("note", SECRET_NOTE),
    ]:
        assert value in secrets[kind]


def test_no_email_or_message_text_is_anywhere_in_the_home_but_the_inbox(loaded):
    home, secrets = loaded
    assert (home.root / "data_docs").exists() and (home.root / "report.html").exists()
    assert any(home.dagster.rglob("*.db"))
    assert_none_found(home, secrets)


def test_the_archive_keeps_the_columns_read_and_the_one_fact_of_a_title(loaded):
    home, _ = loaded
    con = duckdb.connect(str(home.warehouse), read_only=True)
    (kept,) = con.execute("SELECT archive_path FROM raw.exports WHERE account = 'hand'").fetchone()
    con.close()
    members = _zip_members(home.root / kept)
    assert set(members) == set(HAND_MADE)
    messages = members["messages.csv"].decode()
    assert messages.splitlines()[0] == (
        "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,RECIPIENT PROFILE URLS,"
        "DATE,IS MESSAGE DRAFT,IS CONVERSATION DRAFT"
    )
    assert "Sponsored Conversation" in messages
    assert "Message" not in members["Invitations.csv"].decode().splitlines()[0]
    assert "salted:" in members["Connections.csv"].decode()


def comparable(path: Path) -> dict[str, list]:
    """Every table's rows, without what names a load rather than the data: ids derived from
    the item's bytes (the kept copy's differ from the item's) and the times of the load."""
    skip = {
        "export_id",
        "export_ids",
        "content_sha256",
        "archive_path",
        "loaded_at",
        "built_at",
        "merged_at",
        "judged_at",
    }
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_name <> 'history_merges' "
            "AND table_schema <> 'main'"
        ).fetchall()
        for schema, table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                    [schema, table],
                ).fetchall()
                if c not in skip
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {listed} FROM "{schema}"."{table}"').fetchall()
            out[f"{schema}.{table}"] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def test_reading_the_archive_again_gives_the_same_warehouse(loaded, tmp_path):
    home, _ = loaded
    again = Home(tmp_path / "again").ensure()
    shutil.copy(home.root / ".email-salt", again.root / ".email-salt")
    con = duckdb.connect(str(home.warehouse), read_only=True)
    kept = con.execute("SELECT account, item_name, archive_path FROM raw.exports").fetchall()
    con.close()
    for account, name, path in kept:
        target = again.inbox / account / name
        target.parent.mkdir(parents=True, exist_ok=True)
        source = home.root / path
        if name.endswith(".zip") or source.suffix != ".zip":
            shutil.copy(source, target)
        else:  # an extracted folder was kept as a zip: extract it again
            with zipfile.ZipFile(source) as bundle:
                bundle.extractall(target)
    assert run_lnw(again, "run") == 0
    assert comparable(again.warehouse) == comparable(home.warehouse)


def modes(home: Home) -> dict[str, int]:
    found = {}
    for top, folders, files in os.walk(home.root):
        for name in folders + files:
            path = Path(top) / name
            relative = path.relative_to(home.root)
            if relative.parts[0] == "inbox" and len(relative.parts) > 1:
                continue  # the member's own files
            found[relative.as_posix()] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_everything_created_is_owner_only_whatever_the_umask(tmp_path):
    previous = os.umask(0o002)
    try:
        home = Home(tmp_path / "home")
        assert run_lnw(home, "demo") in (0, 2)
        assert run_lnw(home, "docs", "--no-open") == 0
        (home.inbox / "me").mkdir(exist_ok=True)
        (home.inbox / "me" / "broken_2026-12-01.zip").write_text("not a zip")
        assert run_lnw(home, "run") == 2
    finally:
        os.umask(previous)
    found = modes(home)
    for expected in ("warehouse.duckdb", "published/warehouse.duckdb", "report.html",
                     "archive", "quarantine/me/broken_2026-12-01.zip", "locks", "gx",
                     "data_docs", "dagster", ".email-salt"):  # fmt: skip
        assert any(p == expected or p.startswith(expected + "/") for p in found), expected
    loose = {path: oct(mode) for path, mode in found.items() if mode & 0o077 or not mode & 0o600}
    assert not loose
