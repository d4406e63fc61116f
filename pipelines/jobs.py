"""Jobs, one per purpose: load a snapshot, re-load every snapshot of an account, refresh marts,
load many accounts in parallel.

Runs carry `lnw/purpose` (which job and why), `lnw/trigger` (cli, inbox, schedule, after a
load) and, when partitioned, `lnw/account`: filter the Runs page by them.
"""

import dagster as dg

from pipelines.accounts import accounts_to_load, load_account

ingest_job = dg.define_asset_job(
    "ingest_snapshot",
    selection=dg.AssetSelection.groups("ingest", "core"),
    description="Load one snapshot's new inbox items into raw, classify, merge into history.",
    tags={"lnw/purpose": "ingest"},
)

refresh_marts_job = dg.define_asset_job(
    "refresh_marts",
    selection=dg.AssetSelection.groups("marts", "analytics"),
    description="Recompute stale metrics, publish the analytics views for readers and "
    "rewrite the HTML report.",
    tags={"lnw/purpose": "marts"},
)

# The same assets as the ingest, as its own job so that a rebuild of an account (after a
# parser fix, or to recover from a bad load) is told apart from routine loads in the run list.
backfill_account_job = dg.define_asset_job(
    "backfill_account",
    selection=dg.AssetSelection.groups("ingest", "core"),
    description="Re-run every snapshot partition of one account: re-read its raw rows, "
    "re-classify and rebuild its history. Launch with `lnw backfill ACCOUNT`, or in the UI: "
    "this job's Partitions tab, select the keys starting with `<account>:`, Launch backfill. "
    "Then run refresh_marts (the sensor does it after each successful run).",
    tags={"lnw/purpose": "backfill"},
)


# Imported once by the forkserver that the multiprocess executor forks its step processes
# from, instead of by every step: Dagster and the definitions (~1.2 s), Great Expectations
# (5-8 s), Polars and DuckDB.
PRELOAD_MODULES = [
    "pipelines.definitions",
    "pipelines.accounts",
    "great_expectations",
    "great_expectations.expectations",
]
# Two cores here; each step process also runs DuckDB's and Polars' own threads.
DEFAULT_WORKERS = 2


def executor_config(workers: int) -> dict:
    """Run config of load_accounts: ``workers`` step processes at once."""
    return {
        "execution": {
            "config": {
                "max_concurrent": workers,
                "start_method": {"forkserver": {"preload_modules": PRELOAD_MODULES}},
            }
        }
    }


@dg.job(
    name="load_accounts",
    description="Load every pending snapshot, one step per account, accounts in parallel "
    "(multiprocess executor). Each step loads its account's snapshots oldest first with the "
    "functions the ingest assets use, evaluates the same checks (expectation suites, "
    "connections cap, partial-export gate, history invariants; no Data Docs), and records "
    "materializations of the same partitioned assets. "
    "Steps hold the warehouse only while DuckDB works (an OS lock); parsing, classification "
    "and validation run side by side. Config `snapshots`: partition keys to load (default: "
    "every new or unfinished snapshot of the inbox).",
    executor_def=dg.multiprocess_executor,
    tags={"lnw/purpose": "ingest"},
    config=executor_config(DEFAULT_WORKERS),
)
def load_accounts_job():
    accounts_to_load().map(load_account)
