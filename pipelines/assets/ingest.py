"""Ingest: inbox items of one snapshot into the raw tables."""

import datetime as dt

import dagster as dg

from inbox.discovery import parse_partition_key
from inbox.items import ItemOutcome
from pipelines.ingest import ingest_snapshot_items
from pipelines.partitions import snapshots
from pipelines.resources import WAREHOUSE_POOL, LnwSettings

INBOX = dg.AssetSpec(
    "inbox",
    group_name="ingest",
    description="Exports dropped in <home>/inbox/<account>/: LinkedIn archives (zip or "
    "extracted folder) and follower list CSVs.",
    kinds={"file"},
)

RAW_KEYS = {
    kind: dg.AssetKey(["raw", kind])
    for kind in ("connections", "invitations", "messages", "followers")
}

# Not an input of the relationship snapshots: the daily follower totals feed reach directly.
FOLLOWER_COUNTS = dg.AssetKey(["raw", "follower_counts"])

RAW_DESCRIPTIONS = {
    "connections": "Connections.csv rows as exported; emails as salted hashes.",
    "invitations": "Invitations.csv rows as exported; invitation notes are not kept.",
    "messages": "messages.csv: conversation, sender, recipients, time. No bodies.",
    "followers": "Follower list rows as exported by the scraping tool.",
    "follower_counts": "Daily follower totals from LinkedIn's follower analytics workbook.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=[INBOX],
            description=RAW_DESCRIPTIONS[kind],
            group_name="ingest",
            kinds={"polars", "duckdb"},
        )
        for kind, key in {**RAW_KEYS, "follower_counts": FOLLOWER_COUNTS}.items()
    ],
    partitions_def=snapshots,
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def raw_exports(context: dg.AssetExecutionContext, lnw: LnwSettings):
    """Keep every new item of the snapshot in archive/, parse it, and store it in one
    transaction; a bad item goes to quarantine/ with a reason and the others still load."""
    account, day = parse_partition_key(context.partition_key)
    outcomes = ingest_snapshot_items(lnw.paths, lnw.warehouse, account, day)
    for outcome in outcomes:
        log = context.log.warning if outcome.status == "quarantined" else context.log.info
        log(f"{outcome.item.name}: {outcome.status} {outcome.detail}".rstrip())
    for key, metadata in raw_metadata(outcomes, account, day).items():
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


def raw_metadata(outcomes: list[ItemOutcome], account: str, day: dt.date) -> dict:
    """The materialization metadata of each raw table for one snapshot's ingest."""
    items = dg.MetadataValue.md(
        "\n".join(f"- `{o.item.name}`: **{o.status}** {o.detail}".rstrip() for o in outcomes)
        or "no items"
    )
    metadata = {}
    for kind, key in {**RAW_KEYS, "follower_counts": FOLLOWER_COUNTS}.items():
        rows = sum(o.rows.get(kind, 0) for o in outcomes)
        metadata[key] = {
            "rows_loaded": rows,
            "dagster/row_count": rows,
            "account": account,
            "snapshot_date": day.isoformat(),
            "items": items,
            "quarantined": sum(o.status == "quarantined" for o in outcomes),
        }
    return metadata
