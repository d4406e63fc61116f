"""What users drop in the inbox: finding items, naming their snapshot, keeping and refusing them.

An item is an archive (LinkedIn's zip, or the folder it extracts to) or a follower list CSV.
Items of one account with the same snapshot date form one snapshot, which is one Dagster
partition keyed ``<account>:<YYYY-MM-DD>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

DEFAULT_ACCOUNT = "me"
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# The archive files the pipeline reads; everything else in an archive is listed as ignored.
ARCHIVE_FILES = ("connections", "invitations", "messages")
# Limits against hostile or broken zips: total unpacked size and compression ratio.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_COMPRESSION_RATIO = 200
# One file the pipeline reads (a follower list, or a CSV inside an archive): a million-row
# follower list is about 150 MB, so 1 GB leaves room while refusing files that are not exports.
DEFAULT_MAX_FILE_MB = 1024
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


class ItemRefused(Exception):
    """An inbox item that cannot be loaded; the message is the reason shown to the user.

    ``member`` names the file inside the archive the problem is in, when there is one.
    """

    def __init__(self, reason: str, member: str | None = None) -> None:
        super().__init__(reason)
        self.member = member


def max_file_bytes() -> int:
    """The size cap of one file, from ``LNW_MAX_FILE_MB`` (megabytes, default 1024)."""
    setting = os.environ.get("LNW_MAX_FILE_MB", "").strip()
    try:
        megabytes = float(setting) if setting else DEFAULT_MAX_FILE_MB
    except ValueError:
        megabytes = DEFAULT_MAX_FILE_MB
    return int(megabytes * 1024**2)


def check_file_size(size: int, where: str, member: str | None = None) -> None:
    limit = max_file_bytes()
    if size > limit:
        raise ItemRefused(
            f"{where} is {size / 1024**2:.1f} MB, over the {limit / 1024**2:.0f} MB limit for one "
            "file (set LNW_MAX_FILE_MB to raise it if the file is a genuine export)",
            member,
        )


@dataclass(frozen=True)
class InboxItem:
    path: Path
    account: str
    snapshot_date: dt.date
    kind: str  # archive | follower_list | follower_analytics
    sha256: str

    @property
    def export_id(self) -> str:
        """Content hash scoped to the account: the same bytes dropped again for one account
        are skipped, but two accounts never share an export (a team may pass a file around)."""
        return hashlib.sha256(f"{self.account}\0{self.sha256}".encode()).hexdigest()[:16]

    @property
    def partition_key(self) -> str:
        return partition_key(self.account, self.snapshot_date)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class InboxScan:
    items: list[InboxItem] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)


def partition_key(account: str, snapshot_date: dt.date) -> str:
    return f"{account}:{snapshot_date.isoformat()}"


def parse_partition_key(key: str) -> tuple[str, dt.date]:
    account, _, day = key.rpartition(":")
    return account, dt.date.fromisoformat(day)


def snapshot_date_of(path: Path, *, last: bool = False) -> dt.date:
    """A date in the name (``YYYY-MM-DD`` or LinkedIn's ``MM-DD-YYYY``), else the modification
    date (UTC). With ``last``, the last date of the name (an analytics workbook is named
    ``Content_<start>_<end>_<name>.xlsx``: its data reach to the end date)."""
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_US_DATE, (2, 0, 1))):
        matches = list(pattern.finditer(path.name))
        for match in reversed(matches) if last else matches:
            parts = [int(match.group(i + 1)) for i in order]
            try:
                return dt.date(*parts)
            except ValueError:
                continue
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()


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
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
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
        digest = _sha256_folder(path) if path.is_dir() else _sha256_file(path)
        day = snapshot_date_of(path, last=kind == "follower_analytics")
        scan.items.append(InboxItem(path, owner, day, kind, digest))
    return scan


def keep_in_archive(item: InboxItem, archive: Path) -> Path:
    """Copy the item to ``archive/`` under its content hash before anything reads it."""
    archive.mkdir(parents=True, exist_ok=True)
    suffix = {"follower_list": ".csv", "follower_analytics": ".xlsx"}.get(item.kind, ".zip")
    target = archive / f"{item.sha256}{suffix}"
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    if item.path.is_dir():
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(p for p in item.path.rglob("*") if p.is_file()):
                bundle.write(path, path.relative_to(item.path).as_posix())
    else:
        shutil.copyfile(item.path, partial)
    partial.replace(target)
    return target


def quarantine(
    item: InboxItem,
    quarantine_dir: Path,
    reason: str,
    *,
    member: str | None = None,
    row: int | None = None,
) -> Path:
    """Move a refused item out of the inbox, with ``<name>.reason.txt`` beside it naming the
    item, the file inside the archive and the data row (after the header) where known."""
    folder = quarantine_dir / item.account
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / item.name
    counter = 1
    while target.exists():
        target = folder / f"{item.path.stem}.{counter}{item.path.suffix}"
        counter += 1
    shutil.move(str(item.path), target)
    reason_file = target.with_name(target.name + ".reason.txt")
    where = [f"Item: {item.name}"]
    if member:
        where.append(f"Inside the item: {member}")
    if row is not None:
        where.append(f"Row: {row} (counting data rows after the header)")
    reason_file.write_text(
        f"{item.name} (account {item.account}, snapshot {item.snapshot_date}) was not loaded.\n"
        f"Reason: {' '.join(reason.split())}\n"
        + "\n".join(where)
        + "\nFix the file and drop it in the inbox again; nothing from it was stored.\n"
    )
    return target


def _escapes_archive(name: str) -> bool:
    """Absolute paths, drive letters and ``..`` in either slash style (zip-slip)."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in PurePosixPath(name.replace("\\", "/")).parts


def _is_ignored_member(name: str) -> bool:
    # Finder adds __MACOSX/ (resource forks named like the real files) when zipping.
    return "__MACOSX" in PurePosixPath(name.replace("\\", "/")).parts


def archive_members(item: InboxItem) -> Iterator[tuple[str, str, bytes]]:
    """(file kind, member name, bytes) for each archive file the pipeline reads."""
    if item.path.is_dir():
        for path in sorted(item.path.rglob("*")):
            if path.is_file() and "__MACOSX" not in path.parts:
                kind = file_stem_kind(path.name)
                if kind:
                    member = path.relative_to(item.path).as_posix()
                    if path.is_symlink():
                        # The folder-item form of zip-slip: a link may point anywhere.
                        raise ItemRefused(
                            f"{item.name}/{member} is a symbolic link; an extracted export "
                            "holds plain files only, so it was refused unread",
                            member,
                        )
                    check_file_size(path.stat().st_size, f"{item.name}/{member}", member)
                    yield kind, member, path.read_bytes()
        return
    try:
        bundle = zipfile.ZipFile(item.path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ItemRefused(
            f"{item.name} is not a readable zip archive ({exc}): it may be cut short by an "
            "interrupted download; download it again from LinkedIn"
        ) from exc
    with bundle:
        members = bundle.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise ItemRefused(
                f"{item.name} would unpack to {total / 1024**3:.1f} GiB, over the "
                f"{MAX_UNCOMPRESSED_BYTES / 1024**3:.0f} GiB limit (a zip bomb, or not an export)"
            )
        for member in members:
            name = member.filename
            if _escapes_archive(name):
                raise ItemRefused(
                    f"{item.name} holds {name!r}, a path outside the archive (zip-slip): "
                    "LinkedIn never writes such paths, so the file was refused unread",
                    name,
                )
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 1024**2 and ratio > MAX_COMPRESSION_RATIO:
                raise ItemRefused(
                    f"{item.name}!{name} is compressed {ratio:.0f}:1, over the "
                    f"{MAX_COMPRESSION_RATIO}:1 limit (a zip bomb?)",
                    name,
                )
        for member in sorted(members, key=lambda m: m.filename):
            if member.is_dir() or _is_ignored_member(member.filename):
                continue
            kind = file_stem_kind(member.filename.replace("\\", "/"))
            if not kind:
                continue
            check_file_size(member.file_size, f"{item.name}!{member.filename}", member.filename)
            yield kind, member.filename, _read_member(bundle, item, member)


def _read_member(bundle: zipfile.ZipFile, item: InboxItem, member: zipfile.ZipInfo) -> bytes:
    where = f"{item.name}!{member.filename}"
    try:
        return bundle.read(member)
    # NotImplementedError is a RuntimeError: it must be caught first.
    except NotImplementedError as exc:
        raise ItemRefused(
            f"{where} uses a compression method this reader does not support ({exc}); "
            "unzip it and drop the folder instead",
            member.filename,
        ) from exc
    except RuntimeError as exc:
        # zipfile raises a plain RuntimeError for encrypted members.
        raise ItemRefused(
            f"{where} is password-protected; LinkedIn's archives never are: unzip it with the "
            "password and drop the folder instead",
            member.filename,
        ) from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        raise ItemRefused(
            f"{where} cannot be read: the archive is damaged ({exc}); download it again",
            member.filename,
        ) from exc
