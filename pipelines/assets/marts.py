"""Marts: reach, messaging capacity and relevance per snapshot; the public analytics views."""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from pipelines.assets.ingest import FOLLOWER_COUNTS, RELATIONSHIP_HISTORY
from pipelines.assets.metadata import (
    contract_metadata,
    markdown_preview,
    per_account_latest,
    source_assets,
    table_summary,
)
from pipelines.resources import WAREHOUSE_POOL, LnwSettings
from quality.data_docs import DATA_DOCS_SITE, VALIDATION_RESULTS, build_site
from quality.view_rules import VIEW_RULES, broken_rows, views_read
from transforms import metrics
from transforms.relevance import IdealCustomerProfile, score_relevance, target_company_rows
from warehouse.catalog import public_views
from warehouse.database import publish_read_copy
from warehouse.history import read_relationship_snapshot
from warehouse.marts import (
    earlier_pending_outbound,
    latest_snapshot_dates,
    settings,
    snapshot_facts,
    stale_snapshots,
    write_marts,
)

MART_KEYS = {
    name: dg.AssetKey(["marts", name])
    for name in ("reach", "messaging_capacity", "network_relevance", "contact_relevance")
}
# The public views and table macros, as the view files create them (warehouse/catalog.py):
# a view added to a file is an asset, with the dependencies its SQL reads.
PUBLIC_VIEWS = {relation.short_name: relation for relation in public_views()}
ANALYTICS_VIEWS = tuple(name for name, r in PUBLIC_VIEWS.items() if r.kind == "view")
# The rows a preview shows first: the most relevant people, the latest snapshots.
PREVIEW_ORDER = {
    "current_relationships": "account, relevance_score DESC NULLS LAST, full_name",
    "relationship_history": "account, valid_from DESC, person_key",
    "relationship_events": "account, event_date DESC, person_key, event",
    "network_growth": "account, month DESC",
    "reengage": "account, relevance_score DESC, last_conversation_on NULLS FIRST, full_name",
    "stale_invitations": "account, days_pending DESC, full_name",
    "invite_candidates": "account, relevance_score DESC, full_name",
    "network_composition": "account, dimension, connections DESC, value",
    "target_company_contacts": "account, target_company, left_on NULLS FIRST, full_name",
    "team_overlap": "len(accounts) DESC, full_name",
}
MART_DESCRIPTIONS = {
    "reach": "Followers, connections, class counts, audience and change since the previous "
    "snapshot, per account and snapshot.",
    "messaging_capacity": "Whom the account can message, active and dormant connections, "
    "pending invitations and headroom under the 30,000-connection cap.",
    "network_relevance": "Share of connections and followers matching the ICP, overall and "
    "among connections of the last 90 days.",
    "contact_relevance": "ICP score of every person at each account's latest snapshot.",
}


def wanted_settings(
    icp: IdealCustomerProfile, weekly_invitations: int, stale_invitation_days: int
) -> dict[str, str]:
    """What the marts and views depend on besides the snapshots: a change recomputes every
    snapshot and publishes the views again. The stale-invitation threshold and the target
    companies as written are read by the views themselves (analytics.stale_invitations,
    analytics.target_company_contacts)."""
    return {
        "icp": icp.fingerprint,
        "weekly_invitations": str(weekly_invitations),
        "stale_invitation_days": str(stale_invitation_days),
        "target_companies": "\n".join(icp.target_companies),
    }


def marts_settings_changed(lnw: LnwSettings) -> bool:
    """Whether the ICP or the invitation budget changed since the marts were computed (a
    refresh is due even without new exports). An unreadable ICP counts as a change, so that
    the refresh runs and reports the file's error."""
    try:
        icp, _ = lnw.profile()
    except ValueError:
        return True
    with lnw.warehouse() as con:
        return settings(con) != wanted_settings(
            icp, lnw.invitation_budget, lnw.stale_invitation_days
        )


def snapshot_metrics(
    con: duckdb.DuckDBPyConnection,
    facts: dict[tuple[str, dt.date], dict],
    account: str,
    day: dt.date,
    icp: IdealCustomerProfile,
    weekly_invitations: int,
) -> tuple[dict, dict, dict, pl.DataFrame | None]:
    """The three metric rows of one snapshot, and its people scored (None when it knows no
    connections)."""
    row = dict(facts[(account, day)])
    previous_date = row.pop("previous_date")
    now = metrics.SnapshotFacts(**row)
    previous = None
    if previous_date is not None:
        before = dict(facts[(account, previous_date)])
        before.pop("previous_date")
        previous = metrics.SnapshotFacts(**before)
    scored = pending = None
    if now.knows_connections:
        scored = score_relevance(read_relationship_snapshot(con, account, day), icp)
        pending = earlier_pending_outbound(con, account, now.connections_observed_on)
    return (
        metrics.reach(now, scored, previous),
        metrics.messaging_capacity(now, scored, pending, weekly_invitations=weekly_invitations),
        metrics.network_relevance(now, scored),
        scored,
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=[RELATIONSHIP_HISTORY, *([FOLLOWER_COUNTS] if name == "reach" else [])],
            description=MART_DESCRIPTIONS[name],
            group_name="marts",
            kinds={"polars", "duckdb"},
        )
        for name, key in MART_KEYS.items()
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def marts(context: dg.AssetExecutionContext, lnw: LnwSettings):
    """Recompute the metrics of every snapshot whose inputs changed (a new snapshot, and the
    later ones of its account, whose changes and acceptance rates look back at it), or of all
    snapshots when the ICP or the invitation budget changed."""
    icp, icp_file = lnw.profile()
    wanted = wanted_settings(icp, lnw.invitation_budget, lnw.stale_invitation_days)
    with lnw.warehouse() as con:
        stale = stale_snapshots(con, wanted)
        latest = latest_snapshot_dates(con)
        rows: dict[str, list[dict]] = {t: [] for t in ("reach", "capacity", "relevance")}
        contacts: dict[str, pl.DataFrame] = {}
        facts = snapshot_facts(con, stale)
        for account, day in stale:
            reach, capacity, relevance, scored = snapshot_metrics(
                con, facts, account, day, icp, lnw.invitation_budget
            )
            rows["reach"].append(reach)
            rows["capacity"].append(capacity)
            rows["relevance"].append(relevance)
            if latest.get(account) == day and scored is not None:
                contacts[account] = scored.select(
                    pl.lit(account).alias("account"),
                    pl.lit(day).alias("snapshot_date"),
                    "person_key",
                    "relevance_score",
                    "is_relevant",
                )
        tables = {
            "marts.reach": pl.DataFrame(rows["reach"], schema=metrics.REACH_SCHEMA),
            "marts.messaging_capacity": pl.DataFrame(
                rows["capacity"], schema=metrics.CAPACITY_SCHEMA
            ),
            "marts.network_relevance": pl.DataFrame(
                rows["relevance"], schema=metrics.RELEVANCE_SCHEMA
            ),
        }
        write_marts(con, stale, tables, contacts, wanted, target_company_rows(icp))
        totals = {
            name: con.execute(f"SELECT count(*) FROM marts.{name}").fetchall()[0][0]
            for name in MART_KEYS
        }
        latest_dates = {name: per_account_latest(con, f"marts.{name}") for name in MART_KEYS}
        previews = {
            name: markdown_preview(con, f"marts.{name}", "account, snapshot_date DESC")
            for name in MART_KEYS
            if name != "contact_relevance"
        }
    context.log.info(f"marts recomputed for {len(stale)} snapshot(s) with ICP {icp_file}")
    for name, key in MART_KEYS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "rows": totals[name],
                "dagster/row_count": totals[name],
                "latest_snapshots": latest_dates[name],
                **({"preview": dg.MetadataValue.md(previews[name])} if name in previews else {}),
                "snapshots_recomputed": len(stale),
                "icp_file": str(icp_file),
                "icp_fingerprint": icp.fingerprint,
            },
        )


def _view_description(relation) -> str:
    what = "table macro" if relation.kind == "macro" else "view"
    return f"Public SQL {what} {relation.name} (a stable contract): {relation.description}"


# Each view is evaluated once per refresh, as a table in this in-memory catalog, for both its
# metadata and its rules; the views other views' rules read stay there until the step's end.
EVALUATED = "evaluated_views"
READ_BY_RULES = {read for view in VIEW_RULES for read in views_read(view) if read != view}


# The rules do not block: the views are published when they run, so a failure could only keep
# the report away; each shows on its view's page with the count of rows breaking each rule.
@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["analytics", name],
            deps=source_assets(relation),
            description=_view_description(relation),
            group_name="analytics",
            kinds={"duckdb"},
            metadata=contract_metadata(relation),
        )
        for name, relation in PUBLIC_VIEWS.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "rules_hold",
            asset=dg.AssetKey(["analytics", view]),
            blocking=False,
            description=f"Every row of analytics.{view} keeps its rules: " + "; ".join(rules) + ".",
        )
        for view, rules in VIEW_RULES.items()
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def analytics_views(context: dg.AssetExecutionContext, lnw: LnwSettings):
    """The contract views, published: after this step the read copy of the warehouse that
    `lnw sql` and other clients query is replaced, atomically, and the Data Docs show every
    validation the loads kept. Each view's rules are checked on the rows it held then."""
    home = lnw.paths
    broken: dict[str, dict[str, int]] = {}
    with lnw.warehouse() as con:
        described = {}
        con.execute(f"ATTACH ':memory:' AS {EVALUATED}")
        try:
            con.execute(f"CREATE SCHEMA {EVALUATED}.analytics")
            for name, relation in PUBLIC_VIEWS.items():
                contract = contract_metadata(relation)
                described[name] = {
                    "sql": contract["sql"],
                    "columns_computed_from": contract["columns_computed_from"],
                }
                if relation.kind == "macro":
                    continue
                described[name] |= _evaluate(con, name, relation, broken)
                # Repeated from the definition: the UI's column lineage reads the latest
                # materialization.
                described[name]["dagster/column_lineage"] = contract["dagster/column_lineage"]
        finally:
            con.execute(f"DETACH {EVALUATED}")
        published = publish_read_copy(con, home.warehouse, home.published)
    # Here, once per refresh, rather than in the loads: the pool makes this step the only
    # builder of the site at a time, however many accounts load side by side.
    docs = build_site(home.root / VALIDATION_RESULTS, home.root / DATA_DOCS_SITE)
    context.log.info(f"Data Docs: {docs} (`lnw docs` opens them)")
    for name in PUBLIC_VIEWS:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["analytics", name]),
            metadata={**described[name], "published_copy": str(published)},
        )
    for view, counts in broken.items():
        failing = [rule for rule, count in counts.items() if count]
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["analytics", view]),
            check_name="rules_hold",
            passed=not failing,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"broken by some rows: {', '.join(failing)}" if failing else None,
            metadata=counts,
        )


def _evaluate(con: duckdb.DuckDBPyConnection, name: str, relation, broken: dict) -> dict:
    """Evaluate one view into `EVALUATED`, check its rules there (into ``broken``) and return
    its metadata: rows, accounts, latest snapshots, preview."""
    columns = {c.name for c in relation.columns}
    dated = "snapshot_date" in columns
    order = PREVIEW_ORDER.get(name, "account, snapshot_date DESC" if dated else "ALL")
    evaluated = f"{EVALUATED}.analytics.{name}"
    con.execute(f"CREATE TABLE {evaluated} AS FROM {relation.name}")
    rows, accounts, latest, preview = table_summary(
        con, evaluated, order, per_account="account" in columns, dated=dated
    )
    if name in VIEW_RULES:
        broken[name] = broken_rows(con, name, EVALUATED)
    if name not in READ_BY_RULES:
        con.execute(f"DROP TABLE {evaluated}")
    if accounts is None:  # the team views: one row per person or for all accounts
        query = "SELECT count(DISTINCT account) FROM core.snapshots"
        accounts = con.execute(query).fetchall()[0][0]
    described = {
        "rows": rows,
        "dagster/row_count": rows,
        "accounts": accounts,
        "preview": dg.MetadataValue.md(preview),
    }
    if dated:
        described["latest_snapshots"] = latest
    return described
