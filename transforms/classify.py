"""One relationship per person per snapshot: the five classes of the design, first match wins."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.identity import (
    canonical_profile_key,
    full_name,
    link_weak_keys,
    weak_person_key,
)

# The public classes (contract), plus `connection` for snapshots without a follower list,
# where follow status is unknown and must not be guessed.
RELATIONSHIPS = (
    "mutual",
    "connection_only",
    "follower_only",
    "pending_outbound",
    "pending_inbound",
    "connection",
)

SNAPSHOT_SCHEMA = {
    "person_key": pl.String,
    "key_is_weak": pl.Boolean,
    "full_name": pl.String,
    "profile_url": pl.String,
    "company": pl.String,
    "position": pl.String,
    "headline": pl.String,
    "connected_on": pl.Date,
    "is_connection": pl.Boolean,
    "is_follower": pl.Boolean,
    "invitation": pl.String,
    "invitation_sent_at": pl.Datetime("us"),
    "active_90d": pl.Boolean,
    "relationship": pl.String,
}

ACTIVE_WINDOW_DAYS = 90


def detect_self_key(invitations: pl.DataFrame | None, messages: pl.DataFrame | None) -> str | None:
    """The member's own key: the inviter of outgoing invitations, else the profile present in
    the most messages (the member takes part in every conversation of their archive)."""
    if invitations is not None and not invitations.is_empty():
        outgoing = invitations.filter(pl.col("direction") == "OUTGOING")
        keys = canonical_profile_key(outgoing["inviter_url"]).drop_nulls()
        if not keys.is_empty():
            return keys.mode().sort()[0]
    if messages is not None and not messages.is_empty():
        everyone = pl.concat(
            [messages["sender_url"], messages["recipient_urls"].explode()], how="vertical"
        )
        keys = canonical_profile_key(everyone).drop_nulls()
        if not keys.is_empty():
            return keys.mode().sort()[0]
    return None


def _profile_url(key: pl.Expr, weak: pl.Expr) -> pl.Expr:
    return pl.when(~weak).then(pl.lit("https://www.linkedin.com/in/") + key)


def identified_connections(connections: pl.DataFrame) -> pl.DataFrame:
    """Connections with a person key, one row per person. Blank-person rows are dropped here."""
    people = connections.with_columns(
        full_name(pl.col("first_name"), pl.col("last_name")).alias("full_name"),
        canonical_profile_key(connections["profile_url"]),
    ).with_columns(
        pl.col("person_key").is_null().alias("key_is_weak"),
        pl.coalesce(
            pl.col("person_key"), weak_person_key(pl.col("full_name"), pl.col("company"))
        ).alias("person_key"),
    )
    return (
        people.filter(pl.col("person_key").is_not_null())
        # A re-saved file can repeat a person; the earliest connection date is the true one.
        .sort("connected_on", "row_number", nulls_last=True)
        .unique("person_key", keep="first", maintain_order=True)
        .select("person_key", "key_is_weak", "full_name", "company", "position", "connected_on")
    )


def count_unidentified(connections: pl.DataFrame) -> int:
    """Blank-person rows: every field but the date empty (deactivated or restricted members)."""
    blank = pl.all_horizontal(
        pl.col(c).is_null()
        for c in ("first_name", "last_name", "profile_url", "email_hash", "company", "position")
    )
    return connections.filter(blank).height


def follower_people(followers: pl.DataFrame) -> pl.DataFrame:
    """One row per follower; rows whose URL is not a profile URL cannot be keyed and are dropped
    (the raw-layer check reports how many)."""
    return (
        # Only the columns kept: a million-row frame is copied by each step below.
        followers.select("full_name", "headline", canonical_profile_key(followers["profile_url"]))
        .filter(pl.col("person_key").is_not_null())
        .unique("person_key", keep="first", maintain_order=True)
        .select("person_key", "full_name", "headline")
    )


def invitation_counterparts(invitations: pl.DataFrame) -> pl.DataFrame:
    """The other party of each invitation, latest invitation per person."""
    outgoing = pl.col("direction") == "OUTGOING"
    url = pl.when(outgoing).then(pl.col("invitee_url")).otherwise(pl.col("inviter_url"))
    name = pl.when(outgoing).then(pl.col("invitee_name")).otherwise(pl.col("inviter_name"))
    rows = invitations.select(
        url.alias("url"),
        name.alias("full_name"),
        pl.when(outgoing).then(pl.lit("outbound")).otherwise(pl.lit("inbound")).alias("invitation"),
        pl.col("sent_at").alias("invitation_sent_at"),
    )
    rows = rows.with_columns(canonical_profile_key(rows["url"])).with_columns(
        pl.coalesce(
            pl.col("person_key"), weak_person_key(pl.col("full_name"), pl.lit(None, pl.String))
        )
    )
    return (
        rows.filter(pl.col("person_key").is_not_null())
        .sort("invitation_sent_at", descending=True, nulls_last=True)
        .unique("person_key", keep="first", maintain_order=True)
        .select("person_key", "full_name", "invitation", "invitation_sent_at")
    )


def active_conversation_partners(
    messages: pl.DataFrame, self_key: str | None, snapshot_date: dt.date
) -> pl.Series:
    """People who wrote to the member, or to whom the member wrote, in the 90 days up to the
    snapshot. Drafts and sponsored messages do not count; in a group, only the member's own
    messages make its recipients active (the others are bystanders)."""
    start = snapshot_date - dt.timedelta(days=ACTIVE_WINDOW_DAYS)
    recent = messages.filter(
        ~pl.col("is_draft")
        & ~pl.col("is_sponsored")
        & (pl.col("sent_at").dt.date() > start)
        & (pl.col("sent_at").dt.date() <= snapshot_date)
    )
    # A key depends on the URL alone, and a few thousand people write hundreds of thousands
    # of messages: each distinct URL is keyed once.
    sender_urls = recent["sender_url"].drop_nulls().unique()
    sender_keys = canonical_profile_key(sender_urls)
    # Without the member's own key nobody's messages can be told apart as the member's.
    member_urls = sender_urls.filter(sender_keys == self_key) if self_key else sender_urls.clear()
    is_member = pl.col("sender_url").is_in(member_urls.implode())
    from_member = recent.filter(is_member)
    recipients = canonical_profile_key(
        from_member["recipient_urls"].explode().drop_nulls().unique()
    )
    senders = canonical_profile_key(recent.filter(~is_member)["sender_url"].drop_nulls().unique())
    partners = pl.concat([recipients, senders]).drop_nulls().unique()
    return partners.filter(partners != self_key) if self_key else partners


def conversations_are_attributable(
    connections: pl.DataFrame, messages: pl.DataFrame | None
) -> bool:
    """Whether messages can say which connections the member talks to. Before 2024 messages
    carry no recipient profile URLs (before 2022 no sender URLs either), and connections no
    URL to match them with: active conversations would be undercounted, so the figure is
    then unknown, not guessed. A messages file without any message is attributable: zero."""
    if messages is None:
        return False
    if messages.is_empty():
        return True
    return (
        connections["profile_url"].drop_nulls().len() > 0
        and messages["sender_url"].drop_nulls().len() > 0
        and bool(messages["recipient_urls"].list.len().fill_null(0).max())
    )


def classify_relationships(
    connections: pl.DataFrame,
    followers: pl.DataFrame | None,
    invitations: pl.DataFrame | None,
    messages: pl.DataFrame | None,
    *,
    snapshot_date: dt.date,
    self_key: str | None,
) -> pl.DataFrame:
    """The relationship snapshot: one row per person related to the member at the snapshot.

    ``followers`` None means the snapshot has no follower list: connections are then
    ``connection`` and nobody is ``follower_only``. ``messages`` None leaves ``active_90d`` null.
    """
    conn = identified_connections(connections).with_columns(pl.lit(True).alias("is_connection"))
    people = conn
    if followers is not None:
        fol = follower_people(followers).with_columns(pl.lit(True).alias("is_follower"))
        people = people.join(fol, on="person_key", how="full", coalesce=True, suffix="_f")
        people = people.with_columns(
            pl.coalesce("full_name", "full_name_f").alias("full_name"),
            pl.col("is_follower").fill_null(False),
        ).drop("full_name_f")
    else:
        people = people.with_columns(
            pl.lit(None, pl.String).alias("headline"), pl.lit(None, pl.Boolean).alias("is_follower")
        )
    if invitations is not None and not invitations.is_empty():
        inv = invitation_counterparts(invitations)
        # Invitations without URLs (before 2024) name no company: link them by name alone.
        known = people.select("person_key", "full_name", "company")
        inv = link_weak_keys(inv, known, match_company=False).unique("person_key", keep="first")
        people = people.join(inv, on="person_key", how="full", coalesce=True, suffix="_i")
        people = people.with_columns(pl.coalesce("full_name", "full_name_i").alias("full_name"))
        people = people.drop("full_name_i")
        if followers is not None:
            people = people.with_columns(pl.col("is_follower").fill_null(False))
    else:
        people = people.with_columns(
            pl.lit(None, pl.String).alias("invitation"),
            pl.lit(None, pl.Datetime("us")).alias("invitation_sent_at"),
        )
    people = people.with_columns(pl.col("is_connection").fill_null(False))
    if self_key is not None:
        people = people.filter(pl.col("person_key") != self_key)

    if messages is not None:
        partners = active_conversation_partners(messages, self_key, snapshot_date)
        active = pl.col("is_connection") & pl.col("person_key").is_in(partners.implode())
        people = people.with_columns(active.alias("active_90d"))
    else:
        people = people.with_columns(pl.lit(None, pl.Boolean).alias("active_90d"))

    connection, follows = pl.col("is_connection"), pl.col("is_follower")
    relationship = (
        pl.when(connection & follows.is_null())
        .then(pl.lit("connection"))
        .when(connection & follows)
        .then(pl.lit("mutual"))
        .when(connection)
        .then(pl.lit("connection_only"))
        .when(follows.fill_null(False))
        .then(pl.lit("follower_only"))
        .when(pl.col("invitation") == "outbound")
        .then(pl.lit("pending_outbound"))
        .otherwise(pl.lit("pending_inbound"))
    )
    weak = pl.col("person_key").str.starts_with("name:")
    return (
        people.with_columns(
            relationship.alias("relationship"),
            weak.alias("key_is_weak"),
            _profile_url(pl.col("person_key"), weak).alias("profile_url"),
        )
        .select(list(SNAPSHOT_SCHEMA))
        .cast(SNAPSHOT_SCHEMA)
        # On two busy cores Polars' parallel sort of a million strings took 3x the CPU time
        # and 4x the wall time of a sort on one thread (5.6 s against 1.3 s).
        .sort("person_key", multithreaded=False)
    )
