"""The three metric families for one snapshot: reach, messaging capacity, network relevance.

A snapshot carries the latest archive and the latest follower list at or before its date
(`transforms.timeline`). A figure that needs only the archive (connections, conversations,
pending invitations, acceptance rate, recent connections and their relevance) is the
archive's own: computed as of the archive's date, the same at every snapshot carrying it. A
figure that needs both (mutual, connection_only, follower_only, relevant followers) combines
the two. A figure the carried observations cannot support is None (NULL in the warehouse),
never a guess: nothing that needs connections without an archive, no follower classes without
a list, no conversations without messages.csv, no pending counts without Invitations.csv.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

CONNECTION_CAP = 30_000
DEFAULT_WEEKLY_INVITATIONS = 100
RECENT_WINDOW_DAYS = 90


@dataclass(frozen=True)
class SnapshotFacts:
    """What is known about a snapshot beyond its relationship rows: what it carries."""

    account: str
    snapshot_date: dt.date
    connections_observed_on: dt.date | None
    followers_observed_on: dt.date | None = None
    unidentified_connections: int | None = None
    has_invitations: bool = False
    has_messages: bool = False
    # Followers of the carried list (the member left out); None without a list.
    listed_followers: int | None = None
    # Total from the follower analytics workbook for the date, used without a list.
    analytics_followers: int | None = None
    # New and lost people of the carried archive and list, each against the previous one of
    # its kind (None for the first of its kind).
    connections_change: tuple[int, int] | None = None
    followers_change: tuple[int, int] | None = None
    # The oldest invitation in the carried archive's Invitations.csv.
    invitations_since: dt.datetime | None = None

    @property
    def knows_connections(self) -> bool:
        return self.connections_observed_on is not None

    @property
    def has_follower_list(self) -> bool:
        return self.followers_observed_on is not None


def _rate(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def followers_total(facts: SnapshotFacts) -> tuple[int | None, str | None]:
    if facts.has_follower_list:
        return facts.listed_followers, "list"
    if facts.analytics_followers is not None:
        return facts.analytics_followers, "analytics"
    return None, None


def people_change(now: pl.DataFrame, before: pl.DataFrame) -> tuple[int, int]:
    """(new, lost): the people (``person_key``) of ``now`` not in ``before``, and the
    reverse: what an observation changed since the previous one of its kind."""
    new = now.join(before, on="person_key", how="anti").height
    return new, before.join(now, on="person_key", how="anti").height


def _change(
    change: tuple[int, int] | None, observed_now: dt.date | None, observed_before: dt.date | None
) -> tuple[int | None, int | None]:
    """New and lost people against the previous snapshot: none when both carry the same
    observation; when this one carries a newer one, that observation's own change against
    the previous of its kind (which the previous snapshot carries); unknown when either
    snapshot does not know them."""
    if observed_now is None or observed_before is None:
        return None, None
    if observed_now == observed_before:
        return 0, 0
    return change if change is not None else (None, None)


def reach(
    facts: SnapshotFacts, current: pl.DataFrame | None, previous: SnapshotFacts | None
) -> dict:
    """Audience and its change since the account's previous snapshot. ``current``: the
    snapshot's relationship rows (None when it knows no connections)."""
    followers, source = followers_total(facts)
    both = current is not None and facts.has_follower_list
    counts = {}
    if current is not None:
        by_class = current["relationship"].value_counts()
        counts = dict(zip(by_class["relationship"], by_class["count"], strict=True))
    row = {
        "account": facts.account,
        "snapshot_date": facts.snapshot_date,
        "followers": followers,
        "connections": int(current["is_connection"].sum()) if current is not None else None,
        "unidentified_connections": facts.unidentified_connections,
        "mutual": counts.get("mutual", 0) if both else None,
        "connection_only": counts.get("connection_only", 0) if both else None,
        "follower_only": counts.get("follower_only", 0) if both else None,
        "audience": followers,
        "new_followers": None,
        "lost_followers": None,
        "follower_growth_rate": None,
        "new_connections": None,
        "lost_connections": None,
        "followers_source": source,
        "connections_observed_on": facts.connections_observed_on,
        "followers_observed_on": facts.followers_observed_on,
    }
    if previous is None:
        return row
    row["new_connections"], row["lost_connections"] = _change(
        facts.connections_change, facts.connections_observed_on, previous.connections_observed_on
    )
    row["new_followers"], row["lost_followers"] = _change(
        facts.followers_change, facts.followers_observed_on, previous.followers_observed_on
    )
    before_total, before_source = followers_total(previous)
    # A scraped list and the analytics workbook count differently (a list can miss people):
    # growth across the two sources would be an artefact, not growth.
    if followers is not None and before_total and before_source == source:
        row["follower_growth_rate"] = (followers - before_total) / before_total
    return row


def invitation_acceptance(
    current: pl.DataFrame,
    earlier_pending_outbound: pl.DataFrame,
    invitations_since: dt.datetime | None,
) -> tuple[int, int]:
    """(accepted, judged): outbound invitations pending at snapshots before the archive's
    date, and how many of them are connections now.

    Only invitations sent since ``invitations_since`` (the oldest row of the archive's
    Invitations.csv) are judged: LinkedIn's file is a rolling window of about a year, so an
    older invitation has left it and a cumulative rate over years of snapshots would say little
    about how invitations fare now. None (no Invitations.csv) judges every earlier one.
    """
    invited = earlier_pending_outbound.unique("person_key")
    if invitations_since is not None:
        invited = invited.filter(pl.col("invitation_sent_at") >= invitations_since)
    connected = current.filter(pl.col("is_connection"))["person_key"].implode()
    accepted = invited.filter(pl.col("person_key").is_in(connected)).height
    return accepted, invited.height


def messaging_capacity(
    facts: SnapshotFacts,
    current: pl.DataFrame | None,
    earlier_pending_outbound: pl.DataFrame,
    *,
    weekly_invitations: int = DEFAULT_WEEKLY_INVITATIONS,
) -> dict:
    """Whom the member can message, whom they talk to, and room left under LinkedIn's cap.

    ``earlier_pending_outbound`` holds (person_key, invitation_sent_at) of outbound invitations
    that were still pending at the account's snapshots before the archive's date.
    """
    if weekly_invitations <= 0:
        raise ValueError(
            f"the weekly invitation budget must be a positive number, not {weekly_invitations} "
            "(set LNW_WEEKLY_INVITATIONS)"
        )
    row = {
        "account": facts.account,
        "snapshot_date": facts.snapshot_date,
        "messageable": None,
        "inmail_only": None,
        "connection_headroom": None,
        "active_conversations_90d": None,
        "dormant_connections": None,
        "pending_outbound": None,
        "pending_inbound": None,
        "invitation_acceptance_rate": None,
        "weekly_invitation_budget": weekly_invitations,
        "weeks_to_cap": None,
    }
    if current is None:
        return row
    connections = int(current["is_connection"].sum())
    headroom = max(0, CONNECTION_CAP - connections)
    active = None
    if facts.has_messages:
        active = int((current["active_90d"].fill_null(False) & current["is_connection"]).sum())
    pending = ~pl.col("is_connection")
    accepted, judged = invitation_acceptance(
        current, earlier_pending_outbound, facts.invitations_since
    )
    row |= {
        "messageable": connections,
        "inmail_only": int((current["relationship"] == "follower_only").sum())
        if facts.has_follower_list
        else None,
        "connection_headroom": headroom,
        "active_conversations_90d": active,
        "dormant_connections": connections - active if active is not None else None,
        "invitation_acceptance_rate": _rate(accepted, judged),
        "weeks_to_cap": headroom / weekly_invitations,
    }
    if facts.has_invitations:
        for direction in ("outbound", "inbound"):
            row[f"pending_{direction}"] = current.filter(
                pending & (pl.col("invitation") == direction)
            ).height
    return row


def network_relevance(facts: SnapshotFacts, scored: pl.DataFrame | None) -> dict:
    """How much of the network matches the ICP, overall and among the connections made in
    the 90 days up to the archive's date."""
    followers, _ = followers_total(facts)
    row = {
        "account": facts.account,
        "snapshot_date": facts.snapshot_date,
        "connections": None,
        "relevant_connections": None,
        "relevance_rate": None,
        "followers": followers,
        "relevant_followers": None,
        "follower_relevance_rate": None,
        "recent_connections": None,
        "recent_relevant_connections": None,
        "recent_relevance_rate": None,
    }
    if scored is None:
        return row
    relevant = pl.col("is_relevant")
    connections = scored.filter(pl.col("is_connection"))
    archive_day = facts.connections_observed_on or facts.snapshot_date
    recent_start = archive_day - dt.timedelta(days=RECENT_WINDOW_DAYS)
    recent = connections.filter(
        (pl.col("connected_on") > recent_start) & (pl.col("connected_on") <= archive_day)
    )
    relevant_connections = connections.filter(relevant).height
    recent_relevant = recent.filter(relevant).height
    row |= {
        "connections": connections.height,
        "relevant_connections": relevant_connections,
        "relevance_rate": _rate(relevant_connections, connections.height),
        "recent_connections": recent.height,
        "recent_relevant_connections": recent_relevant,
        "recent_relevance_rate": _rate(recent_relevant, recent.height),
    }
    if facts.has_follower_list:
        relevant_followers = scored.filter(pl.col("is_follower").fill_null(False) & relevant)
        row["relevant_followers"] = relevant_followers.height
        row["follower_relevance_rate"] = _rate(relevant_followers.height, followers)
    return row


# The columns of each family's rows, typed (a column can be NULL on every snapshot).
REACH_SCHEMA = {
    "account": pl.String,
    "snapshot_date": pl.Date,
    "followers": pl.Int64,
    "connections": pl.Int64,
    "unidentified_connections": pl.Int64,
    "mutual": pl.Int64,
    "connection_only": pl.Int64,
    "follower_only": pl.Int64,
    "audience": pl.Int64,
    "new_followers": pl.Int64,
    "lost_followers": pl.Int64,
    "follower_growth_rate": pl.Float64,
    "new_connections": pl.Int64,
    "lost_connections": pl.Int64,
    "followers_source": pl.String,
    "connections_observed_on": pl.Date,
    "followers_observed_on": pl.Date,
}
CAPACITY_SCHEMA = {
    "account": pl.String,
    "snapshot_date": pl.Date,
    "messageable": pl.Int64,
    "inmail_only": pl.Int64,
    "connection_headroom": pl.Int64,
    "active_conversations_90d": pl.Int64,
    "dormant_connections": pl.Int64,
    "pending_outbound": pl.Int64,
    "pending_inbound": pl.Int64,
    "invitation_acceptance_rate": pl.Float64,
    "weekly_invitation_budget": pl.Int64,
    "weeks_to_cap": pl.Float64,
}
RELEVANCE_SCHEMA = {
    "account": pl.String,
    "snapshot_date": pl.Date,
    "connections": pl.Int64,
    "relevant_connections": pl.Int64,
    "relevance_rate": pl.Float64,
    "followers": pl.Int64,
    "relevant_followers": pl.Int64,
    "follower_relevance_rate": pl.Float64,
    "recent_connections": pl.Int64,
    "recent_relevant_connections": pl.Int64,
    "recent_relevance_rate": pl.Float64,
}
