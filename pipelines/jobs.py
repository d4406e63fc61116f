"""Jobs, one per purpose: load a snapshot, re-load every snapshot of an account, refresh marts.

Runs carry `lnw/purpose` (which job and why), `lnw/trigger` (cli, inbox, schedule, after a
load) and, when partitioned, `lnw/account`: filter the Runs page by them.
"""

import dagster as dg

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
