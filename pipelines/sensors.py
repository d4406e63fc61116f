"""The inbox sensor, the marts refresh after every load, and failure reasons."""

import hashlib

import dagster as dg

import settings
from inbox.discovery import scan_inbox
from pipelines.jobs import backfill_account_job, load_inbox_job, refresh_marts_job
from pipelines.resources import LnwSettings


@dg.sensor(
    job=load_inbox_job,
    minimum_interval_seconds=settings.sensor_interval(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches load_inbox for the accounts with items not taken in yet. The run "
    "key hashes those items' contents: nothing runs twice, and a changed file is a new run.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, lnw: LnwSettings):
    # A load under way takes in what it finds when each account's step starts: asking for
    # another now would only queue a run that finds nothing left to do.
    unfinished = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
    ]
    for job in (load_inbox_job.name, backfill_account_job.name):
        runs = context.instance.get_runs(dg.RunsFilter(job_name=job, statuses=unfinished), limit=1)
        if runs:
            return dg.SkipReason(f"run {runs[0].run_id[:8]} of {job} is loading the inbox")
    # Reads only the file system: the warehouse may be held by a running load.
    home = lnw.paths
    pending = sorted(
        (item.account, item.sha256)
        for item in scan_inbox(home.inbox).items
        # Every load keeps the item in archive/ under its hash first: an archived item was
        # taken in already (by `lnw run`, say), and needs no run of its own.
        if not any(home.archive.glob(f"{item.sha256}*"))
    )
    if not pending:
        return dg.SkipReason("no new item in the inbox")
    accounts = sorted({account for account, _ in pending})
    digest = hashlib.sha256("".join(f"{a}:{h}" for a, h in pending).encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"inbox@{digest}",
        run_config={"ops": {"accounts_to_load": {"config": {"accounts": accounts}}}},
        tags={
            "lnw/trigger": "inbox",
            **({"lnw/account": accounts[0]} if len(accounts) == 1 else {}),
        },
    )


def _refresh(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    return dg.RunRequest(tags={"lnw/trigger": f"after {context.dagster_run.run_id[:8]}"})


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[load_inbox_job, backfill_account_job],
    request_job=refresh_marts_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a load, recompute the metrics that depend on what it wrote.",
)
def refresh_marts_after_load(context: dg.RunStatusSensorContext):
    return _refresh(context)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.FAILURE,
    monitored_jobs=[load_inbox_job, backfill_account_job],
    request_job=refresh_marts_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a load that failed for some account (a blocked partial export, a "
    "refused file), publish what the other accounts loaded all the same.",
)
def refresh_marts_after_failed_load(context: dg.RunStatusSensorContext):
    return _refresh(context)


# Long enough for a file name and a row number, short enough for the run list.
FAILURE_TAG_LENGTH = 240


def failure_reasons(instance: dg.DagsterInstance, run_id: str) -> str:
    """The reason of a failed run in words: each failed step with the innermost cause of its
    error (Dagster wraps the step's own exception; the cause is the user's reason)."""
    reasons = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        error = event.event_specific_data.error if event and event.event_specific_data else None
        while error is not None and error.cause is not None:
            error = error.cause
        message = error.message.strip().splitlines()[-1] if error and error.message else ""
        reasons.append(f"{event.step_key}: {message or 'failed'}")
    return "; ".join(reasons) or "failed"


def tag_failure(instance: dg.DagsterInstance, run_id: str) -> str:
    """Put the failed run's reason in its `lnw/failure` tag, wherever the run was launched."""
    reason = failure_reasons(instance, run_id)
    instance.add_run_tags(run_id, {"lnw/failure": reason[:FAILURE_TAG_LENGTH]})
    return reason


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Puts the reason of a failed run (first failed step, in words) in its "
    "`lnw/failure` tag, so that the Runs page says what went wrong without opening logs. "
    "`lnw run` tags the runs it makes itself.",
)
def failure_reason(context: dg.RunFailureSensorContext):
    if "lnw/failure" in context.dagster_run.tags:
        return
    reason = tag_failure(context.instance, context.dagster_run.run_id)
    context.log.info(f"run {context.dagster_run.run_id[:8]} failed: {reason}")
