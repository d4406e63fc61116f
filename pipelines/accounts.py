"""The load_accounts job's steps: one per account, so that accounts load in parallel.

A partition run holds the `warehouse` pool for each whole step, its parsing and validation
included, and a run per snapshot pays Dagster's start-up each time. Here a step loads one
account's pending snapshots in date order (an account's snapshots build on each other: the
gate compares with the previous one, the merge extends its history) and opens the
warehouse only for DuckDB's part of the work, under the OS lock of `LnwSettings.warehouse`:

    once per step (locked): the stored export ids, the account's snapshot dates with stored
        exports and its connections with a profile URL (kept up to date by the step)
    per snapshot:
        parse the new items, validate and classify the parsed frames   (no connection)
        store raw rows, cap check, write snapshot, gate, merge history,
        history invariants                                              (locked, once)

The parsed frames are what the raw rows read back would be (`read_raw`: same columns and
types, timestamps in DuckDB's session zone), so nothing is read back. A snapshot with an
export stored before (one left unfinished, or a new item for a loaded day) takes the long
way: store and read its files back (locked), validate and classify, write (locked again).
The same when the stored sources differ from those the parsed items predicted.

Every stage calls what the ingest assets and their checks call, and reports the same
materializations and check evaluations (names, severity, blocking flags) on the same
partitions, so the UI shows these loads as it shows partition runs: the expectation suites,
the connections cap (a warning), the partial-export gate and the history invariants. One
difference: the suites validate without the GX project under <home>/gx (its files are not
safe for several processes writing at once), so these loads render no Data Docs; each
expectation's result is in the check's metadata all the same.
"""

from dataclasses import dataclass

import dagster as dg

from inbox.discovery import parse_partition_key
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
from pipelines.ingest import parse_snapshot_items, pending_snapshot_keys, store_parsed
from pipelines.partitions import snapshots
from pipelines.resources import LnwSettings
from pipelines.snapshots import (
    AccountReads,
    SnapshotBuild,
    SnapshotInputs,
    build_snapshot,
    parsed_snapshot_inputs,
    read_snapshot_inputs,
)
from warehouse.history import merge_snapshot_into_history, write_relationship_snapshot
from warehouse.raw import snapshot_sources

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
    # No other step loads this account: what its snapshots need from the warehouse besides
    # their own files is read once here, and kept up to date as they are stored.
    with lnw.warehouse() as con:
        reads = AccountReads.read(con, parse_partition_key(snapshot_keys[0])[0])
    blocked = []
    for key in snapshot_keys:
        stopped = yield from _load_snapshot(context, lnw, key, reads)
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


@dataclass
class _Prepared:
    """What a snapshot's load computes with the warehouse closed."""

    raw_suites: dict[str, dg.AssetCheckResult]
    build: SnapshotBuild | None = None
    suite: dg.AssetCheckResult | None = None


def _prepare(inputs: SnapshotInputs, key: str) -> _Prepared:
    """Validate the raw files and, if they pass, classify and validate the snapshot."""
    prepared = _Prepared({kind: _raw_suite(inputs, kind, key) for kind in RAW_KEYS})
    if all(r.passed for r in prepared.raw_suites.values()):
        prepared.build = build_snapshot(inputs)
    if prepared.build is not None:
        people, has_list = prepared.build.people, prepared.build.facts["has_follower_list"]
        prepared.suite = snapshot_suite_result(people, has_list, run_name=key, root=None)
    return prepared


@dataclass
class _Written:
    gate: dg.AssetCheckResult | None = None
    merged: dict | None = None  # the history's materialization metadata, if merged
    invariants: dg.AssetCheckResult | None = None


def _write(con, context, key: str, prepared: _Prepared) -> _Written:
    """Write the classified snapshot, run the gate, merge it if nothing blocked it and check
    the history: relationship_snapshots, relationship_history and their checks."""
    written = _Written()
    if prepared.build is None:
        return written
    account, day = parse_partition_key(key)
    write_relationship_snapshot(con, account, day, prepared.build.people, **prepared.build.facts)
    written.gate = partial_export_gate(con, key, context.run.tags, context.log)
    if prepared.suite.passed and written.gate.passed:
        how = merge_snapshot_into_history(con, account, day)
        written.merged = history_metadata(con, account, day, how)
        written.invariants = history_invariants(con, account)
    return written


def _load_snapshot(context: dg.OpExecutionContext, lnw: LnwSettings, key: str, reads):
    """One snapshot, as raw_exports, relationship_snapshots, relationship_history and their
    checks would load it; returns why it stopped before the history, if it did.

    Usually the warehouse is opened once: the parsed frames are what the raw rows read back
    would be, so validation and classification run on them before anything is stored, and
    the one opening stores the raw rows, writes the snapshot, gates and merges it."""
    account, day = parse_partition_key(key)
    parsed = parse_snapshot_items(lnw.paths, account, day, reads.loaded)
    inputs = parsed_snapshot_inputs(reads, day, parsed.read)
    outcomes = None
    if inputs is None:
        # Some of its files may be stored already (an unfinished snapshot): store the new
        # ones, then read them all back.
        with lnw.warehouse() as con:
            outcomes = store_parsed(con, parsed)
            inputs = read_snapshot_inputs(con, account, day)
            cap = connections_within_cap(con, inputs.sources.get("connections"))
        reads.stored(day, parsed.read)
    prepared = _prepare(inputs, key)
    written = _Written()
    if outcomes is None or prepared.build is not None:
        with lnw.warehouse() as con:
            if outcomes is None:
                outcomes = store_parsed(con, parsed)
                reads.stored(day, parsed.read)
                if snapshot_sources(con, account, day) != inputs.sources:
                    # Not the files the parsed items predicted (should two items have the
                    # same load time): the stored ones decide, as in a partition run.
                    inputs, prepared = read_snapshot_inputs(con, account, day), None
                cap = connections_within_cap(con, inputs.sources.get("connections"))
            if prepared is not None:
                written = _write(con, context, key, prepared)
    if prepared is None:
        prepared = _prepare(inputs, key)
        if prepared.build is not None:
            with lnw.warehouse() as con:
                written = _write(con, context, key, prepared)

    for outcome in outcomes:
        if outcome.status == "quarantined":
            context.log.warning(f"{key} {outcome.item.name}: quarantined {outcome.detail}")
    for asset_key, metadata in raw_metadata(outcomes, account, day).items():
        yield dg.AssetMaterialization(asset_key, partition=key, metadata=metadata)
    failed = [
        kind
        for kind, result in prepared.raw_suites.items()
        if not _check(context, RAW_KEYS[kind], SUITE_CHECK, key, result)
    ]
    _check(context, RAW_KEYS["connections"], CAP_CHECK, key, cap)
    if failed:
        return f"the expectation suite of raw/{', raw/'.join(failed)} failed"
    if prepared.build is None:
        yield dg.AssetMaterialization(
            RELATIONSHIP_SNAPSHOTS,
            partition=key,
            metadata={"rows": 0, "skipped": "no Connections.csv"},
        )
        return None
    people, suite, gate = prepared.build.people, prepared.suite, written.gate
    yield dg.AssetMaterialization(
        RELATIONSHIP_SNAPSHOTS, partition=key, metadata=snapshot_metadata(people, account, day)
    )
    _check(context, RELATIONSHIP_SNAPSHOTS, SUITE_CHECK, key, suite)
    _check(context, RELATIONSHIP_SNAPSHOTS, PARTIAL_EXPORT_CHECK, key, gate)
    if written.merged is None:
        return suite.description if not suite.passed else gate.description
    yield dg.AssetMaterialization(RELATIONSHIP_HISTORY, partition=key, metadata=written.merged)
    if not _check(context, RELATIONSHIP_HISTORY, HISTORY_CHECK, key, written.invariants):
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
