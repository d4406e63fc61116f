"""Jobs: load snapshots (partitioned), refresh the metrics and the published views."""

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
    description="Recompute stale metrics and publish the analytics views for readers.",
    tags={"lnw/purpose": "marts"},
)
