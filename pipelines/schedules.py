"""A weekly refresh, so a changed ICP file or budget reaches the metrics without new exports."""

import dagster as dg

from pipelines.jobs import refresh_marts_job

weekly_marts_refresh = dg.ScheduleDefinition(
    name="weekly_marts_refresh",
    job=refresh_marts_job,
    cron_schedule="0 6 * * 1",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Mondays 06:00: recompute stale metrics and republish the views.",
)
