"""A weekly refresh, so a changed ICP file or budget reaches the metrics without new exports."""

import os

import dagster as dg

from pipelines.jobs import refresh_marts_job

weekly_marts_refresh = dg.ScheduleDefinition(
    name="weekly_marts_refresh",
    job=refresh_marts_job,
    # Read when the definitions load: restart the daemon after changing it.
    cron_schedule=os.environ.get("LNW_REFRESH_CRON", "0 6 * * 1"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Mondays 06:00 (LNW_REFRESH_CRON): recompute stale metrics, republish the "
    "views and rewrite the HTML report.",
)
