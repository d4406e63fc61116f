"""Quality gates per layer. Blocking checks stop downstream assets of the same run."""

import dagster as dg
import polars as pl

from lnw.inbox import parse_partition_key
from pipelines.assets.core import RELATIONSHIP_HISTORY, RELATIONSHIP_SNAPSHOTS
from pipelines.assets.ingest import RAW_KEYS
from pipelines.assets.marts import MART_KEYS
from pipelines.partitions import snapshots
from pipelines.resources import WAREHOUSE_POOL, LnwSettings
from transforms.classify import RELATIONSHIPS
from transforms.identity import canonical_profile_key
from warehouse.raw import read_raw, snapshot_sources


@dg.asset_check(
    asset=RAW_KEYS["connections"], blocking=True, partitions_def=snapshots, pool=WAREHOUSE_POOL
)
def connections_are_dated_and_keyed(context: dg.AssetCheckExecutionContext, lnw: LnwSettings):
    """Connections of the snapshot: no connection date after the snapshot date, and every
    profile URL present parses to a person key."""
    account, day = parse_partition_key(context.partition_key)
    with lnw.warehouse() as con:
        export_id = snapshot_sources(con, account, day).get("connections")
        if export_id is None:
            return dg.AssetCheckResult(passed=True, metadata={"note": "no Connections.csv"})
        rows = read_raw(con, "connections", export_id)
    future = rows.filter(pl.col("connected_on") > day)
    urls = rows["profile_url"].drop_nulls()
    unparsed = urls.filter(canonical_profile_key(urls).is_null())
    return dg.AssetCheckResult(
        passed=future.is_empty() and unparsed.is_empty(),
        metadata={
            "rows": rows.height,
            "connected_after_snapshot": future.height,
            "first_future_rows": str(future["row_number"].head(5).to_list()),
            "unparsed_profile_urls": unparsed.len(),
            "sample_unparsed": str(unparsed.head(5).to_list()),
        },
    )


@dg.asset_check(
    asset=RELATIONSHIP_SNAPSHOTS, blocking=True, partitions_def=snapshots, pool=WAREHOUSE_POOL
)
def one_row_per_person(context: dg.AssetCheckExecutionContext, lnw: LnwSettings):
    """After dedupe each person appears once per snapshot, in one of the allowed classes."""
    account, day = parse_partition_key(context.partition_key)
    with lnw.warehouse() as con:
        duplicates, unknown = con.execute(
            "SELECT (SELECT count(*) FROM (SELECT person_key FROM core.relationship_snapshots "
            "  WHERE account = $a AND snapshot_date = $d GROUP BY person_key HAVING count(*) > 1)),"
            " (SELECT count(*) FROM core.relationship_snapshots "
            "  WHERE account = $a AND snapshot_date = $d AND relationship NOT IN "
            "  (SELECT unnest($classes)))",
            {"a": account, "d": day, "classes": list(RELATIONSHIPS)},
        ).fetchall()[0]
    return dg.AssetCheckResult(
        passed=duplicates == 0 and unknown == 0,
        metadata={"duplicate_people": duplicates, "unknown_relationships": unknown},
    )


@dg.asset_check(
    asset=RELATIONSHIP_HISTORY, blocking=True, partitions_def=snapshots, pool=WAREHOUSE_POOL
)
def history_has_one_current_row(context: dg.AssetCheckExecutionContext, lnw: LnwSettings):
    """Each person has at most one current row and no overlapping periods."""
    account, _ = parse_partition_key(context.partition_key)
    with lnw.warehouse() as con:
        several_current, overlaps = con.execute(
            "SELECT (SELECT count(*) FROM (SELECT person_key FROM core.relationship_history "
            "  WHERE account = $a AND is_current GROUP BY person_key HAVING count(*) > 1)),"
            " (SELECT count(*) FROM (SELECT valid_from, lag(coalesce(valid_to, DATE '9999-12-31'))"
            "  OVER (PARTITION BY person_key ORDER BY valid_from) AS previous_end"
            "  FROM core.relationship_history WHERE account = $a) WHERE previous_end > valid_from)",
            {"a": account},
        ).fetchall()[0]
    return dg.AssetCheckResult(
        passed=several_current == 0 and overlaps == 0,
        metadata={"people_with_several_current_rows": several_current, "overlaps": overlaps},
    )


# Each query counts the rows that break one identity of the design.
_IDENTITIES = {
    "mutual + connection_only = connections": "SELECT count(*) FROM marts.reach "
    "WHERE mutual IS NOT NULL AND mutual + connection_only <> connections",
    "messageable = connections": "SELECT count(*) FROM marts.messaging_capacity AS m "
    "JOIN marts.reach AS r USING (account, snapshot_date) WHERE m.messageable <> r.connections",
    "active + dormant = connections": "SELECT count(*) FROM marts.messaging_capacity "
    "WHERE active_conversations_90d + dormant_connections <> messageable",
    "headroom = max(0, 30000 - connections)": "SELECT count(*) FROM marts.messaging_capacity "
    "WHERE connection_headroom <> greatest(0, 30000 - messageable)",
    "rates within [0, 1]": "SELECT count(*) FROM marts.network_relevance WHERE "
    "relevance_rate NOT BETWEEN 0 AND 1 OR follower_relevance_rate NOT BETWEEN 0 AND 1 "
    "OR recent_relevance_rate NOT BETWEEN 0 AND 1",
    "acceptance rate within [0, 1]": "SELECT count(*) FROM marts.messaging_capacity "
    "WHERE invitation_acceptance_rate NOT BETWEEN 0 AND 1",
}


@dg.asset_check(asset=MART_KEYS["reach"], blocking=True, pool=WAREHOUSE_POOL)
def metric_identities_hold(lnw: LnwSettings):
    """The identities between the metrics hold on every snapshot."""
    with lnw.warehouse() as con:
        broken = {name: con.execute(sql).fetchall()[0][0] for name, sql in _IDENTITIES.items()}
    return dg.AssetCheckResult(
        passed=not any(broken.values()),
        metadata={name: count for name, count in broken.items()},
    )


ALL_CHECKS = [
    connections_are_dated_and_keyed,
    one_row_per_person,
    history_has_one_current_row,
    metric_identities_hold,
]
