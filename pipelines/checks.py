"""Quality gates per layer. Blocking checks keep bad data out of what follows.

The loaded layers are checked by the load itself (pipelines/loading.py), as it judges each
observation: the raw files with the Great Expectations suites of `quality/` (one GX run per
file kind and load, each file judged on its own), the connections cap, the partial-export
gate, the classified snapshots with the core suite, and the history's invariants after the
merge. Every load reports a result for each of `LOADED_CHECKS` on the account's partition.
Checks that GX would only make slower (a count, SQL over the whole history, identities
between marts) are plain DuckDB queries.
"""

import warnings

import dagster as dg

from pipelines.assets.ingest import RAW_KEYS, RELATIONSHIP_HISTORY, RELATIONSHIP_SNAPSHOTS
from pipelines.assets.marts import MART_KEYS
from pipelines.loading import AccountLoad
from pipelines.partitions import accounts
from pipelines.resources import WAREHOUSE_POOL, LnwSettings
from quality.data_docs import DATA_DOCS_SITE
from quality.suites import RAW_RULES
from quality.validation import ValidationReport
from transforms.timeline import CONNECTIONS
from warehouse.observations import BLOCKED, USED

# Partitioned asset checks are "preview" in Dagster 1.13: a warning for each check defined
# below, which nobody running the pipeline can act on. `lnw` hides it in its own process; this
# hides it in the processes that import the definitions without `lnw` (the steps of a
# multiprocess load).
warnings.filterwarnings(
    "ignore", "Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)

SUITE_CHECK = "expectation_suite"
CAP_CHECK = "connections_within_linkedin_cap"
PARTIAL_EXPORT_CHECK = "partial_export_gate"
HISTORY_CHECK = "history_has_one_current_row"
# LinkedIn caps connections at 30,000, but accounts from before the cap hold more: a warning.
CONNECTION_CAP = 30_000

PARTIAL_EXPORT_DESCRIPTION = (
    "An archive or a follower list losing more than LNW_MAX_LOSS (default 20 %) of the "
    "connections or followers of the previous one of its kind is blocked as a likely partial "
    "export: no snapshot uses it until it is accepted deliberately "
    "(`lnw run --accept-partial <account:date>`, the run tag `lnw/accept_partial`, or "
    "LNW_ACCEPT_PARTIAL) or replaced by a complete export of the same day."
)


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
        # A browser will not open a file path from the UI's page: this command builds the
        # pages (the metrics refresh does too) and opens them.
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


def cap_result(identified: dict) -> dg.AssetCheckResult:
    """LinkedIn's cap on the identified connections of each archive (by date) judged."""
    over = {str(day): n for day, n in sorted(identified.items()) if n > CONNECTION_CAP}
    return dg.AssetCheckResult(
        asset_key=RAW_KEYS["connections"],
        check_name=CAP_CHECK,
        passed=not over,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"over the cap: {over}" if over else None,
        metadata={
            "identified_connections": max(identified.values(), default=0),
            "cap": CONNECTION_CAP,
            "archives": len(identified),
        },
    )


def gate_result(observations) -> dg.AssetCheckResult:
    """The gate's decisions on ``observations`` (`warehouse.observations.Observation`)."""
    blocked = [o for o in observations if o.status == BLOCKED]
    lines = [
        "| observed on | kind | decision | people | previous | why |",
        "|---|---|---|---|---|---|",
    ]
    for o in observations:
        decision = "accepted" if o.accepted_by and o.status == USED else o.status
        why = f"{o.reason} ({o.accepted_by})" if o.accepted_by and o.reason else o.reason or ""
        lines.append(
            f"| {o.observed_on} | {o.kind} | {decision} | {o.people} | "
            f"{o.previous_observed_on or ''} | {why} |"
        )
    accepted = [o for o in observations if o.accepted_by and o.status == USED]
    table = "\n".join(lines) if observations else "no observation judged"
    metadata = {"observations": dg.MetadataValue.md(table), "blocked": len(blocked)}
    if accepted:
        metadata["accepted_partial_export"] = True
        metadata["accepted_by"] = ", ".join(sorted({o.accepted_by for o in accepted}))
    description = "; ".join(o.reason for o in blocked) if blocked else None
    if accepted and not blocked:
        description = f"partial export accepted deliberately by {metadata['accepted_by']}"
    return dg.AssetCheckResult(
        asset_key=RELATIONSHIP_SNAPSHOTS,
        check_name=PARTIAL_EXPORT_CHECK,
        passed=not blocked,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata=metadata,
    )


def refused_result(kind: str, reasons: list[str]) -> dg.AssetCheckResult:
    """A raw suite that failed on an earlier load, for files no new export replaced."""
    return dg.AssetCheckResult(
        asset_key=RAW_KEYS[kind],
        check_name=SUITE_CHECK,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(reasons),
        metadata={"note": "refused on an earlier load; replace the export to load it"},
    )


def history_result(broken: dict[str, int]) -> dg.AssetCheckResult:
    """The history invariants (`warehouse.history.broken_invariants`) as the check's result."""
    return dg.AssetCheckResult(
        asset_key=RELATIONSHIP_HISTORY,
        check_name=HISTORY_CHECK,
        passed=not any(broken.values()),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=dict(broken),
    )


def load_check_results(load: AccountLoad) -> list[dg.AssetCheckResult]:
    """One result for each check of the loaded assets, from one account's load: what it
    judged, and what an earlier load left refused or blocked."""
    judgement = load.judgement
    refused: dict[str, list[str]] = {}
    for o in judgement.refused_before:
        kind = "connections" if o.kind == CONNECTIONS else "followers"
        refused.setdefault(kind, []).append(f"{o.observed_on}: {o.reason}")
    results = []
    for kind, key in RAW_KEYS.items():
        if kind in judgement.raw:
            results.append(suite_result(key, judgement.raw[kind]))
        elif kind in refused:
            results.append(refused_result(kind, refused[kind]))
        else:
            results.append(_nothing_new(key, SUITE_CHECK, f"no new {kind} file"))
    results.append(cap_result(judgement.cap))
    if judgement.core is not None:
        results.append(suite_result(RELATIONSHIP_SNAPSHOTS, judgement.core))
    else:
        results.append(_nothing_new(RELATIONSHIP_SNAPSHOTS, SUITE_CHECK, "no snapshot built"))
    results.append(gate_result(judgement.gate))
    if load.invariants is not None:
        results.append(history_result(load.invariants))
    else:
        results.append(_nothing_new(RELATIONSHIP_HISTORY, HISTORY_CHECK, "history unchanged"))
    return results


def _nothing_new(asset: dg.AssetKey, check: str, note: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset, check_name=check, passed=True, metadata={"note": note}
    )


def _spec(name: str, asset: dg.AssetKey, description: str, blocking: bool = True):
    return dg.AssetCheckSpec(
        name, asset=asset, blocking=blocking, partitions_def=accounts, description=description
    )


# The checks of the loaded assets, evaluated by every load of an account (pipelines/loading.py)
# and reported on its partition, whatever launched the load.
LOADED_CHECKS = [
    *(
        _spec(
            SUITE_CHECK,
            key,
            f"GX suite {RAW_RULES[kind].suite_name}, file by file: required columns present, "
            "profile URLs parse, dates parse and are not after the observation's date, shares "
            "of blank-person rows and of rows without URL within bounds. A file that fails it "
            "is refused: no snapshot uses its observation until a new export of that day "
            "replaces it.",
        )
        for kind, key in RAW_KEYS.items()
    ),
    _spec(
        CAP_CHECK,
        RAW_KEYS["connections"],
        "Identified connections of an archive at most 30,000 (LinkedIn's cap); more is a "
        "warning only, since accounts from before the cap exceed it.",
        blocking=False,
    ),
    _spec(
        SUITE_CHECK,
        RELATIONSHIP_SNAPSHOTS,
        "GX suite core_relationship_snapshots, snapshot by snapshot: one row per person, "
        "relationship in the allowed set (follow classes only with a follower list). A load "
        "whose snapshots fail it writes none of them.",
    ),
    _spec(PARTIAL_EXPORT_CHECK, RELATIONSHIP_SNAPSHOTS, PARTIAL_EXPORT_DESCRIPTION),
    _spec(
        HISTORY_CHECK,
        RELATIONSHIP_HISTORY,
        "Each person has at most one current row, periods do not overlap, each period ends "
        "after it starts, and a row is current exactly when it has no end.",
    ),
]


# Each query counts the rows that break one identity of the design.
_IDENTITIES = {
    "mutual + connection_only = connections": "SELECT count(*) FROM marts.reach "
    "WHERE mutual IS NOT NULL AND mutual + connection_only <> connections",
    "mutual + follower_only = followers (follower list)": "SELECT count(*) FROM marts.reach "
    "WHERE followers_source = 'list' AND mutual IS NOT NULL "
    "AND mutual + follower_only <> followers",
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


# Whether a failed check keeps bad data out of what follows, as the checks declare it.
BLOCKING = {
    spec.key: spec.blocking for spec in [*LOADED_CHECKS, *metric_identities_hold.check_specs]
}
