"""Rules of the lists of people and the team views, on any snapshots: generated rows of the
classified snapshots and relevance, put in a real (in-memory) warehouse, read through the
views themselves."""

import datetime as dt

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse.database import migrate

DAY = dt.date(2026, 11, 1)
PEOPLE = [f"p{i}" for i in range(8)]


@st.composite
def person(draw, listed: bool, messages: bool):
    connected = draw(st.booleans())
    follows = listed and draw(st.booleans())
    invitation = None if connected else draw(st.sampled_from([None, "outbound", "inbound"]))
    if connected:
        relationship = ("mutual" if follows else "connection_only") if listed else "connection"
    elif follows:
        relationship = "follower_only"
    elif invitation:
        relationship = f"pending_{invitation}"
    else:
        return None
    return {
        "connected": connected,
        "relationship": relationship,
        "invitation": invitation,
        "sent": DAY - dt.timedelta(days=draw(st.integers(0, 60))),
        "active": draw(st.booleans()) if messages and connected else (False if messages else None),
        "relevant": draw(st.booleans()),
        "headline": draw(st.sampled_from([None, "Founder", "CEO at Acme", "Student"]))
        if follows
        else None,
    }


@st.composite
def account(draw):
    listed, messages, invitations = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    people = {key: draw(person(listed, messages)) for key in PEOPLE}
    return {
        "listed": listed,
        "messages": messages,
        "invitations": invitations,
        "people": {k: p for k, p in people.items() if p is not None},
    }


def warehouse(accounts: dict[str, dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    for name, a in accounts.items():
        con.execute(
            "INSERT INTO core.snapshots (account, snapshot_date, has_follower_list, "
            "has_invitations, has_messages, built_at, merged_at, marts_stale, "
            "connections_observed_on) VALUES (?, ?, ?, ?, ?, now(), now(), false, ?)",
            [name, DAY, a["listed"], a["invitations"], a["messages"], DAY],
        )
        for key, p in a["people"].items():
            con.execute(
                "INSERT INTO core.relationship_snapshots (account, snapshot_date, person_key, "
                "key_is_weak, full_name, position, headline, connected_on, is_connection, "
                "is_follower, invitation, invitation_sent_at, active_90d, relationship, "
                "attributes_hash) VALUES (?, ?, ?, false, ?, 'Founder', ?, ?, ?, ?, ?, ?, ?, ?, "
                "'h')",
                [
                    name, DAY, key, key, p["headline"],
                    DAY - dt.timedelta(days=400) if p["connected"] else None,
                    p["connected"],
                    p["relationship"] in ("mutual", "follower_only") if a["listed"] else None,
                    p["invitation"], p["sent"] if p["invitation"] else None, p["active"],
                    p["relationship"],
                ],
            )  # fmt: skip
            con.execute(
                "INSERT INTO marts.contact_relevance VALUES (?, ?, ?, ?, ?)",
                [name, DAY, key, 1.0 if p["relevant"] else 0.0, p["relevant"]],
            )
    return con


TEAMS = st.dictionaries(st.sampled_from(["ana", "ben", "cleo"]), account(), max_size=3)
# Each example migrates a warehouse of its own: the fast tier samples ten teams per rule, the
# full suite thirty.
EXAMPLES = [10, pytest.param(30, marks=pytest.mark.slow)]


def examples_of(count: int) -> settings:
    return settings(max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("examples", EXAMPLES)
def test_nobody_is_both_to_reengage_and_active(examples):
    @examples_of(examples)
    @given(TEAMS)
    def check(team):
        con = warehouse(team)
        listed = con.execute("SELECT account, person_key FROM analytics.reengage").fetchall()
        for account, key in listed:
            p = team[account]["people"][key]
            assert team[account]["messages"] and p["connected"] and p["relevant"]
            assert p["active"] is False
        expected = {
            (name, key)
            for name, a in team.items()
            if a["messages"]
            for key, p in a["people"].items()
            if p["connected"] and p["relevant"] and not p["active"]
        }
        assert set(listed) == expected

    check()


@pytest.mark.parametrize("examples", EXAMPLES)
def test_team_views_count_each_person_once(examples):
    @examples_of(examples)
    @given(TEAMS)
    def check(team):
        con = warehouse(team)
        following = {
            (name, key)
            for name, a in team.items()
            for key, p in a["people"].items()
            if p["relationship"] in ("mutual", "follower_only")
        }
        connected = {
            (name, key) for name, a in team.items() for key, p in a["people"].items()
            if p["connected"]
        }  # fmt: skip
        listed = any(a["listed"] for a in team.values())
        assert con.execute("SELECT * FROM analytics.team_reach").fetchall() == [
            (
                len(team),
                len(following) if listed else None,
                len({key for _, key in following}) if listed else None,
                len(connected),
                len({key for _, key in connected}),
                len({key for _, key in following | connected}),
            )
        ]
        related: dict[str, list[str]] = {}
        for name, key in sorted(following | connected):
            related.setdefault(key, []).append(name)
        expected = [
            (key, key, names, sum((n, key) in connected for n in names),
             sum((n, key) in following for n in names))
            for key, names in sorted(related.items())
            if len(names) >= 2
        ]  # fmt: skip
        assert (
            con.execute(
                "SELECT person_key, full_name, accounts, connected_accounts, following_accounts "
                "FROM analytics.team_overlap ORDER BY person_key"
            ).fetchall()
            == expected
        )

    check()


@pytest.mark.parametrize("examples", EXAMPLES)
def test_candidates_and_stale_invitations_keep_their_rules(examples):
    @examples_of(examples)
    @given(TEAMS)
    def check(team):
        con = warehouse(team)
        for account, key in con.execute(
            "SELECT account, person_key FROM analytics.invite_candidates"
        ).fetchall():
            p = team[account]["people"][key]
            assert (
                p["relationship"] == "follower_only" and p["relevant"] and p["invitation"] is None
            )
        for account, key, days in con.execute(
            "SELECT account, person_key, days_pending FROM analytics.stale_invitations"
        ).fetchall():
            p = team[account]["people"][key]
            assert p["invitation"] == "outbound" and not p["connected"] and days >= 21
        seniority = con.execute(
            "SELECT account, sum(connections) FROM analytics.network_composition "
            "WHERE dimension = 'seniority' GROUP BY account"
        ).fetchall()
        for account, connections in seniority:
            assert connections == sum(p["connected"] for p in team[account]["people"].values())

    check()
