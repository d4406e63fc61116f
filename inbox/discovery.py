"""What users drop in the inbox: finding items and naming the date each observes.

An item is an archive (LinkedIn's zip, or the folder it extracts to), a follower list CSV or
LinkedIn's follower analytics workbook, found in ``inbox/<account>/`` (or directly in the
inbox, for account ``me``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

DEFAULT_ACCOUNT = "me"
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# The archive files the pipeline reads; everything else in an archive is listed as ignored.
ARCHIVE_FILES = ("connections", "invitations", "messages")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


# How an item's date was found: in its name, or from its modification time.
DATED_BY_NAME, DATED_BY_MODIFIED = "name", "modified"


@dataclass(frozen=True)
class InboxItem:
    path: Path
    account: str
    observed_on: dt.date  # the date the item observes the account at
    kind: str  # archive | follower_list | follower_analytics
    sha256: str
    dated_by: str = DATED_BY_NAME

    @property
    def export_id(self) -> str:
        """Content hash scoped to the account: the same bytes dropped again for one account
        are skipped, but two accounts never share an export (a team may pass a file around)."""
        return hashlib.sha256(f"{self.account}\0{self.sha256}".encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class InboxScan:
    items: list[InboxItem] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)

    def of_account(self, account: str) -> list[InboxItem]:
        return [item for item in self.items if item.account == account]


def shown(text: str) -> str:
    """``text`` safe to print on a terminal or write on one line: control characters (a
    newline in a file name, an escape sequence) are shown escaped, as ``\\n``, never acted
    on; other characters, accents included, are kept."""
    return "".join(repr(c)[1:-1] if unicodedata.category(c).startswith("C") else c for c in text)


def observed_date_of(path: Path, *, last: bool = False) -> tuple[dt.date, str]:
    """The date an item observes: a date in its name (``YYYY-MM-DD`` or LinkedIn's
    ``MM-DD-YYYY``), else its modification date (UTC), and which of the two it is. With
    ``last``, the last date of the name (an analytics workbook is named
    ``Content_<start>_<end>_<name>.xlsx``: its data reach to the end date)."""
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_US_DATE, (2, 0, 1))):
        matches = list(pattern.finditer(path.name))
        for match in reversed(matches) if last else matches:
            parts = [int(match.group(i + 1)) for i in order]
            try:
                return dt.date(*parts), DATED_BY_NAME
            except ValueError:
                continue
    # lstat: a link is dated by itself (and refused when read), never by what it points at.
    return dt.datetime.fromtimestamp(path.lstat().st_mtime, dt.UTC).date(), DATED_BY_MODIFIED


def file_stem_kind(name: str) -> str | None:
    """Which archive file a member name is: case, spaces and underscores, member-id and split
    suffixes (``messages_1158443584.csv``, ``Connections_2.csv``) are all tolerated."""
    stem = PurePosixPath(name).name
    if not stem.lower().endswith(".csv"):
        return None
    base = re.sub(r"(_\d+)+$", "", stem[:-4]).replace(" ", "_").lower()
    return base if base in ARCHIVE_FILES else None


def _looks_like_archive_folder(folder: Path) -> bool:
    return any(file_stem_kind(p.name) for p in folder.rglob("*.csv") if "__MACOSX" not in p.parts)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    if path.is_symlink():
        # A link is refused when the item is read; hashing must not read what it points at.
        digest.update(b"symbolic link\0" + os.fsencode(os.readlink(path)))
        return digest.hexdigest()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_symlink() or p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(_sha256_file(path).encode())
    return digest.hexdigest()


def _classify(path: Path) -> str | None:
    name = path.name.lower()
    if path.is_dir():
        return "archive" if _looks_like_archive_folder(path) else None
    if name.endswith(".zip"):
        return "archive"
    if name.endswith(".csv") and "follower" in name:
        return "follower_list"
    if name.endswith(".xlsx") and not name.startswith("~$"):  # ~$: Excel's lock file
        return "follower_analytics"
    return None


def scan_inbox(inbox: Path, account: str | None = None) -> InboxScan:
    """Every item in the inbox, in a stable order; with ``account``, only that account's.
    Files directly in the inbox belong to ``me``; a folder is an account unless it is itself
    an extracted archive."""
    scan = InboxScan()
    if not inbox.exists():
        return scan
    places: list[tuple[str, Path]] = []
    for entry in sorted(inbox.iterdir()):
        if entry.name.startswith("."):
            continue
        # A folder here is an account, unless it is an extracted archive dropped for "me".
        extracted = "linkedindataexport" in entry.name.lower() or any(
            file_stem_kind(p.name) for p in entry.glob("*.csv")
        )
        if entry.is_dir() and not extracted:
            places.extend((entry.name, child) for child in sorted(entry.iterdir()))
        else:
            places.append((DEFAULT_ACCOUNT, entry))
    for owner, path in places:
        # Hashing is what a scan costs: a load of one account must not hash every account's
        # files (with 200 accounts that made each snapshot's load 2.5 times slower).
        if account is not None and owner != account:
            continue
        if path.name.startswith(".") or path.name == "__MACOSX":
            continue
        kind = _classify(path)
        if kind is None or not ACCOUNT_NAME.match(owner):
            scan.ignored.append(path)
            continue
        folder = path.is_dir() and not path.is_symlink()
        digest = _sha256_folder(path) if folder else _sha256_file(path)
        day, dated_by = observed_date_of(path, last=kind == "follower_analytics")
        scan.items.append(InboxItem(path, owner, day, kind, digest, dated_by))
    return scan
