"""The limits of archive-like inputs that need too much data to show at their real size:
shown with smaller limits, on items of a few kilobytes."""

import datetime as dt
import io
import zipfile

import pytest
import xlsxwriter

import inbox.members as members
from inbox.discovery import InboxItem
from inbox.items import parse_item
from inbox.members import ItemRefused
from tests.ingest.corpus import CONNECTIONS

DAY = dt.date(2026, 2, 1)


def item(path, kind="archive") -> InboxItem:
    return InboxItem(path, "me", DAY, kind, "0" * 64)


def test_a_zip_of_too_many_files_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(members, "MAX_MEMBERS", 5)
    path = tmp_path / "many_2026-02-01.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("Connections.csv", CONNECTIONS)
        for number in range(5):
            bundle.writestr(f"Ad_{number}.csv", "x")
    with pytest.raises(ItemRefused, match=r"holds 6 files, over the limit of 5"):
        parse_item(item(path), "salt")


def test_a_member_read_stops_at_its_declared_size(tmp_path):
    """A member whose header declares fewer bytes than it holds is read to the declared size
    only, and refused: its CRC no longer matches."""
    path = tmp_path / "liar_2026-02-01.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr("Connections.csv", CONNECTIONS)
    data = bytearray(path.read_bytes())
    declared = len(CONNECTIONS) // 2
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        data[at : at + 4] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ItemRefused, match="damaged") as refused:
        parse_item(item(path), "salt")
    assert refused.value.member == "Connections.csv"


def test_a_workbook_over_its_unpacked_limit_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(members, "MAX_WORKBOOK_BYTES", 4096)
    path = tmp_path / "Content_2026-01-01_2026-02-01_big.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("FOLLOWERS")
    sheet.write_row(0, 0, ["Total followers on 2/1/2026", "1,204"])
    book.close()
    with pytest.raises(ItemRefused, match=r"would unpack to .* limit for the whole item"):
        parse_item(item(path, "follower_analytics"), "salt")


def test_a_linked_workbook_is_refused_unread(tmp_path):
    outside = tmp_path / "elsewhere.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("xl/workbook.xml", "<workbook/>")
    outside.write_bytes(buffer.getvalue())
    link = tmp_path / "Content_2026-01-01_2026-02-01_link.xlsx"
    link.symlink_to(outside)
    with pytest.raises(ItemRefused, match="symbolic link"):
        parse_item(item(link, "follower_analytics"), "salt")
