"""One account's load, as the asset that materializes the raw and core tables of its partition.

`Materialize` on an account's partition in the UI loads that account; the job `load_inbox`
(pipelines/jobs.py) loads every account with something to do, one step per account, with the
same function and the same events. Either way the load takes in the account's pending
observations oldest first (pipelines/loading.py), evaluates every check of the loaded
assets (pipelines/checks.py) and keeps its validation results for the Data Docs.
"""

import datetime as dt
from pathlib import Path

import dagster as dg

from inbox.home import Home
from pipelines.assets.ingest import LOADED_SPECS, load_materializations
from pipelines.checks import LOADED_CHECKS, load_check_results
from pipelines.loading import AccountLoad, load_account
from pipelines.partitions import accounts
from pipelines.resources import LnwSettings
from quality.data_docs import DATA_DOCS_SITE, VALIDATION_RESULTS, keep_result
from warehouse.lock import exclusive


def load_one(lnw: LnwSettings, account: str, run_tags, *, rebuild: bool) -> AccountLoad:
    """Load one account, one load of it at a time whatever launched it: a second one waits,
    then finds nothing left to do."""
    home = lnw.paths
    settings = lnw.load_settings(run_tags)
    with exclusive(home.load_lock(account)):
        return load_account(home, lnw.warehouse, account, settings, rebuild=rebuild)


def keep_validation_results(home: Home, load: AccountLoad, run_id: str) -> None:
    """Keep the load's Great Expectations results for the Data Docs (built by the metrics
    refresh and `lnw docs`), as `<home>/gx/validations/<account>/<time>-<run id>-<suite>.json`:
    the steps of a multiprocess run write at once, each file under a name no other load
    uses. The reports then say where the Data Docs show them (the checks' metadata)."""
    results, site = home.root / VALIDATION_RESULTS, home.root / DATA_DOCS_SITE
    moment = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")

    def keep(report):
        name = Path(load.account, f"{moment}-{run_id}-{report.suite}.json")
        return keep_result(report, results, name, site)

    judgement = load.judgement
    judgement.raw = {kind: keep(report) for kind, report in judgement.raw.items()}
    if judgement.core is not None:
        judgement.core = keep(judgement.core)


@dg.multi_asset(
    name="load_account",
    specs=LOADED_SPECS,
    check_specs=LOADED_CHECKS,
    partitions_def=accounts,
    can_subset=False,
)
def load_account_asset(context: dg.AssetExecutionContext, lnw: LnwSettings):
    """Take in the account's new inbox items, judge the observations they make, rebuild the
    snapshots whose carried observations changed and merge the history."""
    load = load_one(lnw, context.partition_key, context.run.tags, rebuild=False)
    keep_validation_results(lnw.paths, load, context.run_id)
    for event in load_materializations(load):
        yield dg.MaterializeResult(asset_key=event.asset_key, metadata=event.metadata)
    # A failed blocking check (an observation refused or blocked) fails the step.
    yield from load_check_results(load)
