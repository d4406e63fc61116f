"""The one Definitions object: loaded by workspace.yaml (UI, daemon) and by the lnw CLI."""

import dagster as dg

from pipelines.assets.core import relationship_history, relationship_snapshots
from pipelines.assets.ingest import INBOX, raw_exports
from pipelines.assets.marts import analytics_views, marts
from pipelines.assets.metadata import with_contract_metadata
from pipelines.assets.report import report
from pipelines.checks import ALL_CHECKS
from pipelines.jobs import (
    backfill_account_job,
    ingest_job,
    load_accounts_job,
    refresh_marts_job,
)
from pipelines.resources import LnwSettings
from pipelines.schedules import weekly_marts_refresh
from pipelines.sensors import failure_reason, inbox_sensor, refresh_marts_after_load

defs = dg.Definitions(
    # Each table and view asset carries its contract from warehouse/catalog.py (column
    # schema, table name, code references), and every asset the place of its Python code.
    assets=dg.with_source_code_references(
        with_contract_metadata(
            [
                INBOX,
                raw_exports,
                relationship_snapshots,
                relationship_history,
                marts,
                analytics_views,
                report,
            ]
        )
    ),
    asset_checks=ALL_CHECKS,
    jobs=[ingest_job, refresh_marts_job, backfill_account_job, load_accounts_job],
    sensors=[inbox_sensor, refresh_marts_after_load, failure_reason],
    schedules=[weekly_marts_refresh],
    resources={"lnw": LnwSettings()},
)


def bound_load_accounts_job() -> dg.JobDefinition:
    """load_accounts with its resources bound: the target `dg.reconstructable` hands to the
    multiprocess executor's step processes (`lnw run --workers N`)."""
    return defs.resolve_job_def("load_accounts")
