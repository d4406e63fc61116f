"""A weekly refresh, so a changed ICP file or budget reaches the metrics without new exports."""

import dagster as dg

import settings
from pipelines.jobs import refresh_marts_job

weekly_marts_refresh = dg.ScheduleDefinition(
    name="weekly_marts_refresh",
    job=refresh_marts_job,
    # Read when the definitions load: restart the daemon after changing it.
    cron_schedule=settings.refresh_cron(),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Mondays 06:00 (LNW_REFRESH_CRON): recompute stale metrics, republish the "
    "views and rewrite the HTML report.",
)
