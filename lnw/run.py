"""`lnw run`, `lnw backfill` and `lnw demo`: the pipeline's Dagster definitions run in this
process, with Dagster's storage inside the home, so the runs made here show in the UI."""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import sys
import time
from pathlib import Path

from inbox.home import Home

EXIT_OK, EXIT_FAILED, EXIT_QUARANTINED = 0, 1, 2
# The code location of workspace.yaml: runs made here carry its label, as the daemon's do, so
# that the UI lists them on their job's page (it shows a job's runs by that label).
CODE_LOCATION = "linkedin_network"
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


def shown(text: str) -> str:
    from inbox.discovery import shown as escaped

    return escaped(text)


def _quarantine_reason(home: Home, item_name: str, since: float) -> str | None:
    for reason in sorted(home.quarantine.rglob("*.reason.txt")):
        if reason.stat().st_mtime >= since - 1:
            text = reason.read_text()
            if text.startswith(f"{shown(item_name)} ("):
                return text.splitlines()[1].removeprefix("Reason: ")
    return None


def _job_page_tag() -> dict[str, str]:
    from dagster._core.storage.tags import REPOSITORY_LABEL_TAG

    return {REPOSITORY_LABEL_TAG: f"__repository__@{CODE_LOCATION}"}


def _instance(home: Home):
    """Dagster's instance for the home. Its SQLite storages create their tables when first
    opened: two `lnw run` starting at once on a new home would both create them (and leave
    two schema versions behind), so the first opening is one process at a time."""
    import dagster as dg

    from warehouse.lock import exclusive

    with exclusive(home.dagster / ".storage.lock"):
        instance = dg.DagsterInstance.get()
        instance.get_runs(limit=1)
        instance.get_dynamic_partitions("accounts")
        instance.all_instigator_state()
    if not gc.isenabled():
        # The start-up is over (lnw.cli.entry): what it made lives as long as the process,
        # and the collector need not walk it again. What survives two collections from now
        # on is mostly long-lived too (modules imported later, Dagster's events), so full
        # collections are ten times rarer than Python's default: on teams
        # (benchmarks/targets.py) the collector took 0.10 s of `lnw run` instead of 0.52 s,
        # and 1.14 s with neither change.
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, 100)
        gc.enable()
    return instance


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
    ``accept_partial``: observations (``account:date``) the partial-export gate lets through
    (recorded as a run tag, so the acceptance shows in the UI). ``workers`` above 1 loads
    that many accounts at once, in as many processes."""
    _prepare_environment(home, icp)
    started = time.time()
    progress(f"lnw: home {home.root}")
    import warnings

    import dagster as dg

    # Partitioned asset checks are "preview" in Dagster 1.13, and binding resources to sensors
    # warns of a "beta" parameter we do not use: users cannot act on either.
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    from inbox.discovery import DATED_BY_MODIFIED, scan_inbox
    from pipelines.definitions import defs
    from pipelines.loading import pending_accounts
    from warehouse.database import publication_due
    from warehouse.lock import open_warehouse
    from warehouse.raw import item_notes, loaded_export_ids

    scan = scan_inbox(home.inbox)
    with open_warehouse(home.warehouse) as con:
        loaded = loaded_export_ids(con)
        accounts = pending_accounts(con, scan.items)
    new_items = [i for i in scan.items if i.export_id not in loaded]
    if not scan.items:
        progress(
            f"lnw: the inbox {home.inbox} is empty: put LinkedIn archives (the zip or its "
            "folder) and follower lists in it, in a folder per account (inbox/<account>/), or "
            "directly in it for the account `me`"
        )
    else:
        progress(
            f"lnw: {len(scan.items)} item(s) in the inbox, {len(new_items)} new, "
            f"{len(accounts)} account(s) to load"
        )
    for item in new_items:
        if item.dated_by == DATED_BY_MODIFIED:
            progress(
                f"lnw: {item.account}/{shown(item.name)} has no date in its name: it is taken as "
                f"observed on {item.observed_on}, the day it was last modified; put the date "
                "in its name (YYYY-MM-DD) to choose another"
            )

    instance = _instance(home)
    _release_abandoned_runs(instance)
    # The pid and host let a later run tell a dead `lnw run` from a live one.
    run_tags = {
        "lnw/trigger": "cli",
        "lnw/pid": str(os.getpid()),
        "lnw/host": socket.gethostname(),
        **_job_page_tag(),
    }
    if accept_partial:
        from quality.partial_export import ACCEPT_TAG

        run_tags[ACCEPT_TAG] = ",".join(accept_partial)
    failures, snapshots = [], 0
    if accounts:
        snapshots, failures = _load(home, defs, instance, accounts, workers, run_tags)

    with open_warehouse(home.warehouse) as con:
        loaded_now = loaded_export_ids(con)
        notes = item_notes(con)
        # A run killed after a merge leaves the readers' copy behind: finish the job.
        republish = publication_due(con, home.published)
    counts = {"loaded": 0, "skipped": 0, "quarantined": 0, "unused": 0, "not loaded": 0}
    for item in scan.items:
        label = f"{item.account}/{shown(item.name)}"
        if item.export_id in loaded:
            counts["skipped"] += 1
            print(f"skipped      {label} (already loaded)")
        elif item.export_id in loaded_now and notes.get(item.export_id, "").startswith("unused"):
            counts["unused"] += 1
            print(f"unused       {label} ({notes[item.export_id].removeprefix('unused: ')})")
        elif item.export_id in loaded_now:
            counts["loaded"] += 1
            note = f"; {notes[item.export_id]}" if item.export_id in notes else ""
            print(f"loaded       {label} ({_observes(item)}{note})")
        elif (reason := _quarantine_reason(home, item.name, started)) is not None:
            counts["quarantined"] += 1
            print(f"quarantined  {label}: {reason}")
        else:
            counts["not loaded"] += 1
            print(f"not loaded   {label} (its account's load failed: see below)")
    if counts["quarantined"]:
        progress(
            f"lnw: {counts['quarantined']} item(s) moved to {home.quarantine}, each with a "
            ".reason.txt: fix the file (or download the export again) and drop it into the "
            "inbox again"
        )
    for path in scan.ignored:
        progress(
            f"lnw: ignored {shown(str(path.relative_to(home.inbox)))} (not an export the "
            "pipeline reads)"
        )

    from pipelines.assets.marts import marts_settings_changed
    from pipelines.resources import LnwSettings

    # A new ICP file (or budget) changes every snapshot's metrics even with no new export.
    if snapshots or republish or marts_settings_changed(LnwSettings()):
        failures += _refresh_marts(defs, instance, run_tags)
    for failure in failures:
        print(f"FAILED       {failure}")
    if failures:
        progress(
            "lnw: a run failed: the reason is above; `lnw ui` shows the run with its logs "
            "(Runs page, tag lnw/failure). Fix the cause and run `lnw run` again: loaded items "
            "are not loaded twice."
        )
    _summary(counts, snapshots, len(failures), time.time() - started)
    if failures:
        return EXIT_FAILED
    return EXIT_QUARANTINED if counts["quarantined"] else EXIT_OK


def _observes(item) -> str:
    """What an item observes, for its `loaded` line."""
    if item.kind == "follower_analytics":
        # A daily series, not an observation of the timeline: say where it ends.
        return f"daily follower totals up to {item.observed_on}"
    what = "archive" if item.kind == "archive" else "follower list"
    dated = "" if item.dated_by == "name" else ", dated by its modification time"
    return f"{what} of {item.observed_on}{dated}"


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


def _load(
    home: Home,
    defs,
    instance,
    accounts: list[str],
    workers: int,
    tags: dict,
    rebuild: bool = False,
) -> tuple[int, list[str]]:
    """One run of load_inbox (or backfill_account) for ``accounts``: in this process, or with
    ``workers`` step processes at once. Returns the snapshots written and the failures."""
    import dagster as dg

    from pipelines.jobs import executor_config

    job = "backfill_account" if rebuild else "load_inbox"
    shown = ", ".join(accounts[:5]) + (
        f" and {len(accounts) - 5} more" if len(accounts) > 5 else ""
    )
    way = f"{workers} processes at once" if workers > 1 else "in this process"
    progress(f"lnw: loading {len(accounts)} account(s), {way}: {shown}")
    run_config = {
        **QUIET_CONSOLE,
        "ops": {"accounts_to_load": {"config": {"accounts": accounts, "rebuild": rebuild}}},
    }
    tags = {**tags, **({"lnw/account": accounts[0]} if len(accounts) == 1 else {})}
    if workers > 1:
        from pipelines.definitions import load_inbox_job_with_resources

        with (
            quiet_step_processes(instance) as quiet,
            dg.execute_job(
                dg.reconstructable(load_inbox_job_with_resources),
                instance=quiet,
                run_config={**run_config, **executor_config(workers)},
                tags={**tags, **defs.resolve_job_def(job).tags},
                raise_on_error=False,
            ) as result,
        ):
            return _after_load(instance, result)
    from warehouse.lock import kept_open

    # Every step runs in this thread, and a load step takes no slot of the warehouse pool: one
    # opening of the warehouse for the whole run (warehouse/lock.py, `kept_open`). It pays
    # between accounts (5 accounts x 3 snapshots: each account step 2.6-3.7 s instead of
    # 3.4-4.4 s). With one account it gains nothing and keeps DuckDB's cache through the
    # load's memory peak (1M followers: 1.51 GiB instead of 1.43 GiB).
    with kept_open(home.warehouse) if len(accounts) > 1 else contextlib.nullcontext():
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, raise_on_error=False, tags=tags, run_config=run_config
        )
    return _after_load(instance, result)


def _after_load(instance, result) -> tuple[int, list[str]]:
    import dagster as dg

    from pipelines.sensors import tag_failure

    written = 0
    for event in result.get_asset_materialization_events():
        if event.asset_key == dg.AssetKey(["core", "relationship_snapshots"]):
            metadata = event.step_materialization_data.materialization.metadata
            written += metadata["snapshots_written"].value
    progress(f"lnw:       {_stages(result)}; {written} snapshot(s) written")
    if result.success:
        return written, []
    # The same reason in words as the failure sensor gives runs launched elsewhere.
    reason = tag_failure(instance, result.run_id)
    return written, [f"load: {reason} (run {result.run_id})"]


def run_backfill(home: Home, account: str, icp: str | None = None) -> int:
    """Judge and build every observation of one account again from its stored raw rows
    (job `backfill_account`), then refresh the metrics: after a parser fix or a bad load."""
    _prepare_environment(home, icp)
    started = time.time()
    import warnings

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from pipelines.definitions import defs
    from warehouse.lock import open_warehouse

    with open_warehouse(home.warehouse) as con:
        stored = [
            a
            for (a,) in con.execute(
                "SELECT DISTINCT account FROM raw.exports ORDER BY 1"
            ).fetchall()
        ]
    if account not in stored:
        print(
            f"lnw backfill: no export of account {account!r} is loaded in {home.root}; "
            f"loaded accounts: {', '.join(stored) or 'none (run `lnw run` first)'}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    instance = _instance(home)
    tags = {"lnw/trigger": "cli backfill", **_job_page_tag()}
    snapshots, failures = _load(home, defs, instance, [account], 1, tags, rebuild=True)
    failures += _refresh_marts(defs, instance, tags)
    for failure in failures:
        print(f"FAILED       {failure}")
    print(f"backfilled   {account}: {snapshots} snapshot(s) rebuilt")
    progress(f"lnw: done in {time.time() - started:.1f} s")
    return EXIT_FAILED if failures else EXIT_OK


def _refresh_marts(defs, instance, tags: dict[str, str]) -> list[str]:
    """Run the metrics refresh (which publishes the views); its failure, in words, if any."""
    progress("lnw: refreshing metrics and publishing the analytics views")
    from quality import worker
    from report.render import warm_up

    # The second process draws half of the report's charts (report.render.draw_beside): it
    # imports matplotlib now, while this one computes the metrics.
    worker.beside(warm_up)
    # Not in one opening of the warehouse, unlike the load: each step waits for a slot of the
    # warehouse pool, and a run holding the warehouse between its steps would stop another
    # run's step that holds a slot and waits for the warehouse (and wait for that slot).
    result = defs.resolve_job_def("refresh_marts").execute_in_process(
        instance=instance, raise_on_error=False, tags=tags, run_config=QUIET_CONSOLE
    )
    progress(f"lnw:       {_stages(result)}")
    if result.success:
        return []
    from pipelines.sensors import tag_failure

    return [f"metrics refresh: {tag_failure(instance, result.run_id)} (run {result.run_id})"]


def _stages(result) -> str:
    """Each step's time (a load step is named after its account) and the checks' outcome of
    one run, for the progress line."""
    steps = []
    for event in result.all_events:
        if event.event_type_value not in ("STEP_SUCCESS", "STEP_FAILURE"):
            continue
        took = getattr(event.event_specific_data, "duration_ms", None) or 0
        state = "" if event.event_type_value == "STEP_SUCCESS" else " FAILED"
        name = event.step_key.split("__")[-1]
        if "[" in name:  # a mapped step: load_one_account[a0_me]
            name = name.split("[", 1)[1].rstrip("]").split("_", 1)[-1]
        steps.append(f"{name}{state} {took / 1000:.1f} s")
    evaluations = result.get_asset_check_evaluations()
    passed = sum(bool(e.passed) for e in evaluations)
    if evaluations:
        steps.append(f"checks {passed}/{len(evaluations)} passed")
    return ", ".join(steps) or "no step ran"


def _summary(counts: dict[str, int], snapshots: int, failures: int, seconds: float) -> None:
    rows = [
        ("items loaded", counts["loaded"]),
        ("items skipped (already loaded)", counts["skipped"]),
        ("items quarantined", counts["quarantined"]),
        *([("items holding nothing used", counts["unused"])] if counts["unused"] else []),
        *([("items not loaded", counts["not loaded"])] if counts["not loaded"] else []),
        ("snapshots written", snapshots),
        ("failed runs", failures),
        ("time", f"{seconds:.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    progress("lnw: summary")
    for name, value in rows:
        progress(f"lnw:   {name:<{width}}  {value:>8}")


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
