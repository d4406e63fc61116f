"""The lists of people and the team views (warehouse/sql/action_views.sql), the job-change
events and weeks_to_cap_at_acceptance, against known answers on exports written here: the
team of docs/metrics.md's second worked example.

Three accounts share people. `ana` has two archives (1 Oct and 1 Nov 2026) with follower lists
of the same days: between them Zoe left Acme, Inc. for Globex, Yan went from CEO to Founder &
CEO at Globex, Wes's company changed only in case and spacing, Vic connected. `ben` has one
archive without follower list, messages or invitations; `cleo` an archive and a list.
"""

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from inbox.home import Home
from tests.cli.test_readme_queries import readme_query
from tests.conftest import run_lnw

PROFILE = "https://www.linkedin.com/in/"
ICP = """
include_titles: [founder, ceo]
exclude_titles: [recruiter]
include_companies: ["Acme, Inc."]
threshold: 0.5
"""
OCT, NOV, CLEO_DAY = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 10, 25)
NOTES = 'Notes:\n"When exporting your connection data, you may notice ..."\n\n'


def url(slug: str) -> str:
    return PROFILE + slug


def connections_csv(rows: list[tuple[str, str, str, str, dt.date]]) -> str:
    lines = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    for slug, name, company, position, day in rows:
        first, last = name.split(" ", 1)
        lines.append(f'{first},{last},{url(slug)},,"{company}",{position},{day:%d %b %Y}')
    return NOTES + "\n".join(lines) + "\n"


def invitations_csv(me: str, rows: list[tuple[str, str, dt.datetime]]) -> str:
    lines = ["From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl"]
    for direction, slug, sent in rows:
        hour = sent.hour % 12 or 12
        when = f'"{sent.month}/{sent.day}/{sent:%y}, {hour}:{sent:%M %p}"'
        name = slug.replace("-", " ").title()
        if direction == "OUTGOING":
            lines.append(f"Me,{name},{when},,OUTGOING,{url(me)},{url(slug)}")
        else:
            lines.append(f"{name},Me,{when},,INCOMING,{url(slug)},{url(me)}")
    return "\n".join(lines) + "\n"


def messages_csv(me: str, rows: list[tuple[str, str, dt.datetime]]) -> str:
    """(slug, 'from' or 'to' the member, when) per message."""
    lines = [
        "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,"
        "DATE,SUBJECT,CONTENT,FOLDER,IS MESSAGE DRAFT,IS CONVERSATION DRAFT"
    ]
    for number, (slug, direction, when) in enumerate(rows):
        name = slug.replace("-", " ").title()
        sender, sender_url, to, to_url = (
            (name, url(slug), "Me", url(me))
            if direction == "from"
            else ("Me", url(me), name, url(slug))
        )
        stamp = f"{when:%Y-%m-%d %H:%M:%S} UTC"
        lines.append(f"c{number},,{sender},{sender_url},{to},{to_url},{stamp},,hello,INBOX,No,No")
    return "\n".join(lines) + "\n"


def followers_csv(rows: list[tuple[str, str, str]]) -> str:
    lines = ["Profile URL,Full Name,Headline"]
    lines += [f'{url(slug)},{name},"{headline}"' for slug, name, headline in rows]
    return "\n".join(lines) + "\n"


def archive(inbox: Path, account: str, day: dt.date, **files: str) -> None:
    folder = inbox / account / f"Basic_LinkedInDataExport_{day:%m-%d-%Y}"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)


def follower_list(inbox: Path, account: str, day: dt.date, rows) -> None:
    (inbox / account / f"followers_{day.isoformat()}.csv").write_text(followers_csv(rows))


def write_team(inbox: Path) -> None:
    ana = "ana-member"
    zoe_oct = ("zoe-person", "Zoe Person", "Acme, Inc.", "Founder", dt.date(2024, 3, 15))
    yan_oct = ("yan-person", "Yan Person", "Globex", "CEO", dt.date(2025, 1, 2))
    xia = ("xia-person", "Xia Person", "Initech", "Engineer", dt.date(2025, 1, 10))
    wes_oct = ("wes-person", "Wes Person", "Globex ", "Recruiter", dt.date(2026, 9, 20))
    zoe_nov = (*zoe_oct[:2], "Globex", "Founder", zoe_oct[4])
    yan_nov = (*yan_oct[:3], "Founder & CEO", yan_oct[4])
    wes_nov = (*wes_oct[:2], "globex", "Recruiter", wes_oct[4])
    vic = ("vic-person", "Vic Person", "Hooli", "CEO", dt.date(2026, 10, 20))
    old_talk = [("zoe-person", "from", dt.datetime(2026, 6, 1, 10, 0))]
    archive(
        inbox, "ana", OCT,
        Connections=connections_csv([zoe_oct, yan_oct, xia, wes_oct]),
        Invitations=invitations_csv(ana, [
            ("OUTGOING", "uma-person", dt.datetime(2026, 10, 1, 9, 0)),
            ("OUTGOING", "vic-person", dt.datetime(2026, 9, 20, 9, 0)),  # accepted by November
        ]),
        messages=messages_csv(ana, old_talk),
    )  # fmt: skip
    archive(
        inbox, "ana", NOV,
        Connections=connections_csv([zoe_nov, yan_nov, xia, wes_nov, vic]),
        Invitations=invitations_csv(ana, [
            ("OUTGOING", "uma-person", dt.datetime(2026, 10, 1, 9, 0)),   # 31 days: stale
            ("OUTGOING", "tom-person", dt.datetime(2026, 10, 11, 9, 0)),  # 21 days: stale
            ("OUTGOING", "ott-person", dt.datetime(2026, 10, 25, 9, 0)),  # 7 days: not yet
            ("INCOMING", "sam-person", dt.datetime(2026, 10, 20, 9, 0)),
            ("INCOMING", "old-person", dt.datetime(2026, 9, 1, 9, 0)),  # the file's first day
        ]),
        messages=messages_csv(
            ana, [*old_talk, ("vic-person", "to", dt.datetime(2026, 10, 25, 11, 0))]
        ),
    )  # fmt: skip
    follower_list(
        inbox, "ana", OCT,
        [("zoe-person", "Zoe Person", "Founder at Acme, Inc."),
         ("yan-person", "Yan Person", "CEO at Globex"),
         ("rae-person", "Rae Person", "CEO at Acme, Inc.")],
    )  # fmt: skip
    follower_list(
        inbox, "ana", NOV,
        [("zoe-person", "Zoe Person", "Founder at Globex"),
         ("vic-person", "Vic Person", "Chief Executive at Hooli"),
         ("rae-person", "Rae Person", "CEO at Acme, Inc."),
         ("tom-person", "Tom Person", "Founder"),
         ("sam-person", "Sam Person", "Founder at Umbrella"),
         ("pat-person", "Pat Person", "Student")],
    )  # fmt: skip
    archive(
        inbox, "ben", NOV,
        Connections=connections_csv([
            ("zoe-person", "Zoe Q. Person", "Globex", "Founder", dt.date(2023, 5, 5)),
            ("vic-person", "Vic Person", "Hooli", "CEO", dt.date(2026, 10, 21)),
            ("qin-person", "Qin Person", "Initech", "Manager", dt.date(2022, 2, 2)),
        ]),
    )  # fmt: skip
    archive(
        inbox, "cleo", CLEO_DAY,
        Connections=connections_csv([
            ("qin-person", "Qin Person", "acme", "Lead Engineer", dt.date(2022, 2, 3)),
            ("kai-person", "Kai Person", "ACME", "VP Sales", dt.date(2026, 8, 1)),
        ]),
        Invitations=invitations_csv("cleo-member", [
            ("OUTGOING", "lou-person", dt.datetime(2026, 10, 20, 9, 0)),
        ]),
    )  # fmt: skip
    follower_list(
        inbox, "cleo", CLEO_DAY,
        [("zoe-person", "Zoe Person", "Founder at Globex"),
         ("rae-person", "Rae Person", "CEO at Acme, Inc."),
         ("kai-person", "Kai Person", "VP Sales at ACME")],
    )  # fmt: skip


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("team-home")).ensure()
    home.icp.write_text(ICP)
    write_team(home.inbox)
    assert run_lnw(home, "run") == 0
    return home


def rows(home: Home, sql: str) -> list[dict]:
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def slug(profile_url: str) -> str:
    return profile_url.removeprefix(PROFILE).removesuffix("-person")


def test_network_growth_is_todays_network_by_month_back_to_the_first_connection(team):
    growth = rows(
        team, "SELECT * FROM analytics.network_growth WHERE account = 'ana' ORDER BY month"
    )
    assert len(growth) == 33  # March 2024 to November 2026, months with none included
    assert growth[0] == {
        "account": "ana", "month": dt.date(2024, 3, 1), "connections_added": 1,
        "connections_total": 1,
    }  # fmt: skip
    by_month = {r["month"]: (r["connections_added"], r["connections_total"]) for r in growth}
    assert by_month[dt.date(2024, 4, 1)] == (0, 1)
    assert by_month[dt.date(2025, 1, 1)] == (2, 3)
    assert by_month[dt.date(2026, 9, 1)] == (1, 4)
    assert by_month[dt.date(2026, 10, 1)] == (1, 5)
    assert by_month[dt.date(2026, 11, 1)] == (0, 5)
    assert [r["month"] for r in growth] == sorted(by_month)
    ben = rows(team, "SELECT * FROM analytics.network_growth WHERE account = 'ben' ORDER BY month")
    assert (ben[0]["month"], ben[-1]["month"], ben[-1]["connections_total"]) == (
        dt.date(2022, 2, 1), dt.date(2026, 11, 1), 3
    )  # fmt: skip


def test_reengage_lists_relevant_connections_without_a_conversation_in_90_days(team):
    found = rows(team, "SELECT * FROM analytics.reengage ORDER BY account, person_key")
    # Vic is active (a message on 25 Oct); Xia and Wes are not relevant; Ben's archive has
    # no messages.csv, so nothing is known there; Cleo has no relevant connection.
    assert found == [
        {"account": "ana", "person_key": "yan-person", "full_name": "Yan Person",
         "profile_url": url("yan-person"), "company": "Globex", "position": "Founder & CEO",
         "relevance_score": 1.0, "connected_on": dt.date(2025, 1, 2),
         "last_conversation_on": None},
        {"account": "ana", "person_key": "zoe-person", "full_name": "Zoe Person",
         "profile_url": url("zoe-person"), "company": "Globex", "position": "Founder",
         "relevance_score": 1.0, "connected_on": dt.date(2024, 3, 15),
         "last_conversation_on": dt.date(2026, 6, 1)},
    ]  # fmt: skip


def test_stale_invitations_are_those_pending_at_least_the_threshold(team):
    found = rows(team, "SELECT * FROM analytics.stale_invitations ORDER BY days_pending DESC")
    shown = [(r["account"], slug(r["profile_url"]), r["sent_on"], r["days_pending"]) for r in found]
    assert shown == [
        ("ana", "uma", dt.date(2026, 10, 1), 31),
        ("ana", "tom", dt.date(2026, 10, 11), 21),  # exactly the threshold; tom follows ana
    ]  # fmt: skip


def test_invite_candidates_are_relevant_followers_without_an_invitation(team):
    found = rows(team, "SELECT * FROM analytics.invite_candidates ORDER BY account, person_key")
    # Tom (ana invited him) and Sam (invited ana) are relevant followers with an invitation;
    # Pat is not relevant. Cleo's Rae and Zoe follow her: Rae is relevant, Zoe too.
    assert [(r["account"], slug(r["profile_url"]), r["headline"]) for r in found] == [
        ("ana", "rae", "CEO at Acme, Inc."),
        ("cleo", "rae", "CEO at Acme, Inc."),
        ("cleo", "zoe", "Founder at Globex"),
    ]
    assert {r["relevance_score"] for r in found} == {1.0}


def test_network_composition_by_company_and_seniority(team):
    found = rows(
        team,
        "SELECT account, dimension, value, connections, relevant_connections, followers "
        "FROM analytics.network_composition ORDER BY ALL",
    )
    table = {(r["account"], r["dimension"], r["value"]): r for r in found}

    def figures(account, dimension, value):
        r = table[(account, dimension, value)]
        return r["connections"], r["relevant_connections"], r["followers"]

    ana_companies = {v for a, d, v in table if a == "ana" and d == "company"}
    assert ana_companies == {"Globex", "Initech", "Hooli"}
    assert figures("ana", "company", "Globex") == (3, 2, None)  # "Globex" twice, "globex" once
    assert figures("ana", "company", "Hooli") == (1, 1, None)
    # A tie between "acme" and "ACME": the first in code-point order.
    assert figures("cleo", "company", "ACME") == (2, 0, None)
    ana_seniority = {
        v: figures("ana", "seniority", v) for a, d, v in table if a == "ana" and d == "seniority"
    }
    assert ana_seniority == {
        "founder": (2, 2, 3),  # Zoe, Yan by position; Zoe, Tom, Sam by headline
        "c-level": (1, 1, 2),  # Vic; Vic ("Chief Executive"), Rae
        "other": (2, 0, 0),  # Xia (Engineer), Wes (Recruiter)
        "student": (0, 0, 1),  # Pat follows
    }  # fmt: skip
    # No follower list at Ben's snapshot: followers unknown. "Manager" is a manager.
    assert figures("ben", "seniority", "manager") == (1, 0, None)
    assert figures("cleo", "seniority", "manager") == (1, 0, 0)  # "Lead Engineer"
    assert figures("cleo", "seniority", "vp") == (1, 0, 1)


def test_target_company_contacts_include_who_left(team):
    found = rows(
        team, "SELECT * FROM analytics.target_company_contacts ORDER BY account, person_key"
    )
    assert found == [
        {"account": "ana", "target_company": "Acme, Inc.", "person_key": "rae-person",
         "full_name": "Rae Person", "profile_url": url("rae-person"),
         "relationship": "follower_only", "current_company": None,
         "current_position": "CEO at Acme, Inc.", "left_on": None},
        {"account": "ana", "target_company": "Acme, Inc.", "person_key": "zoe-person",
         "full_name": "Zoe Person", "profile_url": url("zoe-person"), "relationship": "mutual",
         "current_company": "Globex", "current_position": "Founder", "left_on": NOV},
        {"account": "cleo", "target_company": "Acme, Inc.", "person_key": "rae-person",
         "full_name": "Rae Person", "profile_url": url("rae-person"),
         "relationship": "follower_only", "current_company": None,
         "current_position": "CEO at Acme, Inc.", "left_on": None},
    ]  # fmt: skip


def test_job_changes_between_snapshots_are_events(team):
    found = rows(
        team,
        "SELECT person_key, event, event_date, previous_snapshot_date, relationship_before, "
        "relationship_after FROM analytics.relationship_events "
        "WHERE event LIKE 'changed %' ORDER BY person_key",
    )
    # Wes's "Globex " became "globex": the same company, no event.
    assert found == [
        {"person_key": "yan-person", "event": "changed position", "event_date": NOV,
         "previous_snapshot_date": OCT, "relationship_before": "mutual",
         "relationship_after": "connection_only"},
        {"person_key": "zoe-person", "event": "changed company", "event_date": NOV,
         "previous_snapshot_date": OCT, "relationship_before": "mutual",
         "relationship_after": "mutual"},
    ]  # fmt: skip


def test_team_overlap_lists_people_of_two_or_more_accounts(team):
    found = rows(team, "SELECT * FROM analytics.team_overlap ORDER BY person_key")
    columns = ("person_key", "full_name", "accounts", "connected_accounts", "following_accounts")
    shown = [tuple(r[c] for c in columns) for r in found]
    assert shown == [
        ("qin-person", "Qin Person", ["ben", "cleo"], 2, 0),
        ("rae-person", "Rae Person", ["ana", "cleo"], 0, 2),
        ("vic-person", "Vic Person", ["ana", "ben"], 2, 1),
        ("zoe-person", "Zoe Person", ["ana", "ben", "cleo"], 2, 2),  # the name as ana has it
    ]  # fmt: skip


def test_team_reach_counts_each_person_once(team):
    assert rows(team, "SELECT * FROM analytics.team_reach") == [
        {"accounts": 3, "followers_sum": 9, "unique_followers": 7, "connections_sum": 10,
         "unique_connections": 7, "unique_people": 11}
    ]  # fmt: skip


def test_weeks_to_cap_at_acceptance_divides_by_the_accepted_share(team):
    found = rows(
        team,
        "SELECT account, snapshot_date, connection_headroom, invitation_acceptance_rate, "
        "weeks_to_cap, weeks_to_cap_at_acceptance FROM analytics.messaging_capacity "
        "ORDER BY account, snapshot_date",
    )
    by_key = {(r["account"], r["snapshot_date"]): r for r in found}
    # Ana's November archive judges Uma and Vic, pending in October: Vic accepted.
    assert by_key["ana", NOV] == {
        "account": "ana", "snapshot_date": NOV, "connection_headroom": 29_995,
        "invitation_acceptance_rate": 0.5, "weeks_to_cap": pytest.approx(299.95),
        "weeks_to_cap_at_acceptance": pytest.approx(599.9),
    }  # fmt: skip
    assert by_key["ana", OCT]["weeks_to_cap_at_acceptance"] is None  # no rate: no earlier snapshot
    comparison = rows(
        team, "SELECT account, weeks_to_cap_at_acceptance FROM analytics.account_comparison"
    )
    assert {r["account"]: r["weeks_to_cap_at_acceptance"] for r in comparison} == {
        "ana": pytest.approx(599.9), "ben": None, "cleo": None
    }  # fmt: skip


def test_every_view_check_passes(team):
    con = duckdb.connect(str(team.warehouse), read_only=True)
    try:
        from quality.view_rules import VIEW_RULES

        for view, rules in VIEW_RULES.items():
            for rule, sql in rules.items():
                assert con.execute(sql).fetchall()[0][0] == 0, (view, rule)
    finally:
        con.close()


def test_the_stale_threshold_is_a_setting(team, monkeypatch, capsys):
    monkeypatch.setenv("LNW_STALE_INVITATION_DAYS", "30")
    assert run_lnw(team, "run") == 0
    found = rows(team, "SELECT person_key FROM analytics.stale_invitations")
    assert found == [{"person_key": "uma-person"}]
    monkeypatch.setenv("LNW_STALE_INVITATION_DAYS", "soon")
    capsys.readouterr()
    assert run_lnw(team, "run") == 1
    err = capsys.readouterr().err
    assert "LNW_STALE_INVITATION_DAYS='soon' is not valid: expected a whole number of days" in err
    assert "Traceback" not in err
    monkeypatch.delenv("LNW_STALE_INVITATION_DAYS")
    assert run_lnw(team, "run") == 0
    assert len(rows(team, "SELECT * FROM analytics.stale_invitations")) == 2


# ---- the README's examples, run as `lnw sql` on the team ------------------------------------


def answer(home: Home, question: str, capsys) -> list[dict]:
    capsys.readouterr()
    assert run_lnw(home, "sql", "--format", "json", readme_query(question)) == 0
    return json.loads(capsys.readouterr().out)


def test_readme_whom_to_write_to_again(team, capsys):
    found = answer(team, "whom should I write to again?", capsys)
    assert [(r["account"], r["full_name"], r["last_conversation_on"]) for r in found] == [
        ("ana", "Yan Person", None),  # never: first among the equally relevant
        ("ana", "Zoe Person", "2026-06-01"),
    ]


def test_readme_which_invitations_to_withdraw(team, capsys):
    found = answer(team, "which invitations should I withdraw?", capsys)
    assert [(r["full_name"], r["days_pending"]) for r in found] == [
        ("Uma Person", 31), ("Tom Person", 21)
    ]  # fmt: skip


def test_readme_whom_to_invite(team, capsys):
    found = answer(team, "whom should I invite?", capsys)
    assert [(r["account"], r["full_name"]) for r in found] == [
        ("ana", "Rae Person"), ("cleo", "Rae Person"), ("cleo", "Zoe Person")
    ]  # fmt: skip


def test_readme_who_changed_jobs(team, capsys):
    found = answer(team, "who changed jobs since the previous snapshot?", capsys)
    assert [(r["full_name"], r["event"], r["company"], r["position"]) for r in found] == [
        ("Yan Person", "changed position", "Globex", "Founder & CEO"),
        ("Zoe Person", "changed company", "Globex", "Founder"),
    ]


def test_readme_who_knows_someone_at_a_target_company(team, capsys):
    question = "who on the team knows someone at a target company, and who worked there before?"
    found = answer(team, question, capsys)
    assert [(r["account"], r["full_name"], r["left_on"]) for r in found] == [
        ("ana", "Rae Person", None), ("cleo", "Rae Person", None),
        ("ana", "Zoe Person", "2026-11-01"),
    ]  # fmt: skip


def test_readme_how_many_people_the_team_reaches(team, capsys):
    found = answer(team, "how many people does the team reach, counted once?", capsys)
    assert found == [
        {"accounts": 3, "followers_sum": 9, "unique_followers": 7, "connections_sum": 10,
         "unique_connections": 7}
    ]  # fmt: skip
