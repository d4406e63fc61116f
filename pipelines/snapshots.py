"""One relationship snapshot from the raw layer: the step the core asset, the load_accounts
job and the benchmark share, so what is timed is what runs. Reading (with the warehouse
open) and classifying (without it) are apart, so that other processes can use the warehouse
meanwhile."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from inbox.items import ReadItem
from transforms.classify import (
    classify_relationships,
    conversations_are_attributable,
    count_unidentified,
    detect_self_key,
)
from transforms.identity import adopt_known_keys
from warehouse.database import query_frame
from warehouse.raw import (
    RAW_TABLES,
    is_complete_export,
    loaded_export_ids,
    read_raw,
    snapshot_sources,
    url_connections,
)


@dataclass(frozen=True)
class SnapshotBuild:
    people: pl.DataFrame
    # The keyword arguments of warehouse.history.write_relationship_snapshot.
    facts: dict[str, Any]


@dataclass(frozen=True)
class SnapshotInputs:
    """What a snapshot's classification reads from the warehouse: its raw files, and the
    account's people with a URL (for URL-less exports)."""

    account: str
    day: dt.date
    sources: dict[str, str]  # file kind -> export id
    frames: dict[str, pl.DataFrame]
    known_urls: pl.DataFrame | None


def read_snapshot_inputs(
    con: duckdb.DuckDBPyConnection, account: str, day: dt.date
) -> SnapshotInputs:
    """The reads of a classification, done while the connection is open; `build_snapshot`
    then needs no connection."""
    sources = snapshot_sources(con, account, day)
    frames = {kind: read_raw(con, kind, export_id) for kind, export_id in sources.items()}
    known = url_connections(con, account) if "connections" in sources else None
    return SnapshotInputs(account, day, sources, frames, known)


@dataclass
class AccountReads:
    """What the snapshots of one account need from the warehouse beyond their own files, read
    once for a series of loads of that account that nothing else loads meanwhile (a
    load_accounts step) and kept up to date as its items are stored (`stored`)."""

    account: str
    loaded: set[str]  # export ids stored, of any account
    stored_days: set[dt.date]  # the account's snapshots with an export stored
    known_urls: pl.DataFrame  # as warehouse.raw.url_connections
    # Columns and types of each raw table as `read_raw` returns them: timestamps, for one,
    # come back in DuckDB's session time zone.
    read_back: dict[str, pl.Schema]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, account: str) -> AccountReads:
        days = con.execute(
            "SELECT DISTINCT snapshot_date FROM raw.exports WHERE account = ?", [account]
        ).fetchall()
        read_back = {
            kind: query_frame(
                con, f"SELECT * EXCLUDE (export_id, source_file) FROM {table} LIMIT 0"
            ).schema
            for kind, table in RAW_TABLES.items()
        }
        return cls(
            account,
            loaded_export_ids(con),
            {day for (day,) in days},
            url_connections(con, account),
            read_back,
        )

    def stored(self, day: dt.date, read: list[ReadItem]) -> None:
        """``read`` (items of the snapshot ``day``) is now stored."""
        kept = [r for r in read if r.outcome is None]
        if not kept:
            return
        self.loaded |= {r.item.export_id for r in kept}
        self.stored_days.add(day)
        urls = [_url_rows(f.frame) for r in kept for f in r.files if f.file_kind == "connections"]
        if urls:
            self.known_urls = pl.concat([self.known_urls, *urls], how="vertical_relaxed").unique()


def _url_rows(connections: pl.DataFrame) -> pl.DataFrame:
    # What warehouse.raw.url_connections selects from one export's stored rows.
    return connections.select("first_name", "last_name", "profile_url", "company").filter(
        pl.col("profile_url").is_not_null()
    )


def parsed_snapshot_inputs(
    reads: AccountReads, day: dt.date, read: list[ReadItem]
) -> SnapshotInputs | None:
    """The inputs `read_snapshot_inputs` will read once ``read`` (the snapshot's new items,
    parsed, in the order they are stored) is stored, made from the parsed frames: no
    connection, no copy back out of DuckDB. None when the warehouse may supply some of them
    (an export of the snapshot already stored) or an item holds two files of a kind; the
    caller then reads them from the warehouse. The caller checks ``sources`` against
    `snapshot_sources` once stored: the stored ones win, should they differ."""
    if day in reads.stored_days:
        return None
    sources: dict[str, str] = {}
    frames: dict[str, pl.DataFrame] = {}
    best: dict[str, bool] = {}
    for done in read:
        if done.outcome is not None:
            continue
        kinds = [f.file_kind for f in done.files]
        if len(kinds) != len(set(kinds)):
            return None
        # As warehouse.raw.snapshot_sources: a Complete archive wins over a Basic one.
        complete = is_complete_export(done.item.name)
        for parsed in done.files:
            # Among equals, the latest stored: items are stored in this order.
            if complete >= best.get(parsed.file_kind, False):
                frame = _as_read_back(parsed.frame, reads.read_back[parsed.file_kind])
                if frame is None:
                    return None
                best[parsed.file_kind] = complete
                sources[parsed.file_kind] = done.item.export_id
                frames[parsed.file_kind] = frame
    known = None
    if "connections" in sources:
        fresh = [
            _url_rows(f.frame)
            for r in read
            if r.outcome is None
            for f in r.files
            if f.file_kind == "connections"
        ]
        known = pl.concat([reads.known_urls, *fresh], how="vertical_relaxed").unique()
    return SnapshotInputs(reads.account, day, sources, frames, known)


def _as_read_back(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame | None:
    """``frame`` as `read_raw` returns it once stored (``schema``), or None if it may not be
    the same: columns missing (the table's defaults would fill them) or of another type than
    a zoned timestamp shown in another zone."""
    if set(frame.columns) != set(schema.names()):
        return None
    columns = []
    for name, dtype in schema.items():
        parsed = frame.schema[name]
        if parsed == dtype:
            columns.append(pl.col(name))
        elif (
            isinstance(parsed, pl.Datetime)
            and isinstance(dtype, pl.Datetime)
            and parsed.time_unit == dtype.time_unit
            and parsed.time_zone is not None
            and dtype.time_zone is not None
        ):
            columns.append(pl.col(name).dt.convert_time_zone(dtype.time_zone))
        else:
            return None
    return frame.select(columns)


def build_snapshot(inputs: SnapshotInputs) -> SnapshotBuild | None:
    """Classify everyone of the snapshot's raw files; None when it has no Connections.csv."""
    sources, frames = inputs.sources, dict(inputs.frames)
    if "connections" not in sources or inputs.known_urls is None:
        return None
    if not conversations_are_attributable(frames["connections"], frames.get("messages")):
        frames.pop("messages", None)
    self_key = detect_self_key(frames.get("invitations"), frames.get("messages"))
    people = classify_relationships(
        frames["connections"],
        frames.get("followers"),
        frames.get("invitations"),
        frames.get("messages"),
        snapshot_date=inputs.day,
        self_key=self_key,
    )
    # Pre-2024 exports have no URLs: their people take the slug known from later exports.
    people = adopt_known_keys(people, inputs.known_urls)
    return SnapshotBuild(
        people,
        {
            "export_ids": sorted(set(sources.values())),
            "self_key": self_key,
            "has_follower_list": "followers" in sources,
            "has_invitations": "invitations" in sources,
            "has_messages": "messages" in frames,
            "unidentified_connections": count_unidentified(frames["connections"]),
        },
    )


def classify_snapshot(
    con: duckdb.DuckDBPyConnection, account: str, day: dt.date
) -> SnapshotBuild | None:
    """Classify everyone of the snapshot's raw files; None when it has no Connections.csv."""
    return build_snapshot(read_snapshot_inputs(con, account, day))
