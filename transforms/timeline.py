"""An account's timeline: a snapshot on every date something was observed, carrying the latest
observation of each kind.

LinkedIn's archive is requested now and then (monthly at best) and follower lists are scraped
on other days, often weekly: an archive observes the account's connections (with its
invitations and messages), a follower list its followers. At each snapshot the latest archive
and the latest follower list at or before its date are used, each for at most ``carry_days``
days (an observation exactly that old is still used), never before their own date; beyond
that, what they observed is unknown at the snapshot.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

CONNECTIONS, FOLLOWERS = "connections", "followers"
OBSERVATION_KINDS = (CONNECTIONS, FOLLOWERS)
DEFAULT_CARRY_DAYS = 35

TIMELINE_SCHEMA = {
    "snapshot_date": pl.Date,
    "connections_observed_on": pl.Date,
    "followers_observed_on": pl.Date,
}


def timeline(observations: pl.DataFrame, carry_days: int = DEFAULT_CARRY_DAYS) -> pl.DataFrame:
    """One row per date of ``observations`` (columns ``kind`` and ``observed_on``, the
    observations in use of one account), with the date of the archive and of the follower
    list each snapshot uses (null when none is carried), oldest first."""
    if carry_days < 0:
        raise ValueError(f"carry_days must be zero or more, not {carry_days}")
    dates = observations.select(pl.col("observed_on").unique().sort().alias("snapshot_date"))
    carried = {}
    for kind in OBSERVATION_KINDS:
        seen = (
            observations.filter(pl.col("kind") == kind)
            .select(pl.col("observed_on").unique().sort())
            .with_columns(pl.col("observed_on").alias(f"{kind}_observed_on"))
        )
        # The latest observation at or before each date...
        joined = dates.join_asof(
            seen, left_on="snapshot_date", right_on="observed_on", strategy="backward"
        )
        age = (pl.col("snapshot_date") - pl.col(f"{kind}_observed_on")).dt.total_days()
        # ...as long as it is at most carry_days old.
        carried[kind] = joined.select(
            pl.when(age <= carry_days)
            .then(pl.col(f"{kind}_observed_on"))
            .alias(f"{kind}_observed_on")
        )
    return pl.concat([dates, *carried.values()], how="horizontal").cast(TIMELINE_SCHEMA)


def changed_snapshots(before: pl.DataFrame, after: pl.DataFrame) -> list[dt.date]:
    """Dates of ``after`` whose carried observations differ from ``before``'s (new dates
    included), and dates of ``before`` no longer in ``after``: the snapshots to (re)build or
    to remove."""
    columns = list(TIMELINE_SCHEMA)
    old, new = before.select(columns).cast(TIMELINE_SCHEMA), after.select(columns)
    differing = new.join(old, on=columns, how="anti")["snapshot_date"]
    removed = old.join(new, on="snapshot_date", how="anti")["snapshot_date"]
    return sorted({*differing.to_list(), *removed.to_list()})
