"""Core: one relationship per person per snapshot, and the SCD2 history of relationships."""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from inbox.discovery import parse_partition_key
from pipelines.assets.ingest import RAW_KEYS
from pipelines.partitions import snapshots
from pipelines.resources import WAREHOUSE_POOL, LnwSettings
from pipelines.snapshots import build_snapshot, read_snapshot_inputs
from warehouse.history import merge_snapshot_into_history, write_relationship_snapshot

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
    (or `connection` when the snapshot has no follower list). Merged into the history by the
    next step, after the checks (the partial-export gate among them) let it through; until
    then the views and marts do not see it."""
    account, day = parse_partition_key(context.partition_key)
    with lnw.warehouse() as con:
        inputs = read_snapshot_inputs(con, account, day)
    # Classified with the warehouse closed: other processes may use it meanwhile.
    build = build_snapshot(inputs)
    if build is None:
        context.log.warning(f"{account} {day}: no Connections.csv, no relationship snapshot")
        return dg.MaterializeResult(metadata={"rows": 0, "skipped": "no Connections.csv"})
    with lnw.warehouse() as con:
        write_relationship_snapshot(con, account, day, build.people, **build.facts)
    return dg.MaterializeResult(metadata=snapshot_metadata(build.people, account, day))


def snapshot_metadata(people: pl.DataFrame, account: str, day: dt.date) -> dict:
    counts = people["relationship"].value_counts().sort("relationship")
    return {
        "rows": people.height,
        "dagster/row_count": people.height,
        "account": account,
        "snapshot_date": day.isoformat(),
        "relationships": dg.MetadataValue.md(
            "| relationship | people |\n|---|---|\n"
            + "\n".join(f"| {r} | {n} |" for r, n in counts.iter_rows())
        ),
    }


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
        metadata = history_metadata(con, account, day, how)
    return dg.MaterializeResult(metadata=metadata)


def history_metadata(con: duckdb.DuckDBPyConnection, account: str, day: dt.date, how: str) -> dict:
    current, total = con.execute(
        "SELECT count(*) FILTER (WHERE is_current), count(*) "
        "FROM core.relationship_history WHERE account = ?",
        [account],
    ).fetchall()[0]
    return {
        "merge": how,
        "account": account,
        "snapshot_date": day.isoformat(),
        "current_rows": current,
        "rows": total,
        "dagster/row_count": total,
    }
