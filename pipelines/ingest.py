"""Storing read inbox items in the raw layer, and the snapshots a run must load."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import duckdb

from inbox.discovery import InboxItem, partition_key, scan_inbox
from inbox.home import Home
from inbox.items import ItemOutcome, ReadItem, read_items
from warehouse.history import unfinished_snapshots
from warehouse.raw import ExportRecord, load_export, loaded_export_ids, mark_window_stale


def items_of_snapshot(home: Home, account: str, snapshot_date: dt.date) -> list[InboxItem]:
    return [i for i in scan_inbox(home.inbox, account).items if i.snapshot_date == snapshot_date]


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
