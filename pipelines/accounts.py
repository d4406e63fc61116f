"""The load_accounts job's steps: one per account, so that accounts load in parallel.

A partition run holds the `warehouse` pool for each whole step, its parsing and validation
included, and a run per snapshot pays Dagster's start-up each time. Here a step loads one
account's pending snapshots in date order (an account's snapshots build on each other: the
gate compares with the previous one, the merge extends its history) and opens the
warehouse only for DuckDB's part of the work, under the OS lock of `LnwSettings.warehouse`:

    which items are new  (locked)         ->  parse items           (no connection)
    store raw rows, read them back (locked)  ->  validate, classify (no connection)
    write snapshot, gate, merge history   (locked)

Every stage calls what the ingest assets and their checks call, and reports the same
materializations and check evaluations (names, severity, blocking flags) on the same
partitions, so the UI shows these loads as it shows partition runs: the expectation suites,
the connections cap (a warning), the partial-export gate and the history invariants. One
difference: the suites validate without the GX project under <home>/gx (its files are not
safe for several processes writing at once), so these loads render no Data Docs; each
expectation's result is in the check's metadata all the same.
"""

import dagster as dg

from lnw.inbox import parse_partition_key
from lnw.ingest import ingest_snapshot_items, pending_snapshot_keys
from lnw.snapshots import SnapshotInputs, build_snapshot, read_snapshot_inputs
from pipelines.assets.core import (
    RELATIONSHIP_HISTORY,
    RELATIONSHIP_SNAPSHOTS,
    history_metadata,
    snapshot_metadata,
)
from pipelines.assets.ingest import RAW_KEYS, raw_metadata
from pipelines.checks import (
    ALL_CHECKS,
    CAP_CHECK,
    HISTORY_CHECK,
    PARTIAL_EXPORT_CHECK,
    SUITE_CHECK,
    connections_within_cap,
    history_invariants,
    partial_export_gate,
    raw_suite_result,
    snapshot_suite_result,
)
from pipelines.partitions import snapshots
from pipelines.resources import LnwSettings
from warehouse.history import merge_snapshot_into_history, write_relationship_snapshot

# Whether a failed check stops what follows, as the asset checks declare it.
BLOCKING = {spec.key: spec.blocking for checks in ALL_CHECKS for spec in checks.check_specs}


class SnapshotsToLoad(dg.Config):
    # Partition keys `<account>:<YYYY-MM-DD>`; none: every new or unfinished snapshot.
    snapshots: list[str] | None = None


@dg.op(out=dg.DynamicOut(list))
def accounts_to_load(context: dg.OpExecutionContext, config: SnapshotsToLoad, lnw: LnwSettings):
    """The snapshots to load (the configured partition keys, else every pending one),
    grouped by account, oldest first; their partitions are registered."""
    keys = list(config.snapshots or [])
    if not keys:
        with lnw.warehouse() as con:
            keys = pending_snapshot_keys(lnw.paths, con)
    known = set(context.instance.get_dynamic_partitions(snapshots.name))
    context.instance.add_dynamic_partitions(snapshots.name, [k for k in keys if k not in known])
    by_account: dict[str, list[str]] = {}
    for key in sorted(set(keys), key=parse_partition_key):
        by_account.setdefault(parse_partition_key(key)[0], []).append(key)
    context.log.info(f"{len(keys)} snapshot(s) of {len(by_account)} account(s) to load")
    for number, (account, account_keys) in enumerate(sorted(by_account.items())):
        # Mapping keys allow letters, digits and underscores only; account names need not.
        readable = "".join(c if c.isalnum() else "_" for c in account)[:40]
        yield dg.DynamicOutput(account_keys, mapping_key=f"a{number}_{readable}")


@dg.op(out={})
def load_account(context: dg.OpExecutionContext, lnw: LnwSettings, snapshot_keys: list):
    """Load one account's snapshots in date order; fails at the end if a check blocked any."""
    blocked = []
    for key in snapshot_keys:
        stopped = yield from _load_snapshot(context, lnw, key)
        if stopped:
            blocked.append(f"{key}: {stopped}")
    if blocked:
        raise dg.Failure(
            description="blocked by a check, not merged into the history: " + "; ".join(blocked)
        )


def _check(context, asset_key, check_name: str, key: str, result: dg.AssetCheckResult) -> bool:
    """Report ``result`` as the asset check would; returns whether it lets the load go on (a
    failed non-blocking check does)."""
    blocking = BLOCKING[dg.AssetCheckKey(asset_key, check_name)]
    context.log_event(
        dg.AssetCheckEvaluation(
            asset_key=asset_key,
            check_name=check_name,
            passed=result.passed,
            metadata=result.metadata,
            severity=result.severity,
            description=result.description,
            blocking=blocking,
            partition=key,
        )
    )
    return result.passed or not blocking


def _load_snapshot(context: dg.OpExecutionContext, lnw: LnwSettings, key: str):
    """One snapshot, as raw_exports, relationship_snapshots, relationship_history and their
    blocking checks would load it; returns why it stopped before the history, if it did."""
    account, day = parse_partition_key(key)
    home = lnw.paths
    read: list[tuple[SnapshotInputs, dg.AssetCheckResult]] = []

    def read_stored(con) -> None:
        inputs = read_snapshot_inputs(con, account, day)
        read.append((inputs, connections_within_cap(con, inputs.sources.get("connections"))))

    outcomes = ingest_snapshot_items(home, lnw.warehouse, account, day, while_open=read_stored)
    ((inputs, cap),) = read
    for outcome in outcomes:
        if outcome.status == "quarantined":
            context.log.warning(f"{key} {outcome.item.name}: quarantined {outcome.detail}")
    for asset_key, metadata in raw_metadata(outcomes, account, day).items():
        yield dg.AssetMaterialization(asset_key, partition=key, metadata=metadata)

    # Validation and classification with the warehouse closed: the other steps use it.
    failed = [
        kind
        for kind in RAW_KEYS
        if not _check(context, RAW_KEYS[kind], SUITE_CHECK, key, _raw_suite(inputs, kind, key))
    ]
    _check(context, RAW_KEYS["connections"], CAP_CHECK, key, cap)
    if failed:
        return f"the expectation suite of raw/{', raw/'.join(failed)} failed"
    build = build_snapshot(inputs)
    if build is None:
        yield dg.AssetMaterialization(
            RELATIONSHIP_SNAPSHOTS,
            partition=key,
            metadata={"rows": 0, "skipped": "no Connections.csv"},
        )
        return None
    people = build.people
    has_list = build.facts["has_follower_list"]
    suite = snapshot_suite_result(people, has_list, run_name=key, root=None)
    merged = invariants = None
    with lnw.warehouse() as con:
        write_relationship_snapshot(con, account, day, people, **build.facts)
        gate = partial_export_gate(con, key, context.run.tags, context.log)
        if suite.passed and gate.passed:
            how = merge_snapshot_into_history(con, account, day)
            merged = history_metadata(con, account, day, how)
            invariants = history_invariants(con, account)
    yield dg.AssetMaterialization(
        RELATIONSHIP_SNAPSHOTS, partition=key, metadata=snapshot_metadata(people, account, day)
    )
    _check(context, RELATIONSHIP_SNAPSHOTS, SUITE_CHECK, key, suite)
    _check(context, RELATIONSHIP_SNAPSHOTS, PARTIAL_EXPORT_CHECK, key, gate)
    if merged is None:
        return suite.description if not suite.passed else gate.description
    yield dg.AssetMaterialization(RELATIONSHIP_HISTORY, partition=key, metadata=merged)
    if not _check(context, RELATIONSHIP_HISTORY, HISTORY_CHECK, key, invariants):
        return "the history invariants do not hold"
    return None


def _raw_suite(inputs: SnapshotInputs, kind: str, key: str) -> dg.AssetCheckResult:
    """The raw expectation suite of one file kind (the check `raw/<kind> expectation_suite`).

    Validated without a GX project: the file context under <home>/gx is not safe for several
    processes writing at once. The results are in the check's metadata all the same."""
    rows = inputs.frames.get(kind)
    if rows is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": f"no {kind} file"})
    return raw_suite_result(kind, rows, rows.columns, inputs.day, run_name=key, root=None)
