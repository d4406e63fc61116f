"""One relationship per person per snapshot: the five classes of the design, first match wins."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import polars as pl

from transforms.identity import (
    WEAK_KEY_PREFIX,
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
    "last_conversation_on": pl.Date,
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


def conversation_partners(
    messages: pl.DataFrame, self_key: str | None, observed_on: dt.date
) -> pl.DataFrame:
    """Everyone the member exchanged a counted message with, up to ``observed_on``, and the
    date of the latest one (``person_key``, ``last_conversation_on``): people who wrote to
    the member, and the recipients of the member's own messages. Drafts and sponsored
    messages do not count; in a group, only the member's own messages make its recipients
    partners (the others are bystanders)."""
    counted = messages.filter(
        ~pl.col("is_draft") & ~pl.col("is_sponsored") & (pl.col("sent_at").dt.date() <= observed_on)
    ).select("sender_url", "recipient_urls", pl.col("sent_at").dt.date().alias("day"))
    # A key depends on the URL alone, and a few thousand people write hundreds of thousands
    # of messages: each distinct URL is keyed once, after its latest day is found.
    by_sender = counted.group_by("sender_url").agg(pl.col("day").max()).drop_nulls("sender_url")
    sender_keys = canonical_profile_key(by_sender["sender_url"])
    # Without the member's own key nobody's messages can be told apart as the member's.
    is_member = (sender_keys == self_key) if self_key else pl.repeat(False, len(sender_keys))
    member_urls = by_sender.filter(is_member)["sender_url"]
    wrote = by_sender.with_columns(sender_keys).filter(~is_member).select("person_key", "day")
    received = (
        counted.filter(pl.col("sender_url").is_in(member_urls.implode()))
        .select(pl.col("recipient_urls").alias("url"), "day")
        .explode("url")
        .drop_nulls("url")
        .group_by("url")
        .agg(pl.col("day").max())
    )
    received = received.select(canonical_profile_key(received["url"]), "day")
    partners = (
        pl.concat([wrote, received])
        .drop_nulls("person_key")
        .group_by("person_key")
        .agg(pl.col("day").max().alias("last_conversation_on"))
    )
    return partners.filter(pl.col("person_key") != self_key) if self_key else partners


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


@dataclass(frozen=True)
class ArchivePeople:
    """What one archive says about the account's people, keyed once and carried to every
    snapshot that uses the archive: its connections (with whom the member talks, as of the
    archive's date), its invitations and the facts the metrics need."""

    observed_on: dt.date
    # person_key, key_is_weak, full_name, company, position, connected_on
    connections: pl.DataFrame
    # person_key, full_name, invitation, invitation_sent_at; None without Invitations.csv
    invitations: pl.DataFrame | None
    # person_key, last_conversation_on; None when messages cannot say who (no messages.csv,
    # or an export before 2024 without profile URLs)
    partners: pl.DataFrame | None
    self_key: str | None
    unidentified: int
    # How the archive's rows without URL were linked to profile slugs (None: it has none).
    identity: str | None = None

    @property
    def has_invitations(self) -> bool:
        return self.invitations is not None

    @property
    def has_messages(self) -> bool:
        return self.partners is not None


def archive_people(
    connections: pl.DataFrame,
    invitations: pl.DataFrame | None,
    messages: pl.DataFrame | None,
    *,
    observed_on: dt.date,
    known: pl.DataFrame | None = None,
) -> ArchivePeople:
    """Key one archive's files. ``known`` holds the account's connection rows with a profile
    URL (``first_name``, ``last_name``, ``profile_url``, ``company``) from every archive: rows
    of this one without URL (exports before 2024) take the slug of the one known person with
    their name and company, whichever archive was loaded first."""
    people = identified_connections(connections)
    identity = None
    if known is not None and people["key_is_weak"].any():
        people, identity = _link_to_known_slugs(people, known)
    if not conversations_are_attributable(connections, messages):
        messages = None
    self_key = detect_self_key(invitations, messages)
    if self_key is not None:
        # The member is never their own connection, whatever a file says.
        people = people.filter(pl.col("person_key") != self_key)
    partners = None
    if messages is not None:
        partners = conversation_partners(messages, self_key, observed_on)
    counterparts = None
    if invitations is not None:
        counterparts = invitation_counterparts(invitations)
    return ArchivePeople(
        observed_on=observed_on,
        connections=people,
        invitations=counterparts,
        partners=partners,
        self_key=self_key,
        unidentified=count_unidentified(connections),
        identity=identity,
    )


def _link_to_known_slugs(people: pl.DataFrame, known: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """Weak-keyed connections linked to known slugs, and a fingerprint of the links made: a
    load compares it to tell whether newer exports changed how an old archive is keyed."""
    url_rows = known.select(
        canonical_profile_key(known["profile_url"]),
        full_name(pl.col("first_name"), pl.col("last_name")).alias("full_name"),
        pl.col("company"),
    ).filter(pl.col("person_key").is_not_null())
    linked = link_weak_keys(people, url_rows)
    # A slug this archive already holds on a row with a URL stays that row's: the weak row
    # keeps its own key rather than making the person appear twice.
    taken = people.filter(~pl.col("key_is_weak"))["person_key"].implode()
    was_weak = pl.col("key_is_weak")
    keep_weak = was_weak & pl.col("__linked").is_in(taken)
    linked = people.with_columns(linked["person_key"].alias("__linked")).with_columns(
        pl.when(keep_weak).then(pl.col("person_key")).otherwise(pl.col("__linked"))
    )
    links = linked.filter(was_weak).select("person_key", "__linked").sort("person_key")
    fingerprint = hashlib.sha256(links.write_csv().encode()).hexdigest()[:16]
    weak = pl.col("__linked").str.starts_with(WEAK_KEY_PREFIX)
    people = linked.select(
        pl.col("__linked").alias("person_key"),
        weak.alias("key_is_weak"),
        *[c for c in people.columns if c not in ("person_key", "key_is_weak")],
    )
    return people.unique("person_key", keep="first", maintain_order=True), fingerprint


def classify_relationships(archive: ArchivePeople, followers: pl.DataFrame | None) -> pl.DataFrame:
    """The relationship snapshot: one row per person related to the member, from an archive
    and the follower list carried with it (``followers``: `follower_people` of the list).

    ``followers`` None means the snapshot has no follower list: connections are then
    ``connection`` and nobody is ``follower_only``. Without messages ``active_90d`` is null;
    it and ``last_conversation_on`` are as of the archive's date, whatever the snapshot's.
    """
    conn = archive.connections.with_columns(pl.lit(True).alias("is_connection"))
    people = conn
    if followers is not None:
        fol = followers.with_columns(pl.lit(True).alias("is_follower"))
        people = people.join(fol, on="person_key", how="full", coalesce=True, suffix="_f")
        people = people.with_columns(
            pl.coalesce("full_name", "full_name_f").alias("full_name"),
            pl.col("is_follower").fill_null(False),
        ).drop("full_name_f")
    else:
        people = people.with_columns(
            pl.lit(None, pl.String).alias("headline"), pl.lit(None, pl.Boolean).alias("is_follower")
        )
    if archive.invitations is not None and not archive.invitations.is_empty():
        # Invitations without URLs (before 2024) name no company: link them by name alone.
        known = people.select("person_key", "full_name", "company")
        inv = link_weak_keys(archive.invitations, known, match_company=False)
        inv = inv.unique("person_key", keep="first")
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
    if archive.self_key is not None:
        people = people.filter(pl.col("person_key") != archive.self_key)

    if archive.partners is not None:
        people = people.join(archive.partners, on="person_key", how="left")
        start = archive.observed_on - dt.timedelta(days=ACTIVE_WINDOW_DAYS)
        active = pl.col("is_connection") & (pl.col("last_conversation_on") > start)
        people = people.with_columns(active.fill_null(False).alias("active_90d"))
    else:
        people = people.with_columns(
            pl.lit(None, pl.Boolean).alias("active_90d"),
            pl.lit(None, pl.Date).alias("last_conversation_on"),
        )

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
    weak = pl.col("person_key").str.starts_with(WEAK_KEY_PREFIX)
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
