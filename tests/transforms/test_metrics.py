"""The metric definitions of docs/metrics.md on small relationship snapshots, the carrying of
archives and follower lists between snapshots, and the identities between the metrics on
random snapshots."""

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.transforms.builders import (
    SELF,
    Observed,
    connections,
    facts_of,
    followers,
    invitations,
    messages,
    observe,
    url,
)
from transforms import metrics
from transforms.classify import SNAPSHOT_SCHEMA
from transforms.relevance import IdealCustomerProfile, score_relevance

DAY = dt.date(2026, 11, 20)
OLD = dt.date(2024, 3, 1)
PENDING = {"person_key": pl.String, "invitation_sent_at": pl.Datetime("us")}
ICP = IdealCustomerProfile.from_mapping(
    {
        "include_titles": ["founder", "ceo"],
        "exclude_titles": ["recruiter", "intern"],
        "include_companies": ["Acme, Inc."],
        "weights": {"cto": 0.4, "head of sales": 0.9},
        "threshold": 0.5,
    }
)


def facts(**overrides) -> metrics.SnapshotFacts:
    values = {
        "account": "me",
        "snapshot_date": DAY,
        "connections_observed_on": DAY,
        "followers_observed_on": DAY,
        "unidentified_connections": 0,
        "has_invitations": True,
        "has_messages": True,
    }
    return metrics.SnapshotFacts(**(values | overrides))


def scored(observed: Observed) -> pl.DataFrame:
    return score_relevance(observed.people, ICP)


def snapshot(conn, fol=None, inv=None, msg=None, day=DAY) -> pl.DataFrame:
    return scored(observe(conn, fol, inv, msg, day=day))


def no_pending() -> pl.DataFrame:
    return pl.DataFrame(schema=PENDING)


def score_of(position: str | None, company: str | None = "Example Corp") -> float:
    conn = connections(("x", "X", "Y", company, position, OLD))
    return snapshot(conn)["relevance_score"][0]


# ---- relevance ------------------------------------------------------------------------------


def test_keywords_match_whole_words_only_in_any_case():
    assert score_of("Co-Founder & CEO") == 1.0
    assert score_of("FOUNDER") == 1.0
    assert score_of("Founders Associate") == 0.0
    assert score_of("Director") == 0.0  # contains "cto" inside a word


def test_an_excluded_keyword_makes_the_score_zero():
    assert score_of("Founder | Recruiter") == 0.0
    assert score_of("Internal Tools Founder") == 1.0  # "intern" is not the word "internal"


def test_the_largest_matched_weight_is_the_score_and_the_threshold_decides():
    scored = snapshot(
        connections(
            ("a", "A", "A", "X", "CTO", OLD),
            ("b", "B", "B", "X", "CTO and Head of Sales", OLD),
        )
    )
    assert scored.select("relevance_score", "is_relevant").rows() == [(0.4, False), (0.9, True)]


def test_a_target_company_with_punctuation_matches_the_company_or_a_followers_headline():
    assert score_of("Software Engineer", company="Acme, Inc.") == 1.0
    assert score_of("Software Engineer", company="Acme Incorporated") == 0.0
    follower = snapshot(
        connections(("a", "A", "A", "X", "Engineer", OLD)),
        followers(url("f"), headline="Engineer at Acme, Inc."),
    )
    assert dict(follower.select("person_key", "relevance_score").iter_rows())["f"] == 1.0


# ---- reach ----------------------------------------------------------------------------------


def test_without_a_follower_list_every_follower_figure_is_null():
    current = snapshot(connections(("a", "A", "A", "X", "CEO", OLD)))
    row = metrics.reach(facts(followers_observed_on=None), current, None)
    nulls = ("followers", "mutual", "connection_only", "follower_only", "audience")
    assert {k: row[k] for k in nulls} == dict.fromkeys(nulls)
    assert row["followers_source"] is None and row["connections"] == 1


def test_the_analytics_total_stands_in_for_a_missing_list_but_classes_stay_null():
    current = snapshot(connections(("a", "A", "A", "X", "CEO", OLD)))
    row = metrics.reach(facts(followers_observed_on=None, analytics_followers=1234), current, None)
    assert (row["followers"], row["audience"], row["followers_source"]) == (1234, 1234, "analytics")
    assert row["mutual"] is None and row["follower_only"] is None


def test_growth_is_not_measured_between_a_list_and_the_analytics_workbook():
    conn = connections(("a", "A", "A", "X", "CEO", OLD))
    before = observe(conn, day=OLD)
    now = observe(conn, followers(url("a"), url("b")), day=DAY)
    old_facts = facts_of(before, day=OLD, analytics_followers=1)
    row = metrics.reach(facts_of(now, before, day=DAY), scored(now), old_facts)
    assert row["followers"] == 2 and row["follower_growth_rate"] is None
    assert row["new_followers"] is None and row["new_connections"] == 0


def test_changes_since_the_previous_snapshot():
    before = observe(
        connections(("a", "A", "A", "X", "CEO", OLD), ("b", "B", "B", "X", "CEO", OLD)),
        followers(url("a"), url("f"), url("g"), url("h")),
        day=OLD,
    )
    now = observe(
        connections(("a", "A", "A", "X", "CEO", OLD), ("c", "C", "C", "X", "CEO", DAY)),
        followers(url("a"), url("f"), url("i"), url("j"), url("k")),
        day=DAY,
    )
    row = metrics.reach(facts_of(now, before, day=DAY), scored(now), facts_of(before, day=OLD))
    assert (row["new_connections"], row["lost_connections"]) == (1, 1)
    assert (row["new_followers"], row["lost_followers"]) == (3, 2)
    assert row["follower_growth_rate"] == pytest.approx((5 - 4) / 4)


def test_a_carried_archive_changes_nothing_and_a_lost_one_is_unknown():
    archive = observe(connections(("a", "A", "A", "X", "CEO", OLD)), day=OLD)
    week = OLD + dt.timedelta(days=7)
    first = facts_of(archive, day=OLD, followers_observed_on=None)
    # A week later a follower list: the archive of OLD is carried, nobody new or lost.
    carried = facts_of(archive, day=week, connections_observed_on=OLD, followers_observed_on=week)
    row = metrics.reach(carried, scored(archive), first)
    assert (row["new_connections"], row["lost_connections"]) == (0, 0)
    assert (row["connections_observed_on"], row["followers_observed_on"]) == (OLD, week)
    assert row["new_followers"] is None  # the previous snapshot knew no followers
    # Two months later the archive is too old to carry: only follower figures are known.
    late = OLD + dt.timedelta(days=60)
    unknown = metrics.SnapshotFacts(
        "me", late, None, followers_observed_on=late, listed_followers=3, followers_change=(2, 1)
    )
    previous = facts(snapshot_date=week, connections_observed_on=OLD, followers_observed_on=week)
    row = metrics.reach(unknown, None, previous)
    assert (row["followers"], row["audience"], row["new_followers"]) == (3, 3, 2)
    assert row["connections"] is None and row["mutual"] is None
    assert row["new_connections"] is None and row["unidentified_connections"] is None
    capacity = metrics.messaging_capacity(unknown, None, no_pending())
    assert capacity["messageable"] is None and capacity["weeks_to_cap"] is None
    relevance = metrics.network_relevance(unknown, None)
    assert (relevance["followers"], relevance["connections"]) == (3, None)
    assert relevance["relevant_followers"] is None


def test_new_and_lost_people_count_keys_both_ways():
    now = pl.DataFrame({"person_key": ["a", "b", "c"]})
    before = pl.DataFrame({"person_key": ["b", "c", "d", "e"]})
    assert metrics.people_change(now, before) == (1, 2)


# ---- messaging capacity -----------------------------------------------------------------------


def big_network(count: int) -> pl.DataFrame:
    """A relationship snapshot of ``count`` connections, built directly (classifying 30,000
    raw rows would only slow the test down)."""
    return pl.DataFrame(
        {
            "person_key": [f"p{i}" for i in range(count)],
            "is_connection": [True] * count,
            "active_90d": [False] * count,
            "relationship": ["connection"] * count,
        }
    ).with_columns(
        pl.lit(None, SNAPSHOT_SCHEMA[c]).alias(c)
        for c in SNAPSHOT_SCHEMA
        if c not in ("person_key", "is_connection", "active_90d", "relationship")
    )


def test_an_account_above_the_cap_has_zero_headroom_and_zero_weeks_to_cap():
    row = metrics.messaging_capacity(
        facts(followers_observed_on=None), big_network(30_050), no_pending()
    )
    assert row["messageable"] == 30_050
    assert (row["connection_headroom"], row["weeks_to_cap"]) == (0, 0.0)


def test_weeks_to_cap_is_the_headroom_at_the_weekly_budget():
    row = metrics.messaging_capacity(
        facts(followers_observed_on=None), big_network(29_000), no_pending(), weekly_invitations=40
    )
    assert row["connection_headroom"] == 1_000
    assert (row["weeks_to_cap"], row["weekly_invitation_budget"]) == (25.0, 40)
    with pytest.raises(ValueError, match="LNW_WEEKLY_INVITATIONS"):
        metrics.messaging_capacity(facts(), big_network(3), no_pending(), weekly_invitations=0)


def test_drafts_sponsored_messages_and_group_bystanders_leave_connections_dormant():
    conn = connections(*[(s, s, s, "X", "CEO", OLD) for s in ("ann", "bob", "cat", "dan", "eve")])
    recent = DAY - dt.timedelta(days=10)
    msg = messages(
        (url("ann"), [SELF], recent, False, False),  # ann wrote: active
        (SELF, [url("bob")], recent, True, False),  # a draft to bob: not active
        (None, [SELF], recent, False, True),  # sponsored
        (url("cat"), [SELF, url("dan")], recent, False, False),  # cat active, dan bystander
        (SELF, [url("eve")], DAY - dt.timedelta(days=90), False, False),  # just outside
    )
    row = metrics.messaging_capacity(facts(), snapshot(conn, msg=msg), no_pending())
    assert (row["active_conversations_90d"], row["dormant_connections"]) == (2, 3)
    no_messages = metrics.messaging_capacity(
        facts(has_messages=False), snapshot(conn), no_pending()
    )
    assert no_messages["active_conversations_90d"] is None
    assert no_messages["dormant_connections"] is None


def test_acceptance_counts_earlier_pending_invitations_inside_the_current_file_window():
    conn = connections(("ann", "A", "A", "X", "CEO", OLD), ("bob", "B", "B", "X", "CEO", OLD))
    current = snapshot(conn)
    earlier = pl.DataFrame(
        {
            "person_key": ["ann", "bob", "cat", "dan"],
            "invitation_sent_at": [
                dt.datetime(2026, 3, 1),  # accepted, inside the window
                dt.datetime(2025, 1, 1),  # accepted, but older than the current file
                dt.datetime(2026, 4, 1),  # still not connected
                dt.datetime(2024, 12, 1),  # never accepted, older than the file
            ],
        },
        schema=PENDING,
    )
    since = dt.datetime(2026, 2, 1)
    assert metrics.invitation_acceptance(current, earlier, since) == (1, 2)
    assert metrics.invitation_acceptance(current, earlier, None) == (2, 4)
    row = metrics.messaging_capacity(facts(invitations_since=since), current, earlier)
    assert row["invitation_acceptance_rate"] == 0.5
    first = metrics.messaging_capacity(facts(invitations_since=since), current, no_pending())
    assert first["invitation_acceptance_rate"] is None


def test_pending_invitations_count_whatever_the_follow_status():
    conn = connections(("ann", "A", "A", "X", "CEO", OLD))
    inv = invitations(
        ("OUTGOING", "bob", dt.datetime(2026, 10, 1)),
        ("OUTGOING", "fol", dt.datetime(2026, 10, 2)),  # also follows: follower_only
        ("OUTGOING", "ann", dt.datetime(2026, 1, 2)),  # accepted
        ("INCOMING", "cat", dt.datetime(2026, 10, 3)),
    )
    current = snapshot(conn, followers(url("fol")), inv)
    row = metrics.messaging_capacity(facts(), current, no_pending())
    assert (row["pending_outbound"], row["pending_inbound"], row["inmail_only"]) == (2, 1, 1)
    none = metrics.messaging_capacity(facts(has_invitations=False), snapshot(conn), no_pending())
    assert none["pending_outbound"] is None and none["pending_inbound"] is None


# ---- network relevance ------------------------------------------------------------------------


def test_accepting_every_request_shows_as_a_falling_recent_relevance_rate():
    old = [(f"o{i}", "O", "O", "X", "Founder", OLD) for i in range(6)]
    before_day = DAY - dt.timedelta(days=120)
    earlier = [(f"e{i}", "E", "E", "X", "CEO", before_day - dt.timedelta(days=i)) for i in range(3)]
    accepted = [
        (f"a{i}", "A", "A", "X", "Student", DAY - dt.timedelta(days=i + 1)) for i in range(9)
    ] + [("a9", "A", "A", "X", "Founder", DAY - dt.timedelta(days=20))]
    then = metrics.network_relevance(
        facts(snapshot_date=before_day, connections_observed_on=before_day),
        snapshot(connections(*old, *earlier), day=before_day),
    )
    now = metrics.network_relevance(facts(), snapshot(connections(*old, *earlier, *accepted)))
    assert (then["recent_connections"], then["recent_relevance_rate"]) == (3, 1.0)
    assert (now["recent_connections"], now["recent_relevant_connections"]) == (10, 1)
    assert now["recent_relevance_rate"] == pytest.approx(0.1)
    assert now["relevance_rate"] == pytest.approx(10 / 19)


def test_follower_relevance_needs_a_follower_list():
    conn = connections(("a", "A", "A", "X", "CEO", OLD))
    listed = observe(conn, followers(url("a"), url("f"), headline="Founder"), day=DAY)
    row = metrics.network_relevance(facts_of(listed, day=DAY), scored(listed))
    assert (row["followers"], row["relevant_followers"], row["follower_relevance_rate"]) == (
        2,
        2,
        1.0,
    )
    unlisted = metrics.network_relevance(
        facts(followers_observed_on=None, analytics_followers=50), snapshot(conn)
    )
    assert unlisted["followers"] == 50
    assert unlisted["relevant_followers"] is None and unlisted["follower_relevance_rate"] is None


# ---- identities on random snapshots ------------------------------------------------------------

SLUGS = [f"p{i}" for i in range(24)]
TITLES = ["Founder", "CTO", "Student", "Head of Sales", "Founder | Recruiter", None]
days_before = st.integers(min_value=0, max_value=400)


@st.composite
def raw_snapshot(draw):
    people = draw(st.lists(st.sampled_from(SLUGS), unique=True, max_size=16))
    conn_rows = [
        (slug, slug, "X", "Acme, Inc.", draw(st.sampled_from(TITLES)), DAY - dt.timedelta(d))
        for slug, d in zip(people, draw(st.lists(days_before, min_size=len(people))), strict=False)
    ]
    conn_rows += [(None, None, None, None, None, OLD)] * draw(st.integers(0, 3))
    listed = draw(st.booleans())
    fol = None
    if listed:
        fol = followers(
            *[url(s) for s in draw(st.lists(st.sampled_from(SLUGS), max_size=20))],
            headline=draw(st.sampled_from(TITLES)),
        )
    inv_rows = [
        (
            draw(st.sampled_from(["OUTGOING", "INCOMING"])),
            slug,
            dt.datetime(2026, 1, 1) + dt.timedelta(hours=draw(st.integers(0, 7000))),
        )
        for slug in draw(st.lists(st.sampled_from(SLUGS), max_size=10))
    ]
    msg_rows = [
        (
            draw(st.sampled_from([SELF, *map(url, SLUGS)])),
            [url(s) for s in draw(st.lists(st.sampled_from(SLUGS), min_size=1, max_size=3))],
            DAY - dt.timedelta(days=draw(st.integers(0, 120))),
            draw(st.booleans()),
            draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 8)))
    ]
    conn = connections(*conn_rows)
    inv = invitations(*inv_rows) if inv_rows else None
    msg = messages(*msg_rows) if draw(st.booleans()) else None
    return observe(conn, fol, inv, msg, day=DAY), draw(st.none() | st.integers(0, 10_000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_snapshot(), raw_snapshot(), st.integers(1, 500))
def test_metric_identities_hold_on_random_snapshots(now, before, budget):
    (observed_now, total_now), (observed_before, total_before) = now, before
    facts_now = facts_of(
        observed_now,
        observed_before,
        day=DAY,
        analytics_followers=total_now,
        invitations_since=dt.datetime(2026, 3, 1),
    )
    facts_before = facts_of(observed_before, day=OLD, analytics_followers=total_before)
    current, previous = scored(observed_now), observed_before.people
    pending = previous.filter(pl.col("relationship") == "pending_outbound").select(
        "person_key", "invitation_sent_at"
    )
    reach = metrics.reach(facts_now, current, facts_before)
    capacity = metrics.messaging_capacity(facts_now, current, pending, weekly_invitations=budget)
    relevance = metrics.network_relevance(facts_now, current)
    connections_ = reach["connections"]

    if facts_now.has_follower_list:
        assert reach["mutual"] + reach["connection_only"] == connections_
        assert reach["mutual"] + reach["follower_only"] == reach["followers"]
        assert reach["followers_source"] == "list"
    else:
        assert reach["mutual"] is None and capacity["inmail_only"] is None
    assert reach["audience"] == reach["followers"] == relevance["followers"]
    assert capacity["messageable"] == connections_ == relevance["connections"]
    if facts_now.has_messages:
        active, dormant = capacity["active_conversations_90d"], capacity["dormant_connections"]
        assert active + dormant == connections_ and active >= 0
    assert capacity["connection_headroom"] == max(0, 30_000 - connections_)
    assert capacity["weeks_to_cap"] == capacity["connection_headroom"] / budget
    rates = [
        reach["follower_growth_rate"] is None or reach["follower_growth_rate"] >= -1,
        *(
            rate is None or 0 <= rate <= 1
            for rate in (
                capacity["invitation_acceptance_rate"],
                relevance["relevance_rate"],
                relevance["follower_relevance_rate"],
                relevance["recent_relevance_rate"],
            )
        ),
    ]
    assert all(rates)
    before_connections = int(previous["is_connection"].sum())
    assert reach["new_connections"] - reach["lost_connections"] == (
        connections_ - before_connections
    )
    if facts_now.has_follower_list and facts_before.has_follower_list:
        # The lists' own people: the member, should a list hold them, is not a follower.
        change = len(observed_now.followers) - len(observed_before.followers)
        assert reach["new_followers"] - reach["lost_followers"] == change
    assert relevance["recent_relevant_connections"] <= relevance["recent_connections"]
    assert relevance["recent_connections"] <= connections_


# ---- the worked example of docs/metrics.md ------------------------------------------------------


def test_the_worked_example_of_docs_metrics():
    example_icp = IdealCustomerProfile.from_mapping(
        {"include_titles": ["founder", "ceo"], "exclude_titles": ["recruiter"]}
    )
    before_day, day = dt.date(2026, 10, 23), dt.date(2026, 11, 20)
    blank = (None, None, None, None, None, dt.date(2024, 3, 12))

    def listed(**headlines) -> pl.DataFrame:
        return pl.concat([followers(url(slug), headline=h) for slug, h in headlines.items()])

    def classified(conn, fol, inv, msg, on) -> Observed:
        return observe(conn, fol, inv, msg, day=on)

    previous = classified(
        connections(
            *[(s, s, "X", "Y", "CEO", dt.date(2020, 1, 1)) for s in ("ann", "bob", "cat", "dan")],
            blank,
        ),
        listed(ann=None, bob=None, fay=None, gus=None),
        invitations(
            ("OUTGOING", "eve", dt.datetime(2026, 10, 1, 9)),
            ("OUTGOING", "ken", dt.datetime(2026, 10, 15, 9)),
            ("OUTGOING", "hal", dt.datetime(2025, 6, 1, 9)),
        ),
        None,
        before_day,
    )
    current = classified(
        connections(
            ("ann", "Ann", "A", "X", "Founder", dt.date(2019, 5, 1)),
            ("bob", "Bob", "B", "X", "CEO", dt.date(2021, 5, 1)),
            ("cat", "Cat", "C", "X", "Recruiter", dt.date(2022, 5, 1)),
            ("eve", "Eve", "E", "X", "Founder & CEO", dt.date(2026, 10, 20)),
            ("ivy", "Ivy", "I", "X", "Student", dt.date(2026, 11, 5)),
            blank,
        ),
        listed(
            ann=None,
            eve=None,
            fay="Founder at Example Corp",
            gus="Technical Recruiter",
            jo="CEO | Founder",
        ),
        invitations(
            ("INCOMING", "ivy", dt.datetime(2025, 12, 10, 9)),
            ("OUTGOING", "eve", dt.datetime(2026, 10, 1, 9)),
            ("OUTGOING", "ken", dt.datetime(2026, 10, 15, 9)),
            ("INCOMING", "jo", dt.datetime(2026, 11, 10, 9)),
        ),
        messages(
            (url("ann"), [SELF], dt.date(2026, 11, 1), False, False),
            (SELF, [url("bob")], dt.date(2026, 9, 15), False, False),
            (url("bob"), [SELF, url("cat")], dt.date(2026, 10, 2), False, False),
            (SELF, [url("ivy")], dt.date(2026, 11, 10), True, False),
        ),
        day,
    )
    now_facts = facts_of(current, previous, day=day, invitations_since=dt.datetime(2025, 12, 10, 9))
    earlier_pending = previous.people.filter(
        ~pl.col("is_connection") & (pl.col("invitation") == "outbound")
    ).select("person_key", "invitation_sent_at")
    people = score_relevance(current.people, example_icp)

    reach = metrics.reach(now_facts, people, facts_of(previous, day=before_day))
    assert reach == {
        "account": "me",
        "snapshot_date": day,
        "followers": 5,
        "connections": 5,
        "unidentified_connections": 1,
        "mutual": 2,
        "connection_only": 3,
        "follower_only": 3,
        "audience": 5,
        "new_followers": 2,
        "lost_followers": 1,
        "follower_growth_rate": 0.25,
        "new_connections": 2,
        "lost_connections": 1,
        "followers_source": "list",
        "connections_observed_on": day,
        "followers_observed_on": day,
    }
    capacity = metrics.messaging_capacity(now_facts, people, earlier_pending)
    assert capacity == {
        "account": "me",
        "snapshot_date": day,
        "messageable": 5,
        "inmail_only": 3,
        "connection_headroom": 29_995,
        "active_conversations_90d": 2,
        "dormant_connections": 3,
        "pending_outbound": 1,
        "pending_inbound": 1,
        "invitation_acceptance_rate": 0.5,
        "weekly_invitation_budget": 100,
        "weeks_to_cap": 299.95,
    }
    relevance = metrics.network_relevance(now_facts, people)
    assert relevance == {
        "account": "me",
        "snapshot_date": day,
        "connections": 5,
        "relevant_connections": 3,
        "relevance_rate": 0.6,
        "followers": 5,
        "relevant_followers": 4,
        "follower_relevance_rate": 0.8,
        "recent_connections": 2,
        "recent_relevant_connections": 1,
        "recent_relevance_rate": 0.5,
    }
    classes = dict(people.select("person_key", "relationship").iter_rows())
    assert (classes["jo"], classes["ken"], classes["bob"]) == (
        "follower_only",
        "pending_outbound",
        "connection_only",
    )
