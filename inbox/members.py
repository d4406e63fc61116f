"""Reading the files of an item: every archive-like input (a zip, the folder it extracts to,
a workbook, which is a zip too) is measured before any of it is read.

A zip's central directory declares each member's size: the member count, the total declared
size and the overall compression ratio are bounded before anything is inflated, then each
member is read up to its declared size and no further (zipfile stops there, and a member that
inflates past it fails its CRC). Symbolic links, in a zip or in a folder, and two members of
one name are refused unread. Members the pipeline does not read (nested zips among them) are
only measured, never opened.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import settings
from inbox.discovery import InboxItem, file_stem_kind

# Limits against hostile or broken zips. A Complete export holds about a hundred files and
# compresses its CSVs about 5:1 (messages.csv, the most repetitive, under 20:1); a bomb needs
# hundreds or thousands to one, in one member or spread over many small ones.
MAX_MEMBERS = 10_000
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_COMPRESSION_RATIO = 200
# Below this much inflated data a ratio says nothing (a header-only CSV compresses 30:1).
RATIO_FLOOR_BYTES = 1024**2
# A follower analytics workbook is a year of daily totals and a few post tables: well under
# a megabyte of sheet XML. 64 MiB leaves room and refuses a workbook bomb before it is parsed.
MAX_WORKBOOK_BYTES = 64 * 1024**2
# One file the pipeline reads (a follower list, or a CSV inside an archive): a million-row
# follower list is about 150 MB, so 1 GB leaves room while refusing files that are not exports.
DEFAULT_MAX_FILE_MB = settings.DEFAULT_MAX_FILE_MB


class ItemRefused(Exception):
    """An inbox item that cannot be loaded; the message is the reason shown to the user.

    ``member`` names the file inside the archive the problem is in, when there is one.
    """

    def __init__(self, reason: str, member: str | None = None) -> None:
        super().__init__(reason)
        self.member = member


def max_file_bytes() -> int:
    """The size cap of one file, from ``LNW_MAX_FILE_MB`` (megabytes, default 1024)."""
    return settings.max_file_bytes()


def check_file_size(size: int, where: str, member: str | None = None) -> None:
    limit = max_file_bytes()
    if size > limit:
        raise ItemRefused(
            f"{where} is {size / 1024**2:.1f} MB, over the {limit / 1024**2:.0f} MB limit for one "
            "file (set LNW_MAX_FILE_MB to raise it if the file is a genuine export)",
            member,
        )


def _escapes_archive(name: str) -> bool:
    """Absolute paths, drive letters and ``..`` in either slash style (zip-slip)."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in PurePosixPath(name.replace("\\", "/")).parts


def _is_ignored_member(name: str) -> bool:
    # Finder adds __MACOSX/ (resource forks named like the real files) when zipping.
    return "__MACOSX" in PurePosixPath(name.replace("\\", "/")).parts


def _is_symlink(member: zipfile.ZipInfo) -> bool:
    """A member made from a symbolic link (Unix mode in the high bits of the attributes)."""
    return stat.S_ISLNK(member.external_attr >> 16)


def measure_zip(
    bundle: zipfile.ZipFile, where: str, *, max_total: int = MAX_UNCOMPRESSED_BYTES
) -> list[zipfile.ZipInfo]:
    """The members of ``bundle`` once every limit holds, judged from its central directory
    before any member is inflated; ``where`` names the item in the reasons."""
    members = bundle.infolist()
    if len(members) > MAX_MEMBERS:
        raise ItemRefused(
            f"{where} holds {len(members)} files, over the limit of {MAX_MEMBERS} "
            "(a LinkedIn export holds about a hundred): it was refused unread"
        )
    seen: dict[str, str] = {}
    for member in members:
        name = member.filename
        if _escapes_archive(name):
            raise ItemRefused(
                f"{where} holds {name!r}, a path outside the archive (zip-slip): "
                "LinkedIn never writes such paths, so the file was refused unread",
                name,
            )
        if _is_symlink(member):
            raise ItemRefused(
                f"{where}!{name} is a symbolic link; an export holds plain files only, so the "
                "item was refused unread",
                name,
            )
        key = name.replace("\\", "/").rstrip("/").casefold()
        if key in seen:
            raise ItemRefused(
                f"{where} holds two files named {name!r}: which one is the export is "
                "ambiguous, so the item was refused; download the export again",
                name,
            )
        seen[key] = name
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise ItemRefused(
                f"{where}!{name} is compressed {ratio:.0f}:1, over the "
                f"{MAX_COMPRESSION_RATIO}:1 limit (a zip bomb?)",
                name,
            )
    total = sum(m.file_size for m in members)
    if total > max_total:
        raise ItemRefused(
            f"{where} would unpack to {total / 1024**2:.0f} MiB, over the "
            f"{max_total / 1024**2:.0f} MiB limit for the whole item (a zip bomb, or not an "
            "export)"
        )
    packed = sum(m.compress_size for m in members)
    overall = total / max(packed, 1)
    if total > RATIO_FLOOR_BYTES and overall > MAX_COMPRESSION_RATIO:
        raise ItemRefused(
            f"{where} is compressed {overall:.0f}:1 over its {len(members)} files "
            f"({packed / 1024:.0f} KiB unpacking to {total / 1024**2:.1f} MiB), over the "
            f"{MAX_COMPRESSION_RATIO}:1 limit for the whole item (a zip bomb split into small "
            "files?)"
        )
    return members


def _folder_files(item: InboxItem) -> list[Path]:
    """The plain files of a folder item, found without following any link; a link anywhere
    in it refuses the item before anything behind it is read (a link may point anywhere)."""
    files = []
    for top, folders, names in os.walk(item.path, followlinks=False):
        for name in sorted(folders + names):
            path = Path(top) / name
            if path.is_symlink():
                member = path.relative_to(item.path).as_posix()
                raise ItemRefused(
                    f"{item.name}/{member} is a symbolic link; an extracted export holds plain "
                    "files only, so the item was refused unread",
                    member,
                )
            if name in names:
                files.append(path)
    return sorted(files)


def archive_members(item: InboxItem) -> Iterator[tuple[str, str, bytes]]:
    """(file kind, member name, bytes) for each archive file the pipeline reads."""
    if item.path.is_symlink():
        raise ItemRefused(
            f"{item.name} is a symbolic link; put the export itself in the inbox, so the item "
            "was refused unread"
        )
    if item.path.is_dir():
        for path in _folder_files(item):
            if "__MACOSX" in path.parts:
                continue
            kind = file_stem_kind(path.name)
            if kind:
                member = path.relative_to(item.path).as_posix()
                check_file_size(path.stat().st_size, f"{item.name}/{member}", member)
                yield kind, member, path.read_bytes()
        return
    bundle = _open_zip(item.path, item.name, "zip archive")
    with bundle:
        members = measure_zip(bundle, item.name)
        for member in sorted(members, key=lambda m: m.filename):
            if member.is_dir() or _is_ignored_member(member.filename):
                continue
            kind = file_stem_kind(member.filename.replace("\\", "/"))
            if not kind:
                continue
            check_file_size(member.file_size, f"{item.name}!{member.filename}", member.filename)
            yield kind, member.filename, _read_member(bundle, item.name, member)


def _open_zip(path: Path, name: str, what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ItemRefused(
            f"{name} is not a readable {what} ({exc}): it may be cut short by an "
            "interrupted download; download it again from LinkedIn"
        ) from exc


def measured_workbook(item: InboxItem) -> bytes:
    """The workbook's bytes, once it is measured as the zip it is (limits as for archives,
    and at most MAX_WORKBOOK_BYTES unpacked) and every member inflated, in chunks, to check
    that none holds more than it declares; the parser reads it only then."""
    if item.path.is_symlink():
        raise ItemRefused(
            f"{item.name} is a symbolic link; put the workbook itself in the inbox, so it was "
            "refused unread"
        )
    check_file_size(item.path.stat().st_size, item.name)
    data = item.path.read_bytes()
    if not zipfile.is_zipfile(item.path):
        return data  # not a workbook at all: the parser says so in its words
    with _open_zip(item.path, item.name, "Excel workbook") as bundle:
        for member in measure_zip(bundle, item.name, max_total=MAX_WORKBOOK_BYTES):
            if not member.is_dir():
                _read_member(bundle, item.name, member, keep=False)
    return data


def _read_member(
    bundle: zipfile.ZipFile, item_name: str, member: zipfile.ZipInfo, *, keep: bool = True
) -> bytes:
    """The member's bytes, read to its declared size and no further: a member that inflates
    past it is refused (zipfile stops at the declared size, then fails the CRC)."""
    where = f"{item_name}!{member.filename}"
    chunks, read = [], 0
    try:
        with bundle.open(member) as handle:
            while chunk := handle.read(min(1 << 20, member.file_size + 1 - read) or 1):
                read += len(chunk)
                if read > member.file_size:
                    raise ItemRefused(
                        f"{where} holds more than the {member.file_size} bytes its header "
                        "declares (a zip bomb, or a damaged archive): refused",
                        member.filename,
                    )
                if keep:
                    chunks.append(chunk)
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
    return b"".join(chunks)
