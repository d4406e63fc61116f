"""Small raw frames for the transform tests, in the shapes the parsers produce."""

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms.classify import (
    ArchivePeople,
    archive_people,
    classify_relationships,
    follower_people,
)
from transforms.connections import RAW_SCHEMA as CONNECTIONS
from transforms.followers import RAW_SCHEMA as FOLLOWERS
from transforms.invitations import RAW_SCHEMA as INVITATIONS
from transforms.messages import RAW_SCHEMA as MESSAGES
from transforms.metrics import SnapshotFacts, people_change

SELF = "https://www.linkedin.com/in/me-self"


def url(slug: str) -> str:
    return f"https://www.linkedin.com/in/{slug}"


def connections(*rows: tuple) -> pl.DataFrame:
    """rows: (slug or None, first, last, company, position, connected_on)"""
    data = [
        {
            "row_number": n,
            "first_name": first,
            "last_name": last,
            "profile_url": url(slug) if slug else None,
            "email_hash": None,
            "company": company,
            "position": position,
            "connected_on": connected,
        }
        for n, (slug, first, last, company, position, connected) in enumerate(rows, 1)
    ]
    return pl.DataFrame(data, schema=CONNECTIONS)


def followers(*urls: str, headline: str | None = None) -> pl.DataFrame:
    data = [
        {
            "row_number": n,
            "profile_url": u,
            "full_name": None,
            "headline": headline,
            "followed_at": None,
        }
        for n, u in enumerate(urls, 1)
    ]
    return pl.DataFrame(data, schema=FOLLOWERS)


def invitations(*rows: tuple) -> pl.DataFrame:
    """rows: (direction, counterpart slug, sent_at)"""
    data = []
    for n, (direction, slug, sent) in enumerate(rows, 1):
        outgoing = direction == "OUTGOING"
        data.append(
            {
                "row_number": n,
                "direction": direction,
                "sent_at": sent,
                "inviter_name": "Me Self" if outgoing else slug,
                "invitee_name": slug if outgoing else "Me Self",
                "inviter_url": SELF if outgoing else url(slug),
                "invitee_url": url(slug) if outgoing else SELF,
            }
        )
    return pl.DataFrame(data, schema=INVITATIONS)


def messages(*rows: tuple) -> pl.DataFrame:
    """rows: (sender url or None, [recipient urls], day, is_draft, is_sponsored)"""
    data = [
        {
            "row_number": n,
            "conversation_id": f"c{n}",
            "sender_url": sender,
            "recipient_urls": recipients,
            "sent_at": dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
            "is_draft": draft,
            "is_sponsored": sponsored,
        }
        for n, (sender, recipients, day, draft, sponsored) in enumerate(rows, 1)
    ]
    return pl.DataFrame(data, schema=MESSAGES)


@dataclass(frozen=True)
class Observed:
    """An archive (and a follower list of the same day) keyed and classified as a load does."""

    archive: ArchivePeople
    followers: pl.DataFrame | None
    people: pl.DataFrame


def observe(conn, fol=None, inv=None, msg=None, *, day: dt.date) -> Observed:
    archive = archive_people(conn, inv, msg, observed_on=day)
    listed = follower_people(fol) if fol is not None else None
    return Observed(archive, listed, classify_relationships(archive, listed))


def facts_of(
    now: Observed, before: Observed | None = None, *, day: dt.date, **overrides
) -> SnapshotFacts:
    """The facts a snapshot of ``now`` has, with the changes since ``before`` (the previous
    observation of each kind), as the load and the marts compute them."""
    listed = now.followers is not None
    values = {
        "account": "me",
        "snapshot_date": day,
        "connections_observed_on": day,
        "followers_observed_on": day if listed else None,
        "unidentified_connections": now.archive.unidentified,
        "has_invitations": now.archive.has_invitations,
        "has_messages": now.archive.has_messages,
        "listed_followers": int(now.people["is_follower"].sum()) if listed else None,
    }
    if before is not None:
        values["connections_change"] = people_change(
            now.archive.connections.select("person_key"),
            before.archive.connections.select("person_key"),
        )
        if listed and before.followers is not None:
            values["followers_change"] = people_change(now.followers, before.followers)
    return SnapshotFacts(**(values | overrides))
