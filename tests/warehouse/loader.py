"""A load as `lnw run` does it, with the pipeline's own functions, minus Dagster's runs.

The crash-safety test kills this in child processes: starting `lnw run` twenty times would
cost a Dagster start-up each time. The steps are those of the job `load_inbox` (one account's
load, pipelines/loading.py) and of `refresh_marts` (the marts and views assets, invoked
directly), in that order, with the recovery `lnw run` has (a publication left behind).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg

from inbox.discovery import scan_inbox
from inbox.home import SAMPLE_ICP, Home
from pipelines.assets.load import load_one
from pipelines.assets.marts import analytics_views, marts
from pipelines.loading import pending_accounts
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
    """Load every account with something to do; returns the accounts loaded."""
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
        accounts = pending_accounts(con, scan_inbox(home.inbox).items)
    for account in accounts:
        load_one(lnw, account, {}, rebuild=False)
    with lnw.warehouse() as con:
        republish = publication_due(con, home.published)
    if accounts or republish:
        _run(marts(dg.build_asset_context(instance=INSTANCE), lnw=lnw))
        _run(analytics_views(dg.build_asset_context(instance=INSTANCE), lnw=lnw))
    return accounts


def load_until_killed(root: str, crash_at: int) -> None:
    """The same load in a child process that SIGKILLs itself at its ``crash_at``-th point."""
    import os

    from warehouse import database

    os.environ["LNW_CRASH_AT"] = str(crash_at)
    database._crash_points_passed = 0
    load_inbox(Path(root))
