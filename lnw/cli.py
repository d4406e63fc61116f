"""`lnw`: the pipeline for people who do not want to open the UI.

Runs the same Dagster definitions in-process, with Dagster's storage inside the home, so the
runs made here show in the UI. Heavy libraries are imported inside the commands that need
them: `lnw sql` should not pay for Dagster.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

from lnw.home import Home

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


def run_pipeline(home: Home, icp: str | None = None) -> int:
    """Load every new inbox item and refresh what depends on it; returns the exit code."""
    _prepare_environment(home, icp)
    started = time.time()
    progress(f"lnw: home {home.root}")
    import warnings

    import dagster as dg

    # Partitioned asset checks are "preview" in Dagster 1.13; users cannot act on the warning.
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from lnw.inbox import partition_key, scan_inbox
    from pipelines.definitions import defs
    from pipelines.partitions import snapshots
    from warehouse.database import connect, publication_due
    from warehouse.history import unfinished_snapshots
    from warehouse.raw import loaded_export_ids

    scan = scan_inbox(home.inbox)
    con = connect(home.warehouse)
    try:
        loaded = loaded_export_ids(con)
        unfinished = unfinished_snapshots(con)
    finally:
        con.close()
    new_items = [i for i in scan.items if i.export_id not in loaded]
    keys = sorted({i.partition_key for i in new_items} | {partition_key(*s) for s in unfinished})
    progress(
        f"lnw: {len(scan.items)} item(s) in the inbox, {len(new_items)} new, "
        f"{len(keys)} snapshot(s) to load"
    )

    instance = dg.DagsterInstance.get()
    _release_abandoned_runs(instance)
    run_tags = {"lnw/trigger": "cli", "lnw/pid": str(os.getpid()), "lnw/host": socket.gethostname()}
    known = set(instance.get_dynamic_partitions(snapshots.name))
    instance.add_dynamic_partitions(snapshots.name, [k for k in keys if k not in known])
    ingest = defs.resolve_job_def("ingest_snapshot")
    failures: list[str] = []
    for number, key in enumerate(keys, start=1):
        progress(f"lnw: [{number}/{len(keys)}] loading snapshot {key}")
        result = ingest.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            tags=run_tags,
            run_config=QUIET_CONSOLE,
        )
        if not result.success:
            failures.append(f"snapshot {key}: {_failure_reason(result)}")

    con = connect(home.warehouse)
    try:
        loaded_now = loaded_export_ids(con)
        # A run killed after a merge leaves the readers' copy behind: finish the job.
        republish = publication_due(con, home.published)
    finally:
        con.close()
    quarantined = 0
    for item in scan.items:
        label = f"{item.account}/{item.name}"
        if item.export_id in loaded:
            print(f"skipped      {label} (already loaded)")
        elif item.export_id in loaded_now:
            print(f"loaded       {label} (snapshot {item.snapshot_date})")
        elif (reason := _quarantine_reason(home, item.name, started)) is not None:
            quarantined += 1
            print(f"quarantined  {label}: {reason}")
        else:
            print(f"not loaded   {label} (nothing in it the pipeline uses)")
    for path in scan.ignored:
        progress(f"lnw: ignored {path.relative_to(home.inbox)} (not an export the pipeline reads)")

    if keys or republish:
        progress("lnw: refreshing metrics and publishing the analytics views")
        result = defs.resolve_job_def("refresh_marts").execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags=run_tags,
            run_config=QUIET_CONSOLE,
        )
        if not result.success:
            failures.append(f"metrics refresh: {_failure_reason(result)}")
    for failure in failures:
        print(f"FAILED       {failure}")
    progress(f"lnw: done in {time.time() - started:.1f} s")
    if failures:
        return EXIT_FAILED
    return EXIT_QUARANTINED if quarantined else EXIT_OK


def _failure_reason(result) -> str:
    """The first failed step or check, in words, from a Dagster run result."""
    reasons = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            message = error.message.strip().splitlines()[-1] if error else "failed"
            reasons.append(f"step {event.step_key} failed: {message}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            reasons.append(
                f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} "
                f"failed ({evaluation.metadata and dict(evaluation.metadata)})"
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
    return code


def print_query(home: Home, query: str, output: str) -> int:
    import duckdb

    if not home.published.exists():
        print(
            f"lnw sql: no published warehouse in {home.root} yet; run `lnw run` (or `lnw demo`)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    import polars as pl

    con = duckdb.connect(str(home.published), read_only=True)
    try:
        frame = con.sql(query).pl()
    except duckdb.Error as exc:
        print(f"lnw sql: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    if output == "csv":
        sys.stdout.write(frame.write_csv())
    elif output == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            tbl_width_chars=200,
            fmt_str_lengths=60,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
        ):
            print(frame)
    return EXIT_OK


def run_ui(home: Home, port: int) -> int:
    _prepare_environment(home, None)
    import subprocess

    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "pipelines.definitions",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    progress(f"lnw: Dagster UI on http://127.0.0.1:{port} (Ctrl-C stops it)")
    return subprocess.call(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lnw", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def with_home(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--home", help="project home (default: $LNW_HOME or ./data)")
        return sub

    demo = with_home(commands.add_parser("demo", help="write sample exports and run everything"))
    demo.add_argument("--seed", type=int, default=2026, help="sample data seed")
    run = with_home(commands.add_parser("run", help="load new inbox items, refresh metrics"))
    run.add_argument("--icp", help="ideal customer profile YAML (default: $LNW_ICP)")
    sql = with_home(commands.add_parser("sql", help="read-only SQL on the published warehouse"))
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sql.add_argument("query")
    ui = with_home(commands.add_parser("ui", help="the Dagster UI on 127.0.0.1"))
    ui.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)

    home = Home.resolve(args.home)
    if args.command == "demo":
        return run_demo(home, args.seed)
    if args.command == "run":
        return run_pipeline(home, args.icp)
    if args.command == "sql":
        return print_query(home, args.query, args.format)
    return run_ui(home, args.port)


if __name__ == "__main__":
    sys.exit(main())
