"""Finding the files in what users drop: names, folders and copies as browsers and systems
make them (linkedin-formats.md 1 and 13.12)."""

import datetime as dt
import zipfile

import pytest

from inbox.discovery import InboxItem, file_stem_kind, scan_inbox
from inbox.items import parse_item
from tests.ingest.corpus import CONNECTIONS, INVITATIONS, MESSAGES


@pytest.mark.parametrize(
    "name,kind",
    [
        ("Connections.csv", "connections"),
        ("CONNECTIONS.CSV", "connections"),
        ("connections.csv", "connections"),
        ("Messages.csv", "messages"),
        ("messages_1158443584.csv", "messages"),
        ("Connections_2.csv", "connections"),
        ("Some Folder/Invitations.csv", "invitations"),
        ("guide_messages.csv", None),
        ("learning_coach_messages.csv", None),
        ("Profile.csv", None),
        ("Connections.xlsx", None),
    ],
)
def test_archive_files_are_recognized_by_name(name, kind):
    assert file_stem_kind(name) == kind


def write_zip(path, files):
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)


def item_for(path) -> InboxItem:
    return InboxItem(path, "me", dt.date(2026, 2, 1), "archive", "0" * 64)


def test_split_files_are_unioned_and_macos_resource_forks_ignored(tmp_path):
    header, first, second = CONNECTIONS.rsplit("\n", 2)
    path = tmp_path / "Complete_LinkedInDataExport_02-01-2026.zip"
    write_zip(
        path,
        {
            "Complete_LinkedInDataExport_02-01-2026/Connections_1.csv": f"{header}\n{first}",
            "Complete_LinkedInDataExport_02-01-2026/Connections_2.csv": f"{header}\n{second}",
            "__MACOSX/Complete_LinkedInDataExport_02-01-2026/._Connections_1.csv": b"\0\5\x16",
            "__MACOSX/._messages.csv": b"\0\5\x16\7",
            "Complete_LinkedInDataExport_02-01-2026/Invitations.csv": INVITATIONS,
        },
    )
    parsed = parse_item(item_for(path), "salt").files
    connections = [p for p in parsed if p.file_kind == "connections"]
    assert [p.frame.height for p in connections] == [1, 1]
    assert {p.file_kind for p in parsed} == {"connections", "invitations"}


def test_browser_copies_and_extracted_folders_are_items_with_their_dates(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "team-a").mkdir(parents=True)
    files = {"Connections.csv": CONNECTIONS, "messages.csv": MESSAGES}
    write_zip(inbox / "Basic_LinkedInDataExport_02-01-2026 (1).zip", files)
    write_zip(inbox / "team-a" / "Complete_LinkedInDataExport_03-05-2026.zip.zip", files)
    folder = inbox / "team-a" / "Complete_LinkedInDataExport_04-09-2026 (2)" / "nested"
    folder.mkdir(parents=True)
    (folder / "Connections.csv").write_text(CONNECTIONS)
    (inbox / "team-a" / "notes.txt").write_text("not an export")
    scan = scan_inbox(inbox)
    found = {(i.account, i.observed_on.isoformat(), i.kind) for i in scan.items}
    assert found == {
        ("me", "2026-02-01", "archive"),
        ("team-a", "2026-03-05", "archive"),
        ("team-a", "2026-04-09", "archive"),
    }
    assert [p.name for p in scan.ignored] == ["notes.txt"]
    nested = next(i for i in scan.items if i.observed_on == dt.date(2026, 4, 9))
    assert [p.source_file for p in parse_item(nested, "salt").files] == ["nested/Connections.csv"]


def test_a_scan_for_one_account_finds_only_its_items(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "team-a").mkdir(parents=True)
    files = {"Connections.csv": CONNECTIONS}
    write_zip(inbox / "Basic_LinkedInDataExport_02-01-2026.zip", files)
    write_zip(inbox / "team-a" / "Basic_LinkedInDataExport_03-05-2026.zip", files)
    # Another account's dangling link: a scan lists it (hashing the link, never what it
    # points at; reading it refuses it), a scan for team-a leaves it out.
    (inbox / "team-b").mkdir()
    (inbox / "team-b" / "followers_2026-03-05.csv").symlink_to(tmp_path / "gone.csv")
    assert {i.account for i in scan_inbox(inbox).items} == {"me", "team-a", "team-b"}

    team_a = scan_inbox(inbox, "team-a").items
    me = scan_inbox(inbox, "me").items

    assert [(i.account, i.observed_on) for i in team_a] == [("team-a", dt.date(2026, 3, 5))]
    assert [(i.account, i.observed_on) for i in me] == [("me", dt.date(2026, 2, 1))]
