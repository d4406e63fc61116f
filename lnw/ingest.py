"""Loading inbox items into the raw layer: keep, parse, store or quarantine, item by item."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from lnw.home import Home
from lnw.inbox import (
    InboxItem,
    ItemRefused,
    archive_members,
    check_file_size,
    keep_in_archive,
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
    return [
        i
        for i in scan_inbox(home.inbox).items
        if i.account == account and i.snapshot_date == snapshot_date
    ]


def ingest_snapshot_items(
    home: Home, con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> list[ItemOutcome]:
    """Load the snapshot's new items. A bad item is quarantined and the others still load;
    an item already loaded (same content hash) is skipped."""
    outcomes = []
    loaded = loaded_export_ids(con)
    for item in items_of_snapshot(home, account, snapshot_date):
        if item.export_id in loaded:
            outcomes.append(ItemOutcome(item, "skipped", "already loaded"))
            continue
        archived = keep_in_archive(item, home.archive)
        try:
            files = parse_item(item, home.email_salt)
        except Exception as exc:  # one bad item must never stop the others
            refusal = refusal_of(item, exc)
            moved = quarantine(
                item, home.quarantine, refusal.reason, member=refusal.member, row=refusal.row
            )
            outcomes.append(
                ItemOutcome(item, "quarantined", f"{refusal.reason} (moved to {moved})")
            )
            continue
        record = ExportRecord(
            export_id=item.export_id,
            account=item.account,
            snapshot_date=item.snapshot_date,
            item_name=item.name,
            item_kind=item.kind,
            content_sha256=item.sha256,
            archive_path=archived.relative_to(home.root).as_posix(),
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
