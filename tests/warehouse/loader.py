"""A load as `lnw run` does it, with the pipeline's own asset functions, minus Dagster's runs.

The crash-safety test kills this in child processes: starting `lnw run` twenty times would
cost a Dagster start-up each time. The steps are the assets themselves, invoked directly, in
the order the jobs run them, with the recovery `lnw run` has (unfinished snapshots, a
publication left behind).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg

from inbox.home import SAMPLE_ICP, Home
from pipelines.assets.core import relationship_history, relationship_snapshots
from pipelines.assets.ingest import raw_exports
from pipelines.assets.marts import analytics_views, marts
from pipelines.ingest import pending_snapshot_keys
from pipelines.partitions import snapshots
from pipelines.resources import LnwSettings
from transforms.metrics import DEFAULT_WEEKLY_INVITATIONS
from warehouse.database import publication_due

warnings.filterwarnings("ignore", category=dg.PreviewWarning)
# Made at import: the forkserver that imports this module once pays Dagster's lazy imports
# of its storage for every child it forks.
INSTANCE = dg.DagsterInstance.ephemeral()


def _run(result) -> None:
    if result is not None and not isinstance(result, dg.MaterializeResult):
        list(result)  # a multi-asset yields its results: running it means exhausting it


def load_inbox(root: Path) -> list[str]:
    """Load every new or unfinished snapshot of the home's inbox; returns their keys."""
    home = Home(Path(root)).ensure()
    # Settings given, not read from the environment: the killed loads run in processes forked
    # from a server started whenever a test of the session first used one, with that moment's
    # LNW_* variables, and must score people with the same ICP as the clean load.
    lnw = LnwSettings(
        home=str(home.root),
        icp=str(home.icp if home.icp.exists() else SAMPLE_ICP),
        weekly_invitations=DEFAULT_WEEKLY_INVITATIONS,
    )
    with lnw.warehouse() as con:
        keys = pending_snapshot_keys(home, con)
    instance = INSTANCE
    known = set(instance.get_dynamic_partitions(snapshots.name))
    instance.add_dynamic_partitions(snapshots.name, [k for k in keys if k not in known])
    for key in keys:
        for asset in (raw_exports, relationship_snapshots, relationship_history):
            _run(asset(dg.build_asset_context(partition_key=key, instance=instance), lnw=lnw))
    with lnw.warehouse() as con:
        republish = publication_due(con, home.published)
    if keys or republish:
        _run(marts(dg.build_asset_context(instance=instance), lnw=lnw))
        _run(analytics_views(dg.build_asset_context(instance=instance), lnw=lnw))
    return keys


def load_until_killed(root: str, crash_at: int) -> None:
    """The same load in a child process that SIGKILLs itself at its ``crash_at``-th point."""
    import os

    from warehouse import database

    os.environ["LNW_CRASH_AT"] = str(crash_at)
    database._crash_points_passed = 0
    load_inbox(Path(root))
