"""`lnw run`, `lnw backfill` and `lnw demo`: the pipeline's Dagster definitions run in this
process, with Dagster's storage inside the home, so the runs made here show in the UI."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

from inbox.home import Home

EXIT_OK, EXIT_FAILED, EXIT_QUARANTINED = 0, 1, 2
# The full event log goes to Dagster's storage (and the UI); the terminal gets warnings only.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _prepare_environment(home: Home, icp: str | None) -> None:
    """Point the definitions and Dagster at the home before they are imported."""
    home.ensure()
    os.environ["LNW_HOME"] = str(home.root)
    os.environ["DAGSTER_HOME"] = str(home.dagster)
    if icp:
        os.environ["LNW_ICP"] = str(Path(icp).expanduser().resolve())


def _quarantine_reason(home: Home, item_name: str, since: float) -> str | None:
    for reason in sorted(home.quarantine.rglob("*.reason.txt")):
        if reason.stat().st_mtime >= since - 1:
            text = reason.read_text()
            if text.startswith(f"{item_name} ("):
                return text.splitlines()[1].removeprefix("Reason: ")
    return None


def _release_abandoned_runs(instance) -> None:
    """Fail the runs of `lnw` processes that died mid-run (killed, power cut) and free their
    slots of the warehouse pool: a run that never ends keeps its slot claimed, and every
    later run would wait for it forever."""
    import dagster as dg

    unfinished = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED],
            tags={"lnw/trigger": "cli", "lnw/host": socket.gethostname()},
        )
    )
    for run in unfinished:
        pid = int(run.tags.get("lnw/pid", "0"))
        try:
            os.kill(pid, 0)
            continue  # still running (another `lnw run`): its slot is in use
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        instance.report_run_failed(run, f"the lnw process {pid} running it ended mid-run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        progress(f"lnw: run {run.run_id[:8]} of a process that ended mid-run marked failed")


def run_pipeline(
    home: Home,
    icp: str | None = None,
    accept_partial: list[str] | None = None,
    workers: int = 1,
) -> int:
    """Load every new inbox item and refresh what depends on it; returns the exit code.
    ``accept_partial``: snapshot keys the partial-export gate lets through (recorded as a
    run tag, so the acceptance shows in the UI). ``workers`` above 1 loads the accounts in
    that many processes at once (job load_accounts) instead of one run per snapshot."""
    _prepare_environment(home, icp)
    started = time.time()
    progress(f"lnw: home {home.root}")
    import warnings

    import dagster as dg

    # Partitioned asset checks are "preview" in Dagster 1.13; users cannot act on the warning.
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from inbox.discovery import scan_inbox
    from pipelines.definitions import defs
    from pipelines.ingest import pending_snapshot_keys
    from pipelines.partitions import snapshots
    from warehouse.database import publication_due
    from warehouse.lock import open_warehouse
    from warehouse.raw import item_notes, loaded_export_ids

    scan = scan_inbox(home.inbox)
    with open_warehouse(home.warehouse) as con:
        loaded = loaded_export_ids(con)
        keys = pending_snapshot_keys(home, con)
    new_items = [i for i in scan.items if i.export_id not in loaded]
    progress(
        f"lnw: {len(scan.items)} item(s) in the inbox, {len(new_items)} new, "
        f"{len(keys)} snapshot(s) to load"
    )

    instance = dg.DagsterInstance.get()
    _release_abandoned_runs(instance)
    known = set(instance.get_dynamic_partitions(snapshots.name))
    instance.add_dynamic_partitions(snapshots.name, [k for k in keys if k not in known])
    # The pid and host let a later run tell a dead `lnw run` from a live one.
    run_tags = {"lnw/trigger": "cli", "lnw/pid": str(os.getpid()), "lnw/host": socket.gethostname()}
    if accept_partial:
        from quality.partial_export import ACCEPT_TAG

        run_tags[ACCEPT_TAG] = ",".join(accept_partial)
    if workers > 1 and keys:
        failures = _load_accounts(instance, keys, workers, run_tags)
    else:
        failures = _load_snapshots(defs, instance, keys, new_items, run_tags)

    with open_warehouse(home.warehouse) as con:
        loaded_now = loaded_export_ids(con)
        notes = item_notes(con)
        # A run killed after a merge leaves the readers' copy behind: finish the job.
        republish = publication_due(con, home.published)
    quarantined = 0
    counts = {"loaded": 0, "skipped": 0, "quarantined": 0, "not loaded": 0}
    for item in scan.items:
        label = f"{item.account}/{item.name}"
        if item.export_id in loaded:
            counts["skipped"] += 1
            print(f"skipped      {label} (already loaded)")
        elif item.export_id in loaded_now and notes.get(item.export_id, "").startswith("unused"):
            counts["not loaded"] += 1
            print(f"unused       {label} ({notes[item.export_id].removeprefix('unused: ')})")
        elif item.export_id in loaded_now:
            counts["loaded"] += 1
            note = f"; {notes[item.export_id]}" if item.export_id in notes else ""
            # A follower workbook is a daily series, not a snapshot: name where it ends.
            series = item.kind == "follower_analytics"
            when = "daily follower totals up to" if series else "snapshot"
            print(f"loaded       {label} ({when} {item.snapshot_date}{note})")
        elif (reason := _quarantine_reason(home, item.name, started)) is not None:
            quarantined += 1
            counts["quarantined"] += 1
            print(f"quarantined  {label}: {reason}")
        else:
            counts["not loaded"] += 1
            print(f"not loaded   {label} (nothing in it the pipeline uses)")
    if quarantined:
        progress(
            f"lnw: {quarantined} item(s) moved to {home.quarantine}, each with a .reason.txt: "
            "fix the file (or download the export again) and drop it into the inbox again"
        )
    for path in scan.ignored:
        progress(f"lnw: ignored {path.relative_to(home.inbox)} (not an export the pipeline reads)")

    from pipelines.assets.marts import marts_settings_changed
    from pipelines.resources import LnwSettings

    # A new ICP file (or budget) changes every snapshot's metrics even with no new export.
    if keys or republish or marts_settings_changed(LnwSettings()):
        failures += _refresh_marts(defs, instance, run_tags)
    for failure in failures:
        print(f"FAILED       {failure}")
    if failures:
        progress(
            "lnw: a run failed: the reason is above; `lnw ui` shows the run with its logs "
            "(Runs page, tag lnw/failure). Fix the cause and run `lnw run` again: loaded items "
            "are not loaded twice."
        )
    _summary(counts, len(keys), len(failures), time.time() - started)
    if failures:
        return EXIT_FAILED
    return EXIT_QUARANTINED if quarantined else EXIT_OK


def _load_snapshots(defs, instance, keys, new_items, run_tags) -> list[str]:
    """One ingest run per snapshot, in this process, one after the other."""
    ingest = defs.resolve_job_def("ingest_snapshot")
    failures = []
    for number, key in enumerate(keys, start=1):
        progress(f"lnw: [{number}/{len(keys)}] loading snapshot {key}")
        for item in (i for i in new_items if i.partition_key == key):
            progress(f"lnw:       {item.name} ({item.kind.replace('_', ' ')})")
        result = ingest.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            tags={**run_tags, "lnw/account": key.split(":", 1)[0]},
            run_config=QUIET_CONSOLE,
        )
        progress(f"lnw:       {_stages(result)}")
        if not result.success:
            failures.append(f"snapshot {key}: {_failure_reason(result)} (run {result.run_id})")
    return failures


def quiet_step_processes(instance):
    """``instance`` for a multiprocess run whose step processes print no DEBUG line.

    Each step process announces itself (STEP_WORKER_STARTED, DEBUG) through a console logger
    that Dagster builds from the instance's `python_logs` settings, not from the run config:
    at INFO that line stays off the terminal, as in `lnw run`. Dagster stores events whatever
    the level, and no op logs at DEBUG, so the UI shows the run as before. Close it after."""
    import dagster as dg

    ref = instance.get_ref()
    python_logs = {**(ref.settings.get("python_logs") or {}), "python_log_level": "INFO"}
    return dg.DagsterInstance.from_ref(
        ref._replace(settings={**ref.settings, "python_logs": python_logs})
    )


def _load_accounts(instance, keys: list[str], workers: int, run_tags) -> list[str]:
    """One load_accounts run: a step per account, ``workers`` step processes at once."""
    import dagster as dg

    from pipelines.definitions import bound_load_accounts_job
    from pipelines.jobs import executor_config

    accounts = len({k.rpartition(":")[0] for k in keys})
    progress(
        f"lnw: loading {len(keys)} snapshot(s) of {accounts} account(s), "
        f"{workers} processes at once"
    )
    run_config = {
        **executor_config(workers),
        **QUIET_CONSOLE,
        "ops": {"accounts_to_load": {"config": {"snapshots": keys}}},
    }
    with (
        quiet_step_processes(instance) as quiet_instance,
        dg.execute_job(
            dg.reconstructable(bound_load_accounts_job),
            instance=quiet_instance,
            run_config=run_config,
            tags=run_tags,
            raise_on_error=False,
        ) as result,
    ):
        merged = sum(
            1
            for event in result.get_asset_materialization_events()
            if event.asset_key == dg.AssetKey(["core", "relationship_history"])
        )
        progress(f"lnw:       {merged} of {len(keys)} snapshot(s) merged into the history")
        if result.success:
            return []
        return [f"load_accounts: {_failure_reason(result)} (run {result.run_id})"]


def run_backfill(home: Home, account: str, icp: str | None = None) -> int:
    """Re-run every snapshot partition of one account (job `backfill_account`), oldest first,
    then refresh the metrics: a rebuild after a parser fix or a bad load."""
    _prepare_environment(home, icp)
    started = time.time()
    import warnings

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from inbox.discovery import partition_key
    from pipelines.definitions import defs
    from pipelines.partitions import snapshots
    from warehouse.lock import open_warehouse

    with open_warehouse(home.warehouse) as con:
        stored = con.execute(
            "SELECT DISTINCT account, snapshot_date FROM raw.exports ORDER BY 1, 2"
        ).fetchall()
    keys = [partition_key(a, d) for a, d in stored if a == account]
    if not keys:
        accounts = sorted({a for a, _ in stored})
        print(
            f"lnw backfill: no snapshot of account {account!r} is loaded in {home.root}; "
            f"loaded accounts: {', '.join(accounts) or 'none (run `lnw run` first)'}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    instance = dg.DagsterInstance.get()
    known = set(instance.get_dynamic_partitions(snapshots.name))
    instance.add_dynamic_partitions(snapshots.name, [k for k in keys if k not in known])
    failures = []
    for number, key in enumerate(keys, start=1):
        progress(f"lnw: [{number}/{len(keys)}] re-running snapshot {key}")
        result = defs.resolve_job_def("backfill_account").execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            tags={"lnw/trigger": "cli", "lnw/account": account},
            run_config=QUIET_CONSOLE,
        )
        progress(f"lnw:       {_stages(result)}")
        if not result.success:
            failures.append(f"snapshot {key}: {_failure_reason(result)} (run {result.run_id})")
    failures += _refresh_marts(defs, instance, {"lnw/trigger": "cli backfill"})
    for failure in failures:
        print(f"FAILED       {failure}")
    print(f"backfilled   {account}: {len(keys) - len(failures)} of {len(keys)} snapshot(s)")
    progress(f"lnw: done in {time.time() - started:.1f} s")
    return EXIT_FAILED if failures else EXIT_OK


def _refresh_marts(defs, instance, tags: dict[str, str]) -> list[str]:
    """Run the metrics refresh (which publishes the views); its failure, in words, if any."""
    progress("lnw: refreshing metrics and publishing the analytics views")
    result = defs.resolve_job_def("refresh_marts").execute_in_process(
        instance=instance, raise_on_error=False, tags=tags, run_config=QUIET_CONSOLE
    )
    progress(f"lnw:       {_stages(result)}")
    if result.success:
        return []
    return [f"metrics refresh: {_failure_reason(result)} (run {result.run_id})"]


def _stages(result) -> str:
    """Each asset step's time and the checks' outcome of one run, for the progress line."""
    evaluations = result.get_asset_check_evaluations()
    # Steps that evaluated checks (one check, or several as a multi-asset check) are summed
    # up as one stage.
    check_steps = {
        e.step_key for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    steps, check_ms = [], 0
    for event in result.all_events:
        if event.event_type_value not in ("STEP_SUCCESS", "STEP_FAILURE"):
            continue
        took = getattr(event.event_specific_data, "duration_ms", None) or 0
        if event.step_key in check_steps:
            check_ms += took
            continue
        state = "" if event.event_type_value == "STEP_SUCCESS" else " FAILED"
        steps.append(f"{event.step_key.split('__')[-1]}{state} {took / 1000:.1f} s")
    passed = sum(bool(e.passed) for e in evaluations)
    if evaluations:
        steps.append(f"checks {passed}/{len(evaluations)} passed {check_ms / 1000:.1f} s")
    return ", ".join(steps) or "no step ran"


def _summary(counts: dict[str, int], snapshots: int, failures: int, seconds: float) -> None:
    rows = [
        ("items loaded", counts["loaded"]),
        ("items skipped (already loaded)", counts["skipped"]),
        ("items quarantined", counts["quarantined"]),
        *([("items not used", counts["not loaded"])] if counts["not loaded"] else []),
        ("snapshots loaded", snapshots),
        ("failed runs", failures),
        ("time", f"{seconds:.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    progress("lnw: summary")
    for name, value in rows:
        progress(f"lnw:   {name:<{width}}  {value:>8}")


def _failure_reason(result) -> str:
    """The first failed step or check, in words, from a Dagster run result."""
    reasons = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            message = error.message.strip().splitlines()[-1] if error else "failed"
            reasons.append(f"step {event.step_key} failed: {message}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            detail = evaluation.description or (evaluation.metadata and dict(evaluation.metadata))
            reasons.append(
                f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} "
                f"failed ({detail})"
            )
    return "; ".join(reasons) or "see the run in the Dagster UI"


def run_demo(home: Home, seed: int) -> int:
    from lnw.samples import write_demo_inbox, write_sample_icp

    home.ensure()
    progress(f"lnw: writing sample exports for two accounts into {home.inbox}")
    write_demo_inbox(home.inbox, seed=seed)
    if not home.icp.exists():
        write_sample_icp(home.icp)
    code = run_pipeline(home)
    if home.published.exists():
        print()
        from lnw.query import print_query

        print_query(
            home,
            "SELECT r.account, r.snapshot_date, r.followers, r.connections, r.mutual, "
            "r.follower_only, m.active_conversations_90d AS active_90d, "
            "round(n.relevance_rate, 3) AS relevance_rate, "
            "round(n.recent_relevance_rate, 3) AS recent_relevance_rate "
            "FROM analytics.reach AS r "
            "JOIN analytics.messaging_capacity AS m USING (account, snapshot_date) "
            "JOIN analytics.network_relevance AS n USING (account, snapshot_date) "
            "ORDER BY account, snapshot_date",
            "table",
        )
        print(f'\nQuery it: lnw sql --home {home.root} "select * from analytics.reach"')
        report = home.root / "report.html"
        if report.exists():
            print(f"Charts: open {report} in a browser (rewritten after every run)")
    return code
