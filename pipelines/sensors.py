"""The inbox sensor, the marts refresh after every successful load, and failure reasons."""

import hashlib
import os
from collections import defaultdict

import dagster as dg

from inbox.discovery import scan_inbox
from pipelines.jobs import backfill_account_job, ingest_job, refresh_marts_job
from pipelines.partitions import snapshots
from pipelines.resources import LnwSettings


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=int(os.environ.get("LNW_SENSOR_INTERVAL", "60")),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers a partition for each new (account, snapshot date) in the inbox and "
    "launches its load. Run keys hash the items' contents: nothing runs twice, and a changed "
    "file is a new run.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, lnw: LnwSettings):
    # Reads only the file system: the warehouse may be locked by a running load.
    home = lnw.paths
    by_partition: dict[str, list[str]] = defaultdict(list)
    pending: set[str] = set()
    for item in scan_inbox(home.inbox).items:
        by_partition[item.partition_key].append(item.sha256)
        # Every ingest keeps the item in archive/ under its hash first: an archived item was
        # taken in already (by `lnw run`, say), and needs no run of its own.
        if not any(home.archive.glob(f"{item.sha256}*")):
            pending.add(item.partition_key)
    known = set(context.instance.get_dynamic_partitions(snapshots.name))
    new_keys = sorted(set(by_partition) - known)
    requests = [
        dg.RunRequest(
            run_key=f"{key}@{hashlib.sha256(''.join(sorted(hashes)).encode()).hexdigest()[:16]}",
            partition_key=key,
            tags={"lnw/trigger": "inbox", "lnw/account": key.split(":", 1)[0]},
        )
        for key, hashes in sorted(by_partition.items())
        if key in pending
    ]
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[snapshots.build_add_request(new_keys)] if new_keys else [],
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job, backfill_account_job],
    request_job=refresh_marts_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a snapshot loads, recompute the metrics that depend on it.",
)
def refresh_marts_after_load(context: dg.RunStatusSensorContext):
    return dg.RunRequest(tags={"lnw/trigger": f"after {context.dagster_run.run_id[:8]}"})


# Long enough for a file name and a row number, short enough for the run list.
FAILURE_TAG_LENGTH = 240


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Puts the reason of a failed run (first failed step or check, in words) in "
    "its `lnw/failure` tag, so that the Runs page says what went wrong without opening logs.",
)
def failure_reason(context: dg.RunFailureSensorContext):
    reasons = []
    for event in context.get_step_failure_events():
        error = event.event_specific_data.error if event.event_specific_data else None
        # Dagster wraps the asset's own exception; the innermost cause is the user's reason.
        while error is not None and error.cause is not None:
            error = error.cause
        message = error.message.strip().splitlines()[-1] if error and error.message else ""
        reasons.append(f"{event.step_key}: {message or 'failed'}")
    reason = "; ".join(reasons) or context.failure_event.message or "failed"
    context.instance.add_run_tags(
        context.dagster_run.run_id, {"lnw/failure": reason[:FAILURE_TAG_LENGTH]}
    )
    context.log.info(f"run {context.dagster_run.run_id[:8]} failed: {reason}")
