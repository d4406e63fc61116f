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

from transforms.classify import (
    classify_relationships,
    conversations_are_attributable,
    count_unidentified,
    detect_self_key,
)
from transforms.identity import adopt_known_keys
from warehouse.raw import read_raw, snapshot_sources, url_connections


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
