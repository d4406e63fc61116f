"""Reading inbox items without the warehouse: keep each in archive/, parse its files, or
quarantine it with the reason."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from inbox.archive import keep_in_archive, minimized_csv, read_for_kind
from inbox.discovery import InboxItem
from inbox.home import Home
from inbox.members import ItemRefused, archive_members, check_file_size, measured_workbook
from inbox.quarantine import quarantine
from transforms.connections import parse_connections
from transforms.csv_reader import CsvTable
from transforms.errors import ExportFormatError
from transforms.follower_analytics import parse_follower_analytics
from transforms.followers import parse_followers
from transforms.invitations import parse_invitations
from transforms.messages import parse_messages
from warehouse.raw import ParsedFile


@dataclass
class ItemOutcome:
    item: InboxItem
    status: str  # loaded | skipped | quarantined | unused
    detail: str = ""
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class ParsedItem:
    """An item's parsed files, and what its kept copy in archive/ holds."""

    files: list[ParsedFile] = field(default_factory=list)
    kept: list[tuple[str, str, bytes]] = field(default_factory=list)  # kind, member, bytes
    workbook: bytes = b""


def parse_item(item: InboxItem, email_salt: str) -> ParsedItem:
    """Every file of the item the pipeline uses, parsed, and its minimized copy; raises on
    the first bad one."""
    result = ParsedItem()
    parsed = result.files

    def add(kind: str, source: str, table: CsvTable, read: CsvTable) -> None:
        parsed.append(ParsedFile(kind, source, table.encoding, table.resaved, table.frame))
        result.kept.append((kind, source, minimized_csv(kind, read, email_salt)))

    if item.kind == "follower_analytics":
        result.workbook = measured_workbook(item)
        series = parse_follower_analytics(result.workbook, source=item.name)
        if series is not None:
            parsed.append(ParsedFile("follower_counts", item.name, "xlsx", False, series))
        return result
    if item.kind == "follower_list":
        if item.path.is_symlink():
            raise ItemRefused(
                f"{item.name} is a symbolic link; put the list itself in the inbox, so it was "
                "refused unread"
            )
        check_file_size(item.path.stat().st_size, item.name)
        data = item.path.read_bytes()
        read = read_for_kind("followers", data, item.name)
        table = parse_followers(data, source=item.name, table=read)
        _require_rows(table, item.name, "a follower list")
        add("followers", item.name, table, read)
        return result
    for kind, member, data in archive_members(item):
        source = f"{item.name}!{member}"
        read = read_for_kind(kind, data, source)
        if kind == "connections":
            table = parse_connections(data, source=source, email_salt=email_salt, table=read)
            # A header with no rows would read as "every connection removed".
            _require_rows(table, source, "Connections.csv")
        elif kind == "invitations":
            table = parse_invitations(data, source=source, table=read)
        else:
            table = parse_messages(data, source=source, table=read)
        add(kind, member, table, read)
    return result


def _require_rows(table: CsvTable, source: str, what: str) -> None:
    if table.frame.is_empty():
        raise ExportFormatError(
            source,
            f"has a header but no rows; {what} of a real export is never empty, so this one was "
            "probably cut short or emptied by hand",
        )


@dataclass(frozen=True)
class Refusal:
    """Why an item was refused, and where: what the reason file says."""

    reason: str
    member: str | None = None
    row: int | None = None


def refusal_of(item: InboxItem, exc: Exception) -> Refusal:
    """Plain words for any failure while reading an item; an unexpected error still names the
    item instead of failing the whole run."""
    if isinstance(exc, ExportFormatError):
        member = exc.source.partition("!")[2] or None
        return Refusal(str(exc), member, exc.row)
    if isinstance(exc, ItemRefused):
        return Refusal(str(exc), exc.member)
    # Only the error's type: its text may quote file content (a message body, an email).
    return Refusal(
        f"{item.name} could not be read: an unexpected {type(exc).__name__} while parsing it. "
        "The file is probably not a LinkedIn export, or is damaged; please report it if it is "
        "a genuine export"
    )


@dataclass
class ReadItem:
    """An inbox item read without the warehouse: its parsed files, or its outcome when it
    needs no load (quarantined)."""

    item: InboxItem
    archive_path: str = ""
    files: list[ParsedFile] = field(default_factory=list)
    outcome: ItemOutcome | None = None


def read_items(home: Home, items: list[InboxItem]) -> list[ReadItem]:
    """Parse each item and keep its minimized copy in archive/: the CPU part of an ingest,
    which needs no connection. A bad item is quarantined here, and nothing of it kept; the
    others are left for `store_items`."""
    read: list[ReadItem | tuple[InboxItem, Future[Path], list[ParsedFile]]] = []
    # Each kept copy is deflated in a thread while the next item parses: zlib lets go of the
    # GIL. The 5 teams accounts read in 3.4-3.6 s instead of 4.4-5.0 s (3 alternated runs).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lnw-keep") as keeper:
        for item in items:
            try:
                parsed = parse_item(item, home.email_salt)
            except Exception as exc:  # one bad item must never stop the others
                refusal = refusal_of(item, exc)
                moved = quarantine(
                    item, home.quarantine, refusal.reason, member=refusal.member, row=refusal.row
                )
                outcome = ItemOutcome(item, "quarantined", f"{refusal.reason} (moved to {moved})")
                read.append(ReadItem(item, outcome=outcome))
                continue
            # Kept only once every file parsed: nothing of a refused item is stored.
            archived = keeper.submit(
                keep_in_archive, item, home.archive, parsed.kept, parsed.workbook
            )
            read.append((item, archived, parsed.files))
            del parsed  # its kept copy is the thread's until written
        return [
            entry
            if isinstance(entry, ReadItem)
            else ReadItem(entry[0], entry[1].result().relative_to(home.root).as_posix(), entry[2])
            for entry in read
        ]
