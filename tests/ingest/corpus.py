"""Malformed inbox items, each built from a few bytes, with what its reason file must say.

Every case is one item a user could really drop: a download cut short, a hostile zip, a file
re-saved or renamed by hand. The good files below are the smallest valid exports; each case
breaks one thing.
"""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DAY = "2026-02-01"
US_DAY = "02-01-2026"

CONNECTIONS = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses '
    'are missing."\n'
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Ana,Pereira,https://www.linkedin.com/in/ana-pereira,,Example Corp,Data Analyst,27 Jan 2026\n"
    'Jonas,Lind,https://www.linkedin.com/in/jonaslind,,"Acme, Inc.","Director, Sales",03 Jan 2019'
)
INVITATIONS = (
    "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl\n"
    'Maria Silva,Ken Ito,"1/27/26, 7:35 AM",,OUTGOING,https://www.linkedin.com/in/maria-silva,'
    "https://www.linkedin.com/in/ken-ito\n"
)
MESSAGES = (
    "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,"
    "SUBJECT,CONTENT,FOLDER\n"
    "c1,,Ana Pereira,https://www.linkedin.com/in/ana-pereira,Maria Silva,"
    "https://www.linkedin.com/in/maria-silva,2026-01-20 10:00:00 UTC,,Hello there,INBOX\n"
)
FOLLOWERS = "profileUrl,fullName,headline\nhttps://www.linkedin.com/in/ana-pereira,Ana P,CEO\n"


@dataclass(frozen=True)
class Case:
    name: str  # the item's file name in inbox/me/
    build: Callable[[Path], None]
    says: str  # a phrase the reason must contain (case-insensitive)
    member: str | None = None  # the file inside the archive (or sheet) the reason names
    row: int | None = None  # the data row the reason names


def zip_of(files: dict[str, bytes | str], **info) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, data in files.items():
                entry = zipfile.ZipInfo(name, date_time=(2026, 2, 1, 12, 0, 0))
                entry.compress_type = info.get("compress_type", zipfile.ZIP_DEFLATED)
                bundle.writestr(entry, data)

    return build


def export_with(**replace: bytes | str) -> Callable[[Path], None]:
    """A whole archive whose named files are replaced (None drops one)."""
    files: dict[str, bytes | str] = {
        "Connections.csv": CONNECTIONS,
        "Invitations.csv": INVITATIONS,
        "messages.csv": MESSAGES,
    }
    for name, data in replace.items():
        files[name.replace("__", ".")] = data
    return zip_of(files)


def raw_file(data: bytes | str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    return build


def truncated(path: Path) -> None:
    export_with()(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def crc_damaged(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr("Connections.csv", CONNECTIONS)
    data = bytearray(path.read_bytes())
    spot = data.index(b"Ana,Pereira")
    data[spot] = ord("X")  # the stored CRC no longer matches
    path.write_bytes(bytes(data))


def _patch_headers(path: Path, local_offset: int, central_offset: int, value: int) -> None:
    """Overwrite a 2-byte field of the first local header and central directory entry."""
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04") + local_offset
    central = data.index(b"PK\x01\x02") + central_offset
    data[local : local + 2] = value.to_bytes(2, "little")
    data[central : central + 2] = value.to_bytes(2, "little")
    path.write_bytes(bytes(data))


def encrypted(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr("Connections.csv", CONNECTIONS)
    _patch_headers(path, 6, 8, 0x1)  # general-purpose flag bit 0: encrypted


def unknown_compression(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr("Connections.csv", CONNECTIONS)
    _patch_headers(path, 8, 10, 98)  # compression method 98: PPMd (7-Zip)


def bomb(path: Path) -> None:
    zip_of({"Connections.csv": b"\0" * (8 * 1024**2)})(path)


def incompressible_text(megabytes: float) -> str:
    rng = random.Random(7)
    return "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz,\n") for _ in range(int(megabytes * 1024**2))
    )


def big_member(path: Path) -> None:
    zip_of({"Connections.csv": incompressible_text(1.3)})(path)


def garbage(size: int = 3000) -> bytes:
    return random.Random(3).randbytes(size)


def broken_folder(path: Path) -> None:
    path.mkdir()
    (path / "Connections.csv").write_text(CONNECTIONS.replace("27 Jan 2026", "yesterday"))
    (path / "Invitations.csv").write_text(INVITATIONS)


def symlinked_folder(path: Path) -> None:
    path.mkdir()
    outside = path.parents[2] / "outside-the-inbox.csv"  # the home, beside the inbox
    outside.write_text(CONNECTIONS)
    (path / "Connections.csv").symlink_to(outside)


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("[Content_Types].xml", "<Types/>")
        bundle.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def broken_workbook(path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("FOLLOWERS")
    sheet.write_row(0, 0, ["Total followers on 2/1/2026", "1,204"])
    sheet.write_row(2, 0, ["Date", "New followers"])
    sheet.write_row(3, 0, ["1/31/2026", "4"])
    sheet.write_row(4, 0, ["2/1/2026", "n/a"])
    book.close()


def split_bomb(path: Path) -> None:
    """A bomb of small members: each under the 1 MiB below which one member's ratio is not
    judged, together far over the ratio allowed for the whole item."""
    files: dict[str, bytes | str] = {"Connections.csv": CONNECTIONS}
    for number in range(12):
        files[f"Ad_Targeting_{number}.csv"] = b" " * (1024**2 - 4096)
    zip_of(files)(path)


def workbook_bomb(path: Path) -> None:
    """A valid analytics workbook with one sheet that inflates from kilobytes to 20 MB."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("FOLLOWERS")
    sheet.write_row(0, 0, ["Total followers on 2/1/2026", "1,204"])
    book.close()
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("xl/worksheets/sheet9.xml", "<row/>" * (20 * 1024**2 // 6))


def linked_member(path: Path) -> None:
    """A zip whose Connections.csv is a symbolic link (Unix mode in the attributes)."""
    import stat

    with zipfile.ZipFile(path, "w") as bundle:
        entry = zipfile.ZipInfo("Connections.csv", date_time=(2026, 2, 1, 12, 0, 0))
        entry.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(entry, "/etc/passwd")


def folder_with_a_linked_extra(path: Path) -> None:
    """A valid extracted export beside a link, in a file the pipeline does not even read, to
    a file outside the home: nothing of the item is read or copied."""
    path.mkdir()
    (path / "Connections.csv").write_text(CONNECTIONS)
    outside = path.parents[3] / "secret-outside-the-home.txt"
    outside.write_text("a secret outside the home\n")
    (path / "Profile.csv").symlink_to(outside)


def twice_named(path: Path) -> None:
    import warnings

    with zipfile.ZipFile(path, "w") as bundle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it is told to write
        bundle.writestr("Connections.csv", CONNECTIONS)
        bundle.writestr("Connections.csv", CONNECTIONS.replace("Ana,Pereira", "Eve,Other"))


def _many_rows(count: int) -> str:
    rows = [
        f"Person{n},Row{n},https://www.linkedin.com/in/person-{n},,Example Corp,Engineer,"
        "27 Jan 2026"
        for n in range(count)
    ]
    return CONNECTIONS + "\n" + "\n".join(rows) + "\n"


NUL_ROW = 150  # past the first 4 KiB, which were the only bytes looked at before


def _header_line(text: str) -> str:
    return text.split("\n")[3]


CASES: list[Case] = [
    # ---- the archive itself ----
    Case(f"Basic_LinkedInDataExport_{US_DAY} truncated.zip", truncated, "not a readable zip"),
    Case(f"empty_{DAY}.zip", raw_file(b""), "not a readable zip"),
    Case(
        f"not_a_zip_{DAY}.zip",
        raw_file("this is a text file renamed to .zip\n"),
        "not a readable zip",
    ),
    Case(
        f"html_download_{DAY}.zip",
        raw_file("<!DOCTYPE html><html>Sign in</html>"),
        "not a readable zip",
    ),
    Case(
        f"zipslip_{DAY}.zip",
        zip_of({"../../evil/Connections.csv": CONNECTIONS}),
        "zip-slip",
        member="../../evil/Connections.csv",
    ),
    Case(
        f"zipslip_absolute_{DAY}.zip",
        zip_of({"/etc/Connections.csv": CONNECTIONS}),
        "zip-slip",
        member="/etc/Connections.csv",
    ),
    Case(
        f"zipslip_windows_{DAY}.zip",
        zip_of({"..\\..\\Connections.csv": CONNECTIONS}),
        "zip-slip",
        member="..\\..\\Connections.csv",
    ),
    Case(
        f"zipslip_drive_{DAY}.zip",
        zip_of({"C:/Users/x/Connections.csv": CONNECTIONS}),
        "zip-slip",
        member="C:/Users/x/Connections.csv",
    ),
    Case(f"bomb_{DAY}.zip", bomb, "zip bomb", member="Connections.csv"),
    Case(f"oversized_member_{DAY}.zip", big_member, "LNW_MAX_FILE_MB", member="Connections.csv"),
    Case(f"crc_damaged_{DAY}.zip", crc_damaged, "damaged", member="Connections.csv"),
    Case(f"encrypted_{DAY}.zip", encrypted, "password-protected", member="Connections.csv"),
    Case(
        f"ppmd_compressed_{DAY}.zip",
        unknown_compression,
        "compression method",
        member="Connections.csv",
    ),
    Case(f"split_bomb_{DAY}.zip", split_bomb, "for the whole item"),
    Case(f"linked_member_{DAY}.zip", linked_member, "symbolic link", member="Connections.csv"),
    Case(f"twice_named_{DAY}.zip", twice_named, "two files named", member="Connections.csv"),
    Case(
        f"Basic_LinkedInDataExport_{US_DAY} linked extra",
        folder_with_a_linked_extra,
        "symbolic link",
        member="Profile.csv",
    ),
    # ---- Connections.csv ----
    Case(
        f"pipe_delimited_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.replace(",", "|")),
        "no header with the columns",
        member="Connections.csv",
    ),
    Case(
        f"missing_column_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.replace(",Connected On", "")),
        "no header with the columns",
        member="Connections.csv",
    ),
    Case(
        f"header_only_{DAY}.zip",
        export_with(Connections__csv=_header_line(CONNECTIONS) + "\n"),
        "header but no rows",
        member="Connections.csv",
    ),
    Case(
        f"preamble_only_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.split("First Name")[0]),
        "no header with the columns",
        member="Connections.csv",
    ),
    Case(
        f"empty_member_{DAY}.zip",
        export_with(Connections__csv=b""),
        "is empty",
        member="Connections.csv",
    ),
    Case(
        f"blank_member_{DAY}.zip",
        export_with(Connections__csv=b"\n\r\n   \n"),
        "is empty",
        member="Connections.csv",
    ),
    Case(
        f"binary_garbage_{DAY}.zip",
        export_with(Connections__csv=garbage()),
        "binary",
        member="Connections.csv",
    ),
    Case(
        f"nul_far_in_{DAY}.zip",
        export_with(
            Connections__csv=_many_rows(300).replace(
                f"Row{NUL_ROW - 3},https", f"Row{NUL_ROW - 3}\0,https"
            )
        ),
        "binary data",
        member="Connections.csv",
        row=NUL_ROW,
    ),
    Case(
        f"utf16_no_bom_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.encode("utf-16-le")),
        "UTF-16 without a byte-order mark",
        member="Connections.csv",
    ),
    Case(
        f"xlsx_renamed_{DAY}.zip",
        export_with(Connections__csv=xlsx_bytes()),
        "binary",
        member="Connections.csv",
    ),
    Case(
        f"bad_date_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.replace("03 Jan 2019", "sometime in 2019")),
        "not a date",
        member="Connections.csv",
        row=2,
    ),
    Case(
        f"too_many_fields_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.replace("27 Jan 2026", "27 Jan 2026,extra,more")),
        "fields where the header has 7",
        member="Connections.csv",
        row=1,
    ),
    Case(
        f"too_few_fields_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.replace(",Data Analyst,27 Jan 2026", "")),
        "fields where the header has 7",
        member="Connections.csv",
        row=1,
    ),
    Case(
        f"unclosed_quote_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.replace('"Acme, Inc."', '"Acme, Inc.')),
        "quoting is broken",
        member="Connections.csv",
        row=2,
    ),
    Case(
        f"duplicate_column_{DAY}.zip",
        export_with(Connections__csv=CONNECTIONS.replace(",Position,", ",Company,")),
        "twice in its header",
        member="Connections.csv",
    ),
    Case(
        f"html_as_csv_{DAY}.zip",
        export_with(
            Connections__csv="<!DOCTYPE html>\n<html><body>Sign in to LinkedIn</body></html>"
        ),
        "no header with the columns",
        member="Connections.csv",
    ),
    Case(
        f"Complete_LinkedInDataExport_{US_DAY} broken",
        broken_folder,
        "not a date",
        member="Connections.csv",
        row=1,
    ),
    Case(
        f"Basic_LinkedInDataExport_{US_DAY} linked",
        symlinked_folder,
        "symbolic link",
        member="Connections.csv",
    ),
    # ---- Invitations.csv ----
    Case(
        f"invitations_direction_{DAY}.zip",
        export_with(Invitations__csv=INVITATIONS.replace("OUTGOING", "SIDEWAYS")),
        "expected OUTGOING or INCOMING",
        member="Invitations.csv",
        row=1,
    ),
    Case(
        f"invitations_bad_date_{DAY}.zip",
        export_with(Invitations__csv=INVITATIONS.replace('"1/27/26, 7:35 AM"', "next tuesday")),
        "not a date",
        member="Invitations.csv",
        row=1,
    ),
    Case(
        f"invitations_missing_column_{DAY}.zip",
        export_with(Invitations__csv=INVITATIONS.replace("Direction,", "Dir,")),
        "no header with the columns",
        member="Invitations.csv",
    ),
    # ---- messages.csv ----
    Case(
        f"messages_bad_date_{DAY}.zip",
        export_with(messages__csv=MESSAGES.replace("2026-01-20 10:00:00 UTC", "20/01/2026 25:99")),
        "not a date",
        member="messages.csv",
        row=1,
    ),
    Case(
        f"messages_missing_date_{DAY}.zip",
        export_with(messages__csv=MESSAGES.replace(",DATE,", ",WHEN,")),
        "no header with the columns",
        member="messages.csv",
    ),
    # ---- follower lists ----
    Case(f"followers_garbage_{DAY}.csv", raw_file(garbage()), "binary"),
    Case(f"followers_empty_{DAY}.csv", raw_file(b""), "is empty"),
    Case(
        f"followers_header_only_{DAY}.csv",
        raw_file("profileUrl,fullName,headline\n"),
        "header but no rows",
    ),
    Case(
        f"followers_no_url_{DAY}.csv",
        raw_file("fullName,headline\nAna P,CEO\n"),
        "no header with the columns",
    ),
    Case(
        f"followers_utf16_no_bom_{DAY}.csv",
        raw_file(FOLLOWERS.encode("utf-16-le")),
        "UTF-16 without a byte-order mark",
    ),
    # ---- follower analytics workbooks ----
    Case(f"Content_{DAY}_garbage.xlsx", raw_file(garbage()), "not a readable Excel workbook"),
    Case(
        f"Content_2025-02-02_{DAY}_text.xlsx",
        broken_workbook,
        "a number of new followers",
        member="FOLLOWERS",
        row=5,
    ),
    Case(
        f"Content_2025-02-02_{DAY}_bomb.xlsx",
        workbook_bomb,
        "zip bomb",
        member="xl/worksheets/sheet9.xml",
    ),
    Case(
        f"followers_too_big_{DAY}.csv",
        raw_file(FOLLOWERS + incompressible_text(1.2)),
        "LNW_MAX_FILE_MB",
    ),
]


def write_case(case: Case, folder: Path) -> Path:
    path = folder / case.name
    if path.exists():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    case.build(path)
    return path
