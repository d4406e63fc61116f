"""Jobs, one per purpose: load the inbox (one step per account), rebuild an account, refresh
the marts.

Runs carry `lnw/purpose` (which job and why), `lnw/trigger` (cli, inbox, schedule, after a
load) and, for one account, `lnw/account`: filter the Runs page by them.
"""

import dagster as dg

from inbox.discovery import scan_inbox
from pipelines.assets.ingest import load_materializations
from pipelines.assets.load import keep_validation_results, load_one
from pipelines.checks import BLOCKING, load_check_results
from pipelines.loading import AccountLoad, pending_accounts
from pipelines.partitions import accounts
from pipelines.resources import LnwSettings


class AccountsToLoad(dg.Config):
    # Accounts (inbox folder names) to load; none: every account with something to do.
    accounts: list[str] | None = None
    # Judge and build every observation again from the stored raw rows (a backfill).
    rebuild: bool = False


@dg.op(out=dg.DynamicOut(dict))
def accounts_to_load(context: dg.OpExecutionContext, config: AccountsToLoad, lnw: LnwSettings):
    """The accounts to load (the configured ones, else every account with new items, an
    observation waiting for a decision or a rebuild due); their partitions are registered."""
    names = list(config.accounts or [])
    if not names:
        scan = scan_inbox(lnw.paths.inbox)
        with lnw.warehouse() as con:
            names = pending_accounts(con, scan.items)
    known = set(context.instance.get_dynamic_partitions(accounts.name))
    context.instance.add_dynamic_partitions(accounts.name, [a for a in names if a not in known])
    context.log.info(f"{len(names)} account(s) to load")
    for number, account in enumerate(sorted(set(names))):
        # Mapping keys allow letters, digits and underscores only; account names need not.
        readable = "".join(c if c.isalnum() else "_" for c in account)[:40]
        yield dg.DynamicOutput(
            {"account": account, "rebuild": config.rebuild}, mapping_key=f"a{number}_{readable}"
        )


@dg.op(out={})
def load_one_account(context: dg.OpExecutionContext, lnw: LnwSettings, task: dict):
    """Take in the account's pending observations oldest first (pipelines/loading.py),
    record its materializations and check results; fail if a check keeps an observation out."""
    account = task["account"]
    load = load_one(lnw, account, context.run.tags, rebuild=task["rebuild"])
    keep_validation_results(lnw.paths, load, context.run_id)
    for outcome in load.outcomes:
        # In the run's log; `lnw run` prints its own line for each item.
        if outcome.status == "quarantined":
            context.log.info(f"{account}/{outcome.item.name}: quarantined {outcome.detail}")
    yield from _events(load)
    if load.blocked:
        raise dg.Failure(description=f"{account}: " + "; ".join(load.blocked))


def _events(load: AccountLoad):
    yield from load_materializations(load)
    for result in load_check_results(load):
        yield dg.AssetCheckEvaluation(
            asset_key=result.asset_key,
            check_name=result.check_name,
            passed=result.passed,
            metadata=result.metadata,
            severity=result.severity,
            description=result.description,
            blocking=BLOCKING[dg.AssetCheckKey(result.asset_key, result.check_name)],
            partition=load.account,
        )


# Imported once by the forkserver that the multiprocess executor forks its step processes
# from, instead of by every step: Dagster and the definitions (~1.2 s), Great Expectations
# (3-5 s), Polars and DuckDB.
PRELOAD_MODULES = [
    "pipelines.definitions",
    "great_expectations",
    "great_expectations.expectations",
]


def executor_config(workers: int) -> dict:
    """Run config of load_inbox on the multiprocess executor: ``workers`` steps at once."""
    return {
        "execution": {
            "config": {
                "multiprocess": {
                    "max_concurrent": workers,
                    "start_method": {"forkserver": {"preload_modules": PRELOAD_MODULES}},
                }
            }
        }
    }


@dg.job(
    name="load_inbox",
    description="Load every account with something to do, one step per account: its new "
    "items stored in raw, the observations they make judged (raw expectation suites, the "
    "partial-export gate), the snapshots whose carried observations changed classified and "
    "checked, and the history merged. Accounts load side by side with the multiprocess "
    "executor (`lnw run --workers N`); each step holds the warehouse only while DuckDB works. "
    "Config: `accounts` (default: every account with new items or a decision pending), "
    "`rebuild` (judge and build everything again from the raw rows).",
    # No executor of its own: the Definitions' default (multiprocess, or in process for
    # `lnw run`), or the one a deployment chooses (deploy/definitions.py).
    tags={"lnw/purpose": "ingest"},
)
def load_inbox_job():
    accounts_to_load().map(load_one_account)


# The same graph, for rebuilding one account (after a parser fix, or to recover from a bad
# load), so that a rebuild is told apart from routine loads in the run list.
backfill_account_job = load_inbox_job.graph.to_job(
    name="backfill_account",
    description="Judge and build every observation of the configured accounts again from "
    "their stored raw rows, and rebuild their history: `lnw backfill ACCOUNT`, or launch it "
    "from this job's Launchpad with `accounts: [ACCOUNT]`.",
    tags={"lnw/purpose": "backfill"},
    config={"ops": {"accounts_to_load": {"config": {"rebuild": True}}}},
)

refresh_marts_job = dg.define_asset_job(
    "refresh_marts",
    selection=dg.AssetSelection.groups("marts", "analytics"),
    description="Recompute stale metrics, publish the analytics views for readers, build the "
    "Data Docs from the loads' validation results and rewrite the HTML report.",
    tags={"lnw/purpose": "marts"},
)
