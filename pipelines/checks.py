"""Quality gates per layer. Blocking checks stop downstream assets of the same run.

Raw and core frames are validated with the Great Expectations suites of `quality/`; their
results (each expectation, unexpected counts, a sample of bad values) become check metadata
and Data Docs under `<home>/gx/`. Checks that GX would only make slower (a row count, SQL over
the whole history, identities between marts) are plain DuckDB queries.
"""

import os
import warnings

import dagster as dg

from inbox.discovery import parse_partition_key
from pipelines.assets.core import RELATIONSHIP_HISTORY, RELATIONSHIP_SNAPSHOTS
from pipelines.assets.ingest import RAW_KEYS
from pipelines.assets.marts import MART_KEYS
from pipelines.partitions import snapshots
from pipelines.resources import WAREHOUSE_POOL, LnwSettings
from quality.partial_export import (
    ACCEPT_ENV,
    ACCEPT_TAG,
    MAX_LOSS_ENV,
    Headcount,
    accepted_keys,
    blocked_message,
    excessive_losses,
    max_loss_share,
)
from quality.suites import CORE_SNAPSHOT_COLUMNS, RAW_RULES, core_snapshot_batch, raw_batch
from quality.validation import DATA_DOCS_SITE, ValidationReport, validate_batch
from warehouse.database import query_frame
from warehouse.raw import RAW_TABLES, snapshot_sources

# Partitioned asset checks are "preview" in Dagster 1.13: a warning for each check defined
# below, which nobody running the pipeline can act on. `lnw` hides it in its own process; this
# hides it in the processes that import the definitions without `lnw` (load_accounts' steps).
warnings.filterwarnings(
    "ignore", "Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)

SUITE_CHECK = "expectation_suite"
CAP_CHECK = "connections_within_linkedin_cap"
PARTIAL_EXPORT_CHECK = "partial_export_gate"
HISTORY_CHECK = "history_has_one_current_row"
# LinkedIn caps connections at 30,000, but accounts from before the cap hold more: a warning.
CONNECTION_CAP = 30_000


def suite_result(asset: dg.AssetKey, report: ValidationReport) -> dg.AssetCheckResult:
    metadata: dict = {
        "rows": report.rows,
        "expectations_evaluated": len(report.outcomes),
        "expectations_failed": len(report.failures),
        "expectations": dg.MetadataValue.md(report.markdown()),
        "validation_result": dg.MetadataValue.json(
            {"suite": report.suite, "success": report.success}
            | {"results": [o.as_dict() for o in report.outcomes]}
        ),
    }
    if report.data_docs is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(report.data_docs))
        metadata["data_docs_index"] = dg.MetadataValue.path(str(report.data_docs_index))
        # A browser will not open a file path from the UI's page: this command opens them.
        home = report.data_docs_index.parents[len(DATA_DOCS_SITE.parts)]
        metadata["open_data_docs"] = dg.MetadataValue.text(f"uv run lnw docs --home {home}")
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=SUITE_CHECK,
        passed=report.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=report.summary(),
        metadata=metadata,
    )


def raw_suite(
    con, kind: str, export_id: str | None, day, run_name: str, root
) -> dg.AssetCheckResult:
    if export_id is None:
        return _result(RAW_KEYS[kind], SUITE_CHECK, passed=True, note=f"no {kind} file")
    # Only what the facts are made of, unsorted: the suite reads no other column.
    table = RAW_TABLES[kind]
    columns = query_frame(con, f"SELECT * EXCLUDE (export_id, source_file) FROM {table} LIMIT 0")
    rows = query_frame(
        con,
        f"SELECT {', '.join(RAW_RULES[kind].fact_columns)} FROM {table} WHERE export_id = ?",
        [export_id],
    )
    return raw_suite_result(kind, rows, columns.columns, day, run_name=run_name, root=root)


def raw_suite_result(
    kind: str, rows, columns: list[str], day, *, run_name: str, root
) -> dg.AssetCheckResult:
    """The raw suite of one file kind on its stored rows (at least its fact columns);
    ``columns``: every column the file was stored with. Shared with the load_accounts job."""
    report = validate_batch(
        raw_batch(rows.select(RAW_RULES[kind].fact_columns), RAW_RULES[kind], day, columns),
        run_name=run_name,
        project_root=root,
        # The snapshot's core suite, which follows, renders the Data Docs of all of them.
        render_docs=False,
    )
    return suite_result(RAW_KEYS[kind], report)


def connections_within_cap(con, export_id: str | None) -> dg.AssetCheckResult:
    """LinkedIn's cap on the connections of the export that supplies a snapshot's
    Connections.csv (none: nothing to count). Shared with the load_accounts job."""
    identified = con.execute(
        "SELECT count(*) FROM raw.connections WHERE export_id = ? AND "
        "coalesce(first_name, last_name, profile_url, company, position) IS NOT NULL",
        [export_id],
    ).fetchall()[0][0]
    return dg.AssetCheckResult(
        asset_key=RAW_KEYS["connections"],
        check_name=CAP_CHECK,
        passed=identified <= CONNECTION_CAP,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"identified_connections": identified, "cap": CONNECTION_CAP},
    )


def _result(asset: dg.AssetKey, check: str, *, passed: bool, note: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset, check_name=check, passed=passed, metadata={"note": note}
    )


# The checks of one asset group run as one step: each Dagster step costs a concurrency-pool
# claim and a handful of events in its storage (0.2-0.5 s here), more than a small check.
@dg.multi_asset_check(
    name="raw_checks",
    specs=[
        *(
            dg.AssetCheckSpec(
                SUITE_CHECK,
                asset=key,
                blocking=True,
                partitions_def=snapshots,
                description=f"GX suite {RAW_RULES[kind].suite_name}: required columns "
                "present, profile URLs parse, dates parse and are not after the snapshot "
                "date, shares of blank-person rows and of rows without URL within bounds.",
            )
            for kind, key in RAW_KEYS.items()
        ),
        dg.AssetCheckSpec(
            CAP_CHECK,
            asset=RAW_KEYS["connections"],
            blocking=False,
            partitions_def=snapshots,
            description="Identified connections at most 30,000 (LinkedIn's cap); more is a "
            "warning only, since accounts from before the cap legitimately exceed it.",
        ),
    ],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def raw_checks(context: dg.AssetCheckExecutionContext, lnw: LnwSettings):
    account, day = parse_partition_key(context.partition_key)
    selected = context.selected_asset_check_keys
    with lnw.warehouse() as con:
        sources = snapshot_sources(con, account, day)
        for kind, key in RAW_KEYS.items():
            if dg.AssetCheckKey(key, SUITE_CHECK) in selected:
                yield raw_suite(
                    con, kind, sources.get(kind), day, context.partition_key, lnw.paths.root
                )
        if dg.AssetCheckKey(RAW_KEYS["connections"], CAP_CHECK) in selected:
            yield connections_within_cap(con, sources.get("connections"))


def snapshot_suite(con, account, day, run_name: str, root) -> dg.AssetCheckResult:
    has_list = con.execute(
        "SELECT has_follower_list FROM core.snapshots WHERE account = ? AND snapshot_date = ?",
        [account, day],
    ).fetchall()
    if not has_list:
        return _result(
            RELATIONSHIP_SNAPSHOTS, SUITE_CHECK, passed=True, note="no relationship snapshot"
        )
    people = query_frame(
        con,
        f"SELECT {', '.join(CORE_SNAPSHOT_COLUMNS)} FROM core.relationship_snapshots "
        "WHERE account = ? AND snapshot_date = ?",
        [account, day],
    )
    return snapshot_suite_result(people, has_list[0][0], run_name=run_name, root=root)


def snapshot_suite_result(
    people, has_follower_list: bool, *, run_name: str, root
) -> dg.AssetCheckResult:
    """The core suite on a snapshot's people; shared with the load_accounts job."""
    report = validate_batch(
        core_snapshot_batch(people.select(CORE_SNAPSHOT_COLUMNS), has_follower_list),
        run_name=run_name,
        project_root=root,
    )
    return suite_result(RELATIONSHIP_SNAPSHOTS, report)


def _headcount(con, account, day) -> Headcount | None:
    rows = con.execute(
        "SELECT count(r.person_key) FILTER (WHERE r.is_connection), "
        "count(r.person_key) FILTER (WHERE r.is_follower), any_value(s.has_follower_list) "
        "FROM core.snapshots AS s LEFT JOIN core.relationship_snapshots AS r "
        "USING (account, snapshot_date) WHERE s.account = ? AND s.snapshot_date = ?",
        [account, day],
    ).fetchall()
    connections, followers, has_list = rows[0]
    if has_list is None:
        return None
    return Headcount(day, connections, followers if has_list else None)


PARTIAL_EXPORT_DESCRIPTION = (
    "A snapshot losing more than LNW_MAX_LOSS (default 20 %) of the account's connections or "
    "followers since its previous snapshot is blocked as a likely partial export: it is not "
    "merged into the history nor counted in the metrics until accepted deliberately "
    "(`lnw run --accept-partial <account:date>`, the run tag `lnw/accept_partial`, or "
    "LNW_ACCEPT_PARTIAL)."
)


def partial_export_gate(con, key: str, run_tags, log) -> dg.AssetCheckResult:
    """The gate's decision on the snapshot stored for partition ``key``; ``run_tags`` may
    accept it (the `lnw/accept_partial` tag). Shared with the load_accounts job."""
    account, day = parse_partition_key(key)
    max_loss = max_loss_share()
    current = _headcount(con, account, day)
    before = con.execute(
        "SELECT max(snapshot_date) FROM core.snapshots "
        "WHERE account = ? AND snapshot_date < ? AND merged_at IS NOT NULL",
        [account, day],
    ).fetchall()[0][0]
    previous = _headcount(con, account, before) if before else None
    if current is None:
        return _result(
            RELATIONSHIP_SNAPSHOTS,
            PARTIAL_EXPORT_CHECK,
            passed=True,
            note="no relationship snapshot",
        )
    metadata: dict = {
        "connections": current.connections,
        "followers": current.followers,
        "previous_snapshot": str(before) if before else None,
        "previous_connections": previous.connections if previous else None,
        "previous_followers": previous.followers if previous else None,
        "max_loss_share": max_loss,
    }
    losses = excessive_losses(current, previous, max_loss)
    if not losses:
        return dg.AssetCheckResult(
            asset_key=RELATIONSHIP_SNAPSHOTS,
            check_name=PARTIAL_EXPORT_CHECK,
            passed=True,
            metadata=metadata,
        )
    metadata["losses"] = "; ".join(loss.describe() for loss in losses)
    from_tag = key in accepted_keys(run_tags.get(ACCEPT_TAG))
    if from_tag or key in accepted_keys(os.environ.get(ACCEPT_ENV)):
        accepted_by = f"run tag {ACCEPT_TAG}" if from_tag else f"environment {ACCEPT_ENV}"
        log.warning(f"{key}: {metadata['losses']}, accepted deliberately ({accepted_by})")
        return dg.AssetCheckResult(
            asset_key=RELATIONSHIP_SNAPSHOTS,
            check_name=PARTIAL_EXPORT_CHECK,
            passed=True,
            description=f"partial export accepted deliberately by {accepted_by}",
            metadata=metadata | {"accepted_partial_export": True, "accepted_by": accepted_by},
        )
    assert previous is not None  # losses exist only against a previous snapshot
    return dg.AssetCheckResult(
        asset_key=RELATIONSHIP_SNAPSHOTS,
        check_name=PARTIAL_EXPORT_CHECK,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=blocked_message(key, previous, losses, max_loss),
        metadata=metadata | {"setting": MAX_LOSS_ENV},
    )


@dg.multi_asset_check(
    name="relationship_snapshot_checks",
    specs=[
        dg.AssetCheckSpec(
            SUITE_CHECK,
            asset=RELATIONSHIP_SNAPSHOTS,
            blocking=True,
            partitions_def=snapshots,
            description="GX suite core_relationship_snapshots: one row per person per "
            "snapshot, relationship in the allowed set (follow classes only with a follower "
            "list).",
        ),
        dg.AssetCheckSpec(
            PARTIAL_EXPORT_CHECK,
            asset=RELATIONSHIP_SNAPSHOTS,
            blocking=True,
            partitions_def=snapshots,
            description=PARTIAL_EXPORT_DESCRIPTION,
        ),
    ],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def relationship_snapshot_checks(context: dg.AssetCheckExecutionContext, lnw: LnwSettings):
    account, day = parse_partition_key(context.partition_key)
    selected = context.selected_asset_check_keys
    with lnw.warehouse() as con:
        if dg.AssetCheckKey(RELATIONSHIP_SNAPSHOTS, SUITE_CHECK) in selected:
            yield snapshot_suite(con, account, day, context.partition_key, lnw.paths.root)
        if dg.AssetCheckKey(RELATIONSHIP_SNAPSHOTS, PARTIAL_EXPORT_CHECK) in selected:
            yield partial_export_gate(con, context.partition_key, context.run.tags, context.log)


def history_invariants(con, account: str) -> dg.AssetCheckResult:
    """The account's history: each person has at most one current row, periods do not
    overlap, each period ends after it starts, and a row is current exactly when it has no
    end. Shared with the load_accounts job."""
    # One pass over the account's history: both windows share one sort by person.
    several_current, overlaps, inverted, mislabelled = con.execute(
        "SELECT count(DISTINCT person_key) FILTER (WHERE current_rows > 1),"
        " count(*) FILTER (WHERE previous_end > valid_from),"
        " count(*) FILTER (WHERE valid_to <= valid_from),"
        " count(*) FILTER (WHERE is_current <> (valid_to IS NULL))"
        " FROM (SELECT person_key, valid_from, valid_to, is_current,"
        "  count(*) FILTER (WHERE is_current) OVER (PARTITION BY person_key) AS current_rows,"
        "  lag(coalesce(valid_to, DATE '9999-12-31'))"
        "   OVER (PARTITION BY person_key ORDER BY valid_from) AS previous_end"
        "  FROM core.relationship_history WHERE account = ?)",
        [account],
    ).fetchall()[0]
    return dg.AssetCheckResult(
        asset_key=RELATIONSHIP_HISTORY,
        check_name=HISTORY_CHECK,
        passed=several_current == overlaps == inverted == mislabelled == 0,
        metadata={
            "people_with_several_current_rows": several_current,
            "overlaps": overlaps,
            "periods_ending_before_they_start": inverted,
            "current_flag_disagrees_with_valid_to": mislabelled,
        },
    )


@dg.asset_check(
    asset=RELATIONSHIP_HISTORY,
    name=HISTORY_CHECK,
    blocking=True,
    partitions_def=snapshots,
    pool=WAREHOUSE_POOL,
)
def history_has_one_current_row(context: dg.AssetCheckExecutionContext, lnw: LnwSettings):
    """Each person has at most one current row, periods do not overlap, each period ends
    after it starts, and a row is current exactly when it has no end."""
    account, _ = parse_partition_key(context.partition_key)
    with lnw.warehouse() as con:
        return history_invariants(con, account)


# Each query counts the rows that break one identity of the design.
_IDENTITIES = {
    "mutual + connection_only = connections": "SELECT count(*) FROM marts.reach "
    "WHERE mutual IS NOT NULL AND mutual + connection_only <> connections",
    "mutual + follower_only = followers (follower list)": "SELECT count(*) FROM marts.reach "
    "WHERE followers_source = 'list' AND mutual + follower_only <> followers",
    "messageable = connections": "SELECT count(*) FROM marts.messaging_capacity AS m "
    "JOIN marts.reach AS r USING (account, snapshot_date) WHERE m.messageable <> r.connections",
    "active + dormant = connections": "SELECT count(*) FROM marts.messaging_capacity "
    "WHERE active_conversations_90d + dormant_connections <> messageable",
    "headroom = max(0, 30000 - connections)": "SELECT count(*) FROM marts.messaging_capacity "
    "WHERE connection_headroom <> greatest(0, 30000 - messageable)",
    "relevant <= total": "SELECT count(*) FROM marts.network_relevance WHERE "
    "relevant_connections > connections OR relevant_followers > followers "
    "OR recent_relevant_connections > recent_connections",
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
    failing = [name for name, count in broken.items() if count]
    return dg.AssetCheckResult(
        passed=not failing,
        description=f"broken on some snapshots: {', '.join(failing)}" if failing else None,
        metadata={name: count for name, count in broken.items()},
    )


ALL_CHECKS = [
    raw_checks,
    relationship_snapshot_checks,
    history_has_one_current_row,
    metric_identities_hold,
]
