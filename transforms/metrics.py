"""The three metric families for one snapshot: reach, messaging capacity, network relevance.

Every figure follows the design's definitions (DESIGN.md section 6). A figure that the inputs
cannot support is None (NULL in the warehouse), never a guess: follower classes need a
follower list, conversations need messages.csv, pending counts need Invitations.csv.
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
    """What is known about a snapshot beyond its relationship rows."""

    account: str
    snapshot_date: dt.date
    unidentified_connections: int
    has_follower_list: bool
    has_invitations: bool
    has_messages: bool
    # Total from the follower analytics workbook, used when there is no follower list.
    analytics_followers: int | None = None


def _rate(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _keys(frame: pl.DataFrame, condition: pl.Expr) -> set[str]:
    return set(frame.filter(condition)["person_key"].to_list())


def followers_total(facts: SnapshotFacts, current: pl.DataFrame) -> tuple[int | None, str | None]:
    if facts.has_follower_list:
        return int(current["is_follower"].fill_null(False).sum()), "list"
    if facts.analytics_followers is not None:
        return facts.analytics_followers, "analytics"
    return None, None


def reach(
    facts: SnapshotFacts,
    current: pl.DataFrame,
    previous: pl.DataFrame | None,
    previous_facts: SnapshotFacts | None,
) -> dict:
    """Audience and its change since the account's previous snapshot."""
    connection = pl.col("is_connection")
    follower = pl.col("is_follower").fill_null(False)
    followers, source = followers_total(facts, current)
    by_class = current["relationship"].value_counts()
    counts = dict(zip(by_class["relationship"], by_class["count"], strict=True))
    listed = facts.has_follower_list

    row = {
        "account": facts.account,
        "snapshot_date": facts.snapshot_date,
        "followers": followers,
        "connections": int(current["is_connection"].sum()),
        "unidentified_connections": facts.unidentified_connections,
        "mutual": counts.get("mutual", 0) if listed else None,
        "connection_only": counts.get("connection_only", 0) if listed else None,
        "follower_only": counts.get("follower_only", 0) if listed else None,
        "audience": followers,
        "new_followers": None,
        "lost_followers": None,
        "follower_growth_rate": None,
        "new_connections": None,
        "lost_connections": None,
        "followers_source": source,
    }
    if previous is None or previous_facts is None:
        return row
    now_conn, before_conn = _keys(current, connection), _keys(previous, connection)
    row["new_connections"] = len(now_conn - before_conn)
    row["lost_connections"] = len(before_conn - now_conn)
    if listed and previous_facts.has_follower_list:
        now_fol, before_fol = _keys(current, follower), _keys(previous, follower)
        row["new_followers"] = len(now_fol - before_fol)
        row["lost_followers"] = len(before_fol - now_fol)
    before_total, before_source = followers_total(previous_facts, previous)
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
    """(accepted, judged): outbound invitations pending in earlier snapshots, and how many of
    them are connections now.

    Only invitations sent since ``invitations_since`` (the oldest row of this snapshot's
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
    current: pl.DataFrame,
    earlier_pending_outbound: pl.DataFrame,
    *,
    invitations_since: dt.datetime | None = None,
    weekly_invitations: int = DEFAULT_WEEKLY_INVITATIONS,
) -> dict:
    """Whom the member can message, whom they talk to, and room left under LinkedIn's cap.

    ``earlier_pending_outbound`` holds (person_key, invitation_sent_at) of outbound invitations
    that were still pending in the account's earlier snapshots; ``invitations_since`` is the
    oldest invitation in this snapshot's Invitations.csv (see `invitation_acceptance`).
    """
    if weekly_invitations <= 0:
        raise ValueError(
            f"the weekly invitation budget must be a positive number, not {weekly_invitations} "
            "(set LNW_WEEKLY_INVITATIONS)"
        )
    connections = int(current["is_connection"].sum())
    headroom = max(0, CONNECTION_CAP - connections)
    listed = facts.has_follower_list
    active = None
    if facts.has_messages:
        active = int((current["active_90d"].fill_null(False) & current["is_connection"]).sum())
    pending = ~pl.col("is_connection")
    accepted, judged = invitation_acceptance(current, earlier_pending_outbound, invitations_since)
    acceptance = _rate(accepted, judged)
    return {
        "account": facts.account,
        "snapshot_date": facts.snapshot_date,
        "messageable": connections,
        "inmail_only": int((current["relationship"] == "follower_only").sum()) if listed else None,
        "connection_headroom": headroom,
        "active_conversations_90d": active,
        "dormant_connections": connections - active if active is not None else None,
        "pending_outbound": (
            current.filter(pending & (pl.col("invitation") == "outbound")).height
            if facts.has_invitations
            else None
        ),
        "pending_inbound": (
            current.filter(pending & (pl.col("invitation") == "inbound")).height
            if facts.has_invitations
            else None
        ),
        "invitation_acceptance_rate": acceptance,
        "weekly_invitation_budget": weekly_invitations,
        "weeks_to_cap": headroom / weekly_invitations,
    }


def network_relevance(facts: SnapshotFacts, scored: pl.DataFrame) -> dict:
    """How much of the network matches the ICP, overall and among recent connections."""
    connection = pl.col("is_connection")
    relevant = pl.col("is_relevant")
    connections = scored.filter(connection)
    recent_start = facts.snapshot_date - dt.timedelta(days=RECENT_WINDOW_DAYS)
    recent = connections.filter(
        (pl.col("connected_on") > recent_start) & (pl.col("connected_on") <= facts.snapshot_date)
    )
    followers, _ = followers_total(facts, scored)
    relevant_followers = None
    if facts.has_follower_list:
        relevant_followers = scored.filter(pl.col("is_follower").fill_null(False) & relevant).height
    relevant_connections = connections.filter(relevant).height
    recent_relevant = recent.filter(relevant).height
    return {
        "account": facts.account,
        "snapshot_date": facts.snapshot_date,
        "connections": connections.height,
        "relevant_connections": relevant_connections,
        "relevance_rate": _rate(relevant_connections, connections.height),
        "followers": followers,
        "relevant_followers": relevant_followers,
        "follower_relevance_rate": _rate(relevant_followers, followers)
        if facts.has_follower_list
        else None,
        "recent_connections": recent.height,
        "recent_relevant_connections": recent_relevant,
        "recent_relevance_rate": _rate(recent_relevant, recent.height),
    }
