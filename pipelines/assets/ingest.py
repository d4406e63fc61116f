"""The loaded layers: the inbox, the raw tables and the core tables, one partition per account,
and what one account's load says about them (materialization metadata)."""

import datetime as dt

import dagster as dg

from pipelines.loading import AccountLoad
from transforms.timeline import CONNECTIONS

INBOX = dg.AssetSpec(
    "inbox",
    group_name="ingest",
    description="Exports dropped in <home>/inbox/<account>/: LinkedIn archives (zip or "
    "extracted folder), follower list CSVs and the follower analytics workbook. Each item "
    "observes the account at its own date.",
    kinds={"file"},
)

RAW_KEYS = {
    kind: dg.AssetKey(["raw", kind])
    for kind in ("connections", "invitations", "messages", "followers")
}
# Not part of any observation: the workbook's daily follower totals feed reach directly.
FOLLOWER_COUNTS = dg.AssetKey(["raw", "follower_counts"])
OBSERVATIONS = dg.AssetKey(["core", "observations"])
RELATIONSHIP_SNAPSHOTS = dg.AssetKey(["core", "relationship_snapshots"])
RELATIONSHIP_HISTORY = dg.AssetKey(["core", "relationship_history"])

RAW_DESCRIPTIONS = {
    "connections": "Connections.csv rows as exported; emails as salted hashes.",
    "invitations": "Invitations.csv rows as exported; invitation notes are not kept.",
    "messages": "messages.csv: conversation, sender, recipients, time. No bodies.",
    "followers": "Follower list rows as exported by the scraping tool.",
    "follower_counts": "Daily follower totals from LinkedIn's follower analytics workbook.",
}


def _spec(key: dg.AssetKey, group: str, description: str, deps, kinds) -> dg.AssetSpec:
    # Skippable: a load writes only what changed (no new follower list, no rebuilt snapshot).
    return dg.AssetSpec(
        key, deps=deps, description=description, group_name=group, kinds=kinds, skippable=True
    )


LOADED_SPECS = [
    *(
        _spec(key, "ingest", RAW_DESCRIPTIONS[key.path[-1]], [INBOX.key], {"polars", "duckdb"})
        for key in [*RAW_KEYS.values(), FOLLOWER_COUNTS]
    ),
    _spec(
        OBSERVATIONS,
        "core",
        "One row per observation: the items of one kind and date of an account (an archive "
        "observes connections, invitations and messages; a follower list, followers), whether "
        "the timeline uses it (or the partial-export gate blocked it, or its raw suite refused "
        "it), and its own figures: people, new and lost since the previous one of its kind.",
        list(RAW_KEYS.values()),
        {"polars", "duckdb"},
    ),
    _spec(
        RELATIONSHIP_SNAPSHOTS,
        "core",
        "The account's timeline, a snapshot on every date with an observation in use, each "
        "carrying the latest archive and follower list at or before it (for LNW_CARRY_DAYS, "
        "35 by default): everyone related to the account at the snapshot, keyed by canonical "
        "profile slug over the account's whole history and classified mutual, "
        "connection_only, follower_only, pending_outbound, pending_inbound (or `connection` "
        "without a follower list). A snapshot that knows no connections classifies nobody.",
        [OBSERVATIONS],
        {"polars", "duckdb"},
    ),
    _spec(
        RELATIONSHIP_HISTORY,
        "core",
        "SCD type 2: one row per person and period of unchanged relationship and profile "
        "attributes (valid_from, valid_to, is_current), whatever order exports arrive in.",
        [RELATIONSHIP_SNAPSHOTS],
        {"duckdb"},
    ),
]


def load_materializations(load: AccountLoad) -> list[dg.AssetMaterialization]:
    """What one account's load wrote, as materializations of its partition; nothing for a
    load that found nothing to do."""
    account = load.account
    stored = [o for o in load.outcomes if o.status in ("loaded", "unused")]
    events = []
    items = dg.MetadataValue.md(
        "\n".join(f"- `{o.item.name}`: **{o.status}** {o.detail}".rstrip() for o in load.outcomes)
        or "no new items"
    )
    if load.outcomes:
        for key in [*RAW_KEYS.values(), FOLLOWER_COUNTS]:
            kind = key.path[-1]
            rows = sum(o.rows.get(kind, 0) for o in stored)
            days = sorted({o.item.observed_on.isoformat() for o in stored if o.rows.get(kind)})
            events.append(
                dg.AssetMaterialization(
                    key,
                    partition=account,
                    metadata={
                        "account": account,
                        "rows_loaded": rows,
                        "dagster/row_count": rows,
                        "observed_on": ", ".join(days) or "none",
                        "items": items,
                        "quarantined": sum(o.status == "quarantined" for o in load.outcomes),
                    },
                )
            )
    if load.observations:
        events.append(
            dg.AssetMaterialization(
                OBSERVATIONS,
                partition=account,
                metadata={
                    "account": account,
                    "observations_judged": len(load.observations),
                    "observations": dg.MetadataValue.md(_observations_table(load)),
                },
            )
        )
    if load.snapshots:
        latest = max(load.classified) if load.classified else None
        events.append(
            dg.AssetMaterialization(
                RELATIONSHIP_SNAPSHOTS,
                partition=account,
                metadata={
                    "account": account,
                    "snapshots_written": len(load.snapshots),
                    "first_snapshot_written": load.snapshots[0].isoformat(),
                    "classified_snapshots": len(load.classified),
                    "rows": sum(load.classified.values()),
                    # The people of the latest snapshot written that classifies them.
                    "dagster/row_count": load.classified.get(latest, 0) if latest else 0,
                    "latest_snapshot": latest.isoformat() if latest else "none",
                },
            )
        )
    if load.history is not None:
        events.append(
            dg.AssetMaterialization(
                RELATIONSHIP_HISTORY,
                partition=account,
                metadata={
                    "account": account,
                    "merge": load.history,
                    "merged_from": _first(load.snapshots),
                    "current_rows": load.history_rows[0],
                    "rows": load.history_rows[1],
                    "dagster/row_count": load.history_rows[1],
                },
            )
        )
    return events


def _first(days: list[dt.date]) -> str:
    return days[0].isoformat() if days else "none"


def _observations_table(load: AccountLoad) -> str:
    lines = [
        "| observed on | kind | status | people | new | lost | since |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in load.observations:
        kind = "archive" if o.kind == CONNECTIONS else "follower list"
        lines.append(
            f"| {o.observed_on} | {kind} | {o.status} | {_cell(o.people)} | "
            f"{_cell(o.new_people)} | {_cell(o.lost_people)} | {_cell(o.previous_observed_on)} |"
        )
    return "\n".join(lines)


def _cell(value) -> str:
    return "" if value is None else str(value)
