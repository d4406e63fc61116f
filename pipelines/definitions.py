"""The one Definitions object: loaded by workspace.yaml (UI, daemon) and by the lnw CLI."""

import settings

# Before anything else: a bad LNW_* setting is one sentence and exit 1, not the traceback of
# a failed import, in the UI's code server, the daemon and `dagster definitions validate`.
settings.exit_on_bad_environment()
settings.owner_only()

import dagster as dg

from pipelines.assets.ingest import INBOX
from pipelines.assets.load import load_account_asset
from pipelines.assets.marts import analytics_views, marts
from pipelines.assets.metadata import with_contract_metadata
from pipelines.assets.report import report
from pipelines.checks import metric_identities_hold
from pipelines.jobs import backfill_account_job, load_inbox_job, refresh_marts_job
from pipelines.resources import LnwSettings
from pipelines.schedules import weekly_marts_refresh
from pipelines.sensors import (
    failure_reason,
    inbox_sensor,
    refresh_marts_after_failed_load,
    refresh_marts_after_load,
)

defs = dg.Definitions(
    # Each table and view asset carries its contract from warehouse/catalog.py (column
    # schema, table name, code references), and every asset the place of its Python code.
    assets=dg.with_source_code_references(
        with_contract_metadata([INBOX, load_account_asset, marts, analytics_views, report])
    ),
    asset_checks=[metric_identities_hold],
    jobs=[load_inbox_job, backfill_account_job, refresh_marts_job],
    sensors=[
        inbox_sensor,
        refresh_marts_after_load,
        refresh_marts_after_failed_load,
        failure_reason,
    ],
    schedules=[weekly_marts_refresh],
    resources={"lnw": LnwSettings()},
)


def load_inbox_job_with_resources() -> dg.JobDefinition:
    """load_inbox with its resources bound: the target `dg.reconstructable` hands to the
    multiprocess executor's step processes (`lnw run --workers N`)."""
    return defs.resolve_job_def("load_inbox")
