import datetime as dt

import polars as pl

from tests.transforms.builders import (
    SELF,
    connections,
    followers,
    invitations,
    messages,
    observe,
    url,
)
from transforms.classify import (
    archive_people,
    classify_relationships,
    conversation_partners,
    count_unidentified,
    detect_self_key,
    follower_people,
)

DAY = dt.date(2026, 11, 20)
EARLIER = dt.date(2026, 1, 5)


def classify(conn, fol=None, inv=None, msg=None) -> dict[str, str]:
    people = observe(conn, fol, inv, msg, day=DAY).people
    return dict(people.select("person_key", "relationship").iter_rows())


def test_the_five_classes_first_match_wins():
    conn = connections(
        ("ann", "Ann", "A", "X", "CEO", EARLIER),
        ("bob", "Bob", "B", "X", "CTO", EARLIER),
    )
    fol = followers(url("ann"), "https://de.linkedin.com/in/Cat/?trk=x", url("dan"))
    inv = invitations(
        ("OUTGOING", "dan", dt.datetime(2026, 11, 1)),  # follows too: follower_only wins
        ("OUTGOING", "eve", dt.datetime(2026, 11, 2)),
        ("INCOMING", "fay", dt.datetime(2026, 11, 3)),
        ("OUTGOING", "bob", dt.datetime(2025, 12, 1)),  # accepted: stays connection_only
    )
    assert classify(conn, fol, inv) == {
        "ann": "mutual",
        "bob": "connection_only",
        "cat": "follower_only",
        "dan": "follower_only",
        "eve": "pending_outbound",
        "fay": "pending_inbound",
    }


def test_without_a_follower_list_follow_status_is_not_guessed():
    conn = connections(("ann", "Ann", "A", "X", "CEO", EARLIER))
    people = observe(conn, day=DAY).people
    assert people["relationship"].to_list() == ["connection"]
    assert people["is_follower"].to_list() == [None]


def test_blank_person_rows_are_unidentified_connections_only():
    conn = connections(
        ("ann", "Ann", "A", "X", "CEO", EARLIER),
        (None, None, None, None, None, dt.date(2024, 9, 14)),
        (None, None, None, None, None, dt.date(2024, 9, 15)),
    )
    assert classify(conn) == {"ann": "connection"}
    assert count_unidentified(conn) == 2


def test_a_connection_listed_twice_is_one_person():
    conn = connections(
        ("ann", "Ann", "A", "X", "CEO", EARLIER),
        ("ann", "Ann", "A", "X", "CEO", EARLIER),
    )
    assert len(classify(conn)) == 1


def test_rows_without_url_get_a_weak_name_and_company_key():
    conn = connections((None, "Ann ", " Lee", "Acme", "CEO", EARLIER))
    people = observe(conn, day=DAY).people
    assert people.select("person_key", "key_is_weak", "profile_url").row(0) == (
        "name:ann lee|acme",
        True,
        None,
    )


def test_the_member_is_never_their_own_follower():
    conn = connections(("ann", "Ann", "A", "X", "CEO", EARLIER))
    inv = invitations(("OUTGOING", "eve", dt.datetime(2026, 11, 2)))
    assert "me-self" not in classify(conn, followers(SELF, url("ann")), inv)


def active(msg, conn) -> set[str]:
    people = observe(conn, msg=msg, day=DAY).people
    return set(people.filter(pl.col("active_90d"))["person_key"].to_list())


def test_drafts_sponsored_and_old_messages_do_not_make_a_connection_active():
    conn = connections(*[(s, s, s, "X", "Y", EARLIER) for s in ("ann", "bob", "cat", "dan")])
    msg = messages(
        (url("ann"), [SELF], dt.date(2026, 11, 1), False, False),
        (SELF, [url("bob")], dt.date(2026, 11, 1), True, False),  # draft
        (None, [SELF], dt.date(2026, 11, 1), False, True),  # sponsored
        (url("cat"), [SELF], dt.date(2026, 8, 22), False, False),  # 90 days before: outside
        (url("dan"), [SELF], dt.date(2026, 8, 23), False, False),  # 89 days before: inside
    )
    assert active(msg, conn) == {"ann", "dan"}


def test_group_recipients_come_from_recipient_urls_and_bystanders_do_not_count():
    conn = connections(*[(s, s, s, "X", "Y", EARLIER) for s in ("ann", "bob", "cat", "dan")])
    msg = messages(
        # the member writes to a group: everyone in it is active
        (
            SELF,
            [url("ann"), "https://uk.linkedin.com/in/Bob/"],
            dt.date(2026, 11, 1),
            False,
            False,
        ),
        # someone else writes to a group the member is in: only the sender is active
        (url("cat"), [SELF, url("dan")], dt.date(2026, 11, 2), False, False),
    )
    assert active(msg, conn) == {"ann", "bob", "cat"}


def test_the_member_is_found_from_outgoing_invitations_or_messages():
    inv = invitations(("OUTGOING", "eve", dt.datetime(2026, 11, 2)))
    assert detect_self_key(inv, None) == "me-self"
    msg = messages((url("ann"), [SELF], DAY, False, False), (SELF, [url("bob")], DAY, False, False))
    assert detect_self_key(None, msg) == "me-self"


def test_without_the_members_key_people_who_wrote_still_count_as_partners():
    msg = messages((url("ann"), [url("someone")], dt.date(2026, 11, 1), False, False))
    partners = conversation_partners(msg, None, DAY)
    assert partners.rows() == [("ann", dt.date(2026, 11, 1))]


def test_the_last_conversation_is_the_latest_counted_message_up_to_the_archive_date():
    conn = connections(*[(s, s, s, "X", "Y", EARLIER) for s in ("ann", "bob", "cat")])
    msg = messages(
        (url("ann"), [SELF], dt.date(2025, 3, 1), False, False),
        (SELF, [url("ann")], dt.date(2026, 2, 1), False, False),
        (SELF, [url("ann")], dt.date(2026, 11, 5), True, False),  # a draft does not count
        (url("bob"), [SELF, url("cat")], dt.date(2026, 10, 1), False, False),
        (url("cat"), [SELF], dt.date(2026, 12, 1), False, False),  # after the archive's date
    )
    people = observe(conn, msg=msg, day=DAY).people
    last = dict(people.select("person_key", "last_conversation_on").iter_rows())
    assert last == {"ann": dt.date(2026, 2, 1), "bob": dt.date(2026, 10, 1), "cat": None}
    active = dict(people.select("person_key", "active_90d").iter_rows())
    assert active == {"ann": False, "bob": True, "cat": False}


def test_activity_is_as_of_the_archive_date_whatever_snapshot_carries_it():
    conn = connections(("ann", "Ann", "A", "X", "Y", EARLIER))
    msg = messages(
        (url("ann"), [SELF], dt.date(2026, 9, 1), False, False),
        (SELF, [url("ann")], dt.date(2026, 9, 2), False, False),
    )
    # The member is known from their outgoing invitation.
    inv = invitations(("OUTGOING", "eve", dt.datetime(2026, 8, 2)))
    archive = archive_people(conn, inv, msg, observed_on=dt.date(2026, 10, 1))
    later_list = follower_people(followers(url("ann")))
    people = classify_relationships(archive, later_list)
    ann = people.filter(pl.col("person_key") == "ann")
    assert ann.select("relationship", "active_90d").row(0) == ("mutual", True)


def test_messages_or_connections_without_urls_cannot_tell_active_conversations():
    from transforms.classify import conversations_are_attributable as attributable

    conn = connections(("ann", "Ann", "A", "X", "Y", EARLIER))
    old_conn = connections((None, "Ann", "A", "X", "Y", EARLIER))
    with_urls = messages((url("ann"), [SELF], DAY, False, False))
    assert attributable(conn, with_urls)
    assert not attributable(old_conn, with_urls)
    assert not attributable(conn, messages((url("ann"), [], DAY, False, False)))
    assert not attributable(conn, messages((None, [SELF], DAY, False, False)))
    assert attributable(conn, with_urls.clear())
    assert not attributable(conn, None)
