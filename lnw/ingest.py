"""Loading inbox items into the raw layer: keep, parse, store or quarantine, item by item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import duckdb

from lnw.home import Home
from lnw.inbox import (
    InboxItem,
    ItemRefused,
    archive_members,
    check_file_size,
    keep_in_archive,
    partition_key,
    quarantine,
    scan_inbox,
)
from transforms.connections import parse_connections
from transforms.csv_reader import CsvTable
from transforms.errors import ExportFormatError
from transforms.follower_analytics import parse_follower_analytics
from transforms.followers import parse_followers
from transforms.invitations import parse_invitations
from transforms.messages import parse_messages
from warehouse.history import unfinished_snapshots
from warehouse.raw import (
    ExportRecord,
    ParsedFile,
    load_export,
    loaded_export_ids,
    mark_window_stale,
)


@dataclass
class ItemOutcome:
    item: InboxItem
    status: str  # loaded | skipped | quarantined | unused
    detail: str = ""
    rows: dict[str, int] = field(default_factory=dict)


def parse_item(item: InboxItem, email_salt: str) -> list[ParsedFile]:
    """Every file of the item the pipeline uses, parsed; raises on the first bad one."""
    parsed: list[ParsedFile] = []

    def add(kind: str, source: str, table: CsvTable) -> None:
        parsed.append(ParsedFile(kind, source, table.encoding, table.resaved, table.frame))

    if item.kind == "follower_analytics":
        check_file_size(item.path.stat().st_size, item.name)
        series = parse_follower_analytics(item.path.read_bytes(), source=item.name)
        if series is not None:
            parsed.append(ParsedFile("follower_counts", item.name, "xlsx", False, series))
        return parsed
    if item.kind == "follower_list":
        check_file_size(item.path.stat().st_size, item.name)
        table = parse_followers(item.path.read_bytes(), source=item.name)
        _require_rows(table, item.name, "a follower list")
        add("followers", item.name, table)
        return parsed
    for kind, member, data in archive_members(item):
        source = f"{item.name}!{member}"
        if kind == "connections":
            table = parse_connections(data, source=source, email_salt=email_salt)
            # A header with no rows would read as "every connection removed".
            _require_rows(table, source, "Connections.csv")
        elif kind == "invitations":
            table = parse_invitations(data, source=source)
        else:
            table = parse_messages(data, source=source)
        add(kind, member, table)
    return parsed


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


def items_of_snapshot(home: Home, account: str, snapshot_date: dt.date) -> list[InboxItem]:
    return [i for i in scan_inbox(home.inbox, account).items if i.snapshot_date == snapshot_date]


@dataclass
class ReadItem:
    """An inbox item read without the warehouse: its parsed files, or its outcome when it
    needs no load (quarantined)."""

    item: InboxItem
    archive_path: str = ""
    files: list[ParsedFile] = field(default_factory=list)
    outcome: ItemOutcome | None = None


def read_items(home: Home, items: list[InboxItem]) -> list[ReadItem]:
    """Keep each item in archive/ and parse it: the CPU part of an ingest, which needs no
    connection. A bad item is quarantined here; the others are left for `store_items`."""
    read = []
    for item in items:
        archived = keep_in_archive(item, home.archive)
        try:
            files = parse_item(item, home.email_salt)
        except Exception as exc:  # one bad item must never stop the others
            refusal = refusal_of(item, exc)
            moved = quarantine(
                item, home.quarantine, refusal.reason, member=refusal.member, row=refusal.row
            )
            outcome = ItemOutcome(item, "quarantined", f"{refusal.reason} (moved to {moved})")
            read.append(ReadItem(item, outcome=outcome))
            continue
        read.append(ReadItem(item, archived.relative_to(home.root).as_posix(), files))
    return read


def store_items(con: duckdb.DuckDBPyConnection, read: list[ReadItem]) -> list[ItemOutcome]:
    """Store the parsed items in the raw layer, each in its own transaction."""
    outcomes = []
    for done in read:
        if done.outcome is not None:
            outcomes.append(done.outcome)
            continue
        item, files = done.item, done.files
        record = ExportRecord(
            export_id=item.export_id,
            account=item.account,
            snapshot_date=item.snapshot_date,
            item_name=item.name,
            item_kind=item.kind,
            content_sha256=item.sha256,
            archive_path=done.archive_path,
        )
        # An item with nothing the pipeline uses is recorded too (with no files), so that the
        # next run reports it as already seen instead of as new.
        rows = load_export(con, record, files)
        for parsed in files:
            if parsed.file_kind == "follower_counts":
                mark_window_stale(con, item.account, parsed.frame)
        if not files:
            outcomes.append(ItemOutcome(item, "unused", "holds nothing the pipeline uses"))
            continue
        outcomes.append(ItemOutcome(item, "loaded", "", rows))
    return outcomes


@dataclass
class ParsedSnapshot:
    """A snapshot's inbox items read without the warehouse: those already loaded (skipped)
    and the others parsed or quarantined, for `store_parsed`."""

    items: list[InboxItem]
    skipped: list[ItemOutcome]
    read: list[ReadItem]

    @property
    def to_store(self) -> list[ReadItem]:
        return [r for r in self.read if r.outcome is None]

    def in_inbox_order(self, stored: list[ItemOutcome]) -> list[ItemOutcome]:
        order = {i.export_id: n for n, i in enumerate(self.items)}
        return sorted(self.skipped + stored, key=lambda o: order[o.item.export_id])


def parse_snapshot_items(
    home: Home, account: str, snapshot_date: dt.date, loaded: set[str]
) -> ParsedSnapshot:
    """Keep and parse the snapshot's items whose export id is not in ``loaded``; needs no
    connection."""
    items = items_of_snapshot(home, account, snapshot_date)
    skipped = [ItemOutcome(i, "skipped", "already loaded") for i in items if i.export_id in loaded]
    read = read_items(home, [i for i in items if i.export_id not in loaded])
    return ParsedSnapshot(items, skipped, read)


def store_parsed(con: duckdb.DuckDBPyConnection, parsed: ParsedSnapshot) -> list[ItemOutcome]:
    """Store what `parse_snapshot_items` read; the outcome of every item, in the inbox's order."""
    return parsed.in_inbox_order(store_items(con, parsed.read))


def ingest_snapshot_items(
    home: Home,
    open_warehouse: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    account: str,
    snapshot_date: dt.date,
) -> list[ItemOutcome]:
    """Load the snapshot's new items. A bad item is quarantined and the others still load;
    an item already loaded (same content hash) is skipped.

    ``open_warehouse`` opens a connection (and holds the warehouse while it is open): it is
    opened twice, briefly, around the parsing, so that other processes can use the warehouse
    while this one parses."""
    with open_warehouse() as con:
        loaded = loaded_export_ids(con)
    parsed = parse_snapshot_items(home, account, snapshot_date, loaded)
    if not parsed.to_store:
        return parsed.in_inbox_order([r.outcome for r in parsed.read if r.outcome is not None])
    with open_warehouse() as con:
        return store_parsed(con, parsed)


def pending_snapshot_keys(home: Home, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Partition keys of the snapshots a run must load: those with new inbox items, and those
    whose load stopped half-way (a failed check, a crash)."""
    loaded = loaded_export_ids(con)
    new = {i.partition_key for i in scan_inbox(home.inbox).items if i.export_id not in loaded}
    return sorted(new | {partition_key(*s) for s in unfinished_snapshots(con)})
