"""Reading the files of an archive item: limits against hostile zips and folders."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath

import settings
from inbox.discovery import InboxItem, file_stem_kind

# Limits against hostile or broken zips: total unpacked size and compression ratio.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_COMPRESSION_RATIO = 200
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
