"""Core: one relationship per person per snapshot, and the SCD2 history of relationships."""

import dagster as dg

from lnw.inbox import parse_partition_key
from pipelines.assets.ingest import RAW_KEYS
from pipelines.partitions import snapshots
from pipelines.resources import WAREHOUSE_POOL, LnwSettings
from transforms.classify import (
    classify_relationships,
    conversations_are_attributable,
    count_unidentified,
    detect_self_key,
)
from transforms.identity import adopt_known_keys
from warehouse.history import merge_snapshot_into_history, write_relationship_snapshot
from warehouse.raw import read_raw, snapshot_sources, url_connections

RELATIONSHIP_SNAPSHOTS = dg.AssetKey(["core", "relationship_snapshots"])
RELATIONSHIP_HISTORY = dg.AssetKey(["core", "relationship_history"])


@dg.asset(
    key=RELATIONSHIP_SNAPSHOTS,
    deps=list(RAW_KEYS.values()),
    partitions_def=snapshots,
    group_name="core",
    kinds={"polars", "duckdb"},
    pool=WAREHOUSE_POOL,
)
def relationship_snapshots(context: dg.AssetExecutionContext, lnw: LnwSettings):
    """Every person related to the account at the snapshot, keyed by canonical profile slug
    and classified: mutual, connection_only, follower_only, pending_outbound, pending_inbound
    (or `connection` when the snapshot has no follower list). Written and merged into the
    history in one transaction, so a crash never leaves one without the other."""
    account, day = parse_partition_key(context.partition_key)
    with lnw.warehouse() as con:
        sources = snapshot_sources(con, account, day)
        if "connections" not in sources:
            context.log.warning(f"{account} {day}: no Connections.csv, no relationship snapshot")
            return dg.MaterializeResult(metadata={"rows": 0, "skipped": "no Connections.csv"})
        frames = {kind: read_raw(con, kind, export_id) for kind, export_id in sources.items()}
        if not conversations_are_attributable(frames["connections"], frames.get("messages")):
            frames.pop("messages", None)
        self_key = detect_self_key(frames.get("invitations"), frames.get("messages"))
        people = classify_relationships(
            frames["connections"],
            frames.get("followers"),
            frames.get("invitations"),
            frames.get("messages"),
            snapshot_date=day,
            self_key=self_key,
        )
        # Pre-2024 exports have no URLs: their people take the slug known from later exports.
        people = adopt_known_keys(people, url_connections(con, account))
        write_relationship_snapshot(
            con,
            account,
            day,
            people,
            export_ids=sorted(set(sources.values())),
            self_key=self_key,
            has_follower_list="followers" in sources,
            has_invitations="invitations" in sources,
            has_messages="messages" in frames,
            unidentified_connections=count_unidentified(frames["connections"]),
        )
    counts = people["relationship"].value_counts().sort("relationship")
    return dg.MaterializeResult(
        metadata={
            "rows": people.height,
            "dagster/row_count": people.height,
            "account": account,
            "snapshot_date": day.isoformat(),
            "relationships": dg.MetadataValue.md(
                "| relationship | people |\n|---|---|\n"
                + "\n".join(f"| {r} | {n} |" for r, n in counts.iter_rows())
            ),
        }
    )


@dg.asset(
    key=RELATIONSHIP_HISTORY,
    deps=[RELATIONSHIP_SNAPSHOTS],
    partitions_def=snapshots,
    group_name="core",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def relationship_history(context: dg.AssetExecutionContext, lnw: LnwSettings):
    """SCD type 2: one row per person and period of unchanged relationship and profile
    attributes (valid_from, valid_to, is_current), whatever order snapshots arrive in.
    The snapshot's own step merges it; this step completes a merge only if that is due."""
    account, day = parse_partition_key(context.partition_key)
    with lnw.warehouse() as con:
        built = con.execute(
            "SELECT count(*) FROM core.snapshots WHERE account = ? AND snapshot_date = ?",
            [account, day],
        ).fetchall()[0][0]
        if not built:
            return dg.MaterializeResult(metadata={"skipped": "no relationship snapshot"})
        how = merge_snapshot_into_history(con, account, day)
        current, total = con.execute(
            "SELECT count(*) FILTER (WHERE is_current), count(*) "
            "FROM core.relationship_history WHERE account = ?",
            [account],
        ).fetchall()[0]
    return dg.MaterializeResult(
        metadata={
            "merge": how,
            "account": account,
            "snapshot_date": day.isoformat(),
            "current_rows": current,
            "rows": total,
            "dagster/row_count": total,
        }
    )
