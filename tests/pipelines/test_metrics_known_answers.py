"""Every column of analytics.reach, analytics.messaging_capacity, analytics.network_relevance and
analytics.account_comparison, for every snapshot, against answers computed here from what the
generator wrote (its SnapshotTruths, its Invitations.csv files) and a hand-written ICP scorer.

Accounts: `listed` has a follower list at both its snapshots; `gaps` lacks one at the middle
of its three; `acceptor` is written by hand: a member who accepted every pending request.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import SnapshotTruth, write_account_exports
from tests.conftest import run_lnw

DATES = [dt.date(2026, 3, 2), dt.date(2026, 6, 1), dt.date(2026, 8, 31)]
CAP, BUDGET = 30_000, 100

ICP_YAML = """
include_titles: [founder, ceo]
exclude_titles: [recruiter, intern]
include_companies: ["Acme, Inc."]
weights: {cto: 0.4, head of sales: 0.9}
threshold: 0.5
"""
OTHER_ICP_YAML = "include_titles: [engineer]\n"


def score(text: str | None, company: str | None) -> float:
    """ICP_YAML, evaluated by hand."""
    text = text or ""
    if re.search(r"\b(recruiter|intern)\b", text, re.IGNORECASE):
        return 0.0
    weights = {r"\bfounder\b": 1.0, r"\bceo\b": 1.0, r"\bhead of sales\b": 0.9, r"\bcto\b": 0.4}
    best = max((w for p, w in weights.items() if re.search(p, text, re.IGNORECASE)), default=0.0)
    if company and re.search(r"\bacme, inc\.", company, re.IGNORECASE):
        best = 1.0
    return best


def other_score(text: str | None, company: str | None) -> float:
    """OTHER_ICP_YAML, evaluated by hand."""
    return 1.0 if text and re.search(r"\bengineer\b", text, re.IGNORECASE) else 0.0


def person_score(truth: SnapshotTruth, key: str, scorer=score) -> float:
    # A contact's text: its position (Connections.csv), else its headline (follower list);
    # followers have no company, so their headline is searched for target companies.
    person = truth.people[key]
    text = person.position if person.position is not None else person.headline
    company = person.company if person.company is not None else person.headline
    return scorer(text, company)


def rate(numerator, denominator):
    return None if numerator is None or not denominator else numerator / denominator


# ---- what the generator wrote, read back by hand ------------------------------------------------


def invitation_rows(truth: SnapshotTruth) -> list[dict]:
    item = truth.files[0]
    if item.is_dir():
        data = (item / "Invitations.csv").read_bytes()
    else:
        with zipfile.ZipFile(item) as archive:
            data = archive.read("Invitations.csv")
    rows = []
    for row in csv.DictReader(io.StringIO(data.decode())):
        outgoing = row["Direction"] == "OUTGOING"
        other = row["inviteeProfileUrl"] if outgoing else row["inviterProfileUrl"]
        rows.append(
            {
                "outgoing": outgoing,
                "key": other.removeprefix("https://www.linkedin.com/in/"),
                "sent_at": dt.datetime.strptime(row["Sent At"], "%m/%d/%y, %I:%M %p"),
            }
        )
    return rows


def expected_acceptance(history: list[SnapshotTruth], invitations: dict) -> list:
    """Per snapshot: of the outbound invitations pending in earlier snapshots and sent since
    the oldest row of this snapshot's Invitations.csv, the share that are connections now."""
    rates = []
    for index, truth in enumerate(history):
        pending: dict[str, dt.datetime] = {}
        for earlier in history[:index]:
            for row in invitations[earlier.snapshot_date]:
                if row["outgoing"] and row["key"] in earlier.pending_outbound:
                    pending[row["key"]] = max(
                        row["sent_at"], pending.get(row["key"], row["sent_at"])
                    )
        since = min(row["sent_at"] for row in invitations[truth.snapshot_date])
        judged = {key for key, sent in pending.items() if sent >= since}
        accepted = judged & set(truth.connections)
        rates.append(rate(len(accepted), len(judged)))
    return rates


def expected_rows(history: list[SnapshotTruth], invitations: dict, scorer=score) -> dict:
    """(view, account, snapshot_date) -> the row every column of the view should hold."""
    rows = {}
    acceptance = expected_acceptance(history, invitations)
    for index, truth in enumerate(history):
        before = history[index - 1] if index else None
        connected = set(truth.connections)
        fol = truth.followers
        followers = len(fol) if fol is not None else None
        listed_before = before is not None and before.followers is not None
        changes = fol is not None and listed_before
        key = (truth.account, truth.snapshot_date)
        rows["reach", *key] = {
            "followers": followers,
            "connections": len(connected),
            "unidentified_connections": truth.unidentified_connections,
            "mutual": len(connected & fol) if fol is not None else None,
            "connection_only": len(connected - fol) if fol is not None else None,
            "follower_only": len(fol - connected) if fol is not None else None,
            "audience": followers,
            "new_followers": len(fol - before.followers) if changes else None,
            "lost_followers": len(before.followers - fol) if changes else None,
            "follower_growth_rate": (
                (len(fol) - len(before.followers)) / len(before.followers) if changes else None
            ),
            "new_connections": len(connected - set(before.connections)) if before else None,
            "lost_connections": len(set(before.connections) - connected) if before else None,
            "followers_source": "list" if fol is not None else None,
            # Every archive and list of these accounts is of its snapshot's own date.
            "connections_observed_on": truth.snapshot_date,
            "followers_observed_on": truth.snapshot_date if fol is not None else None,
        }
        headroom = max(0, CAP - len(connected))
        rows["messaging_capacity", *key] = {
            "messageable": len(connected),
            "inmail_only": len(fol - connected) if fol is not None else None,
            "connection_headroom": headroom,
            "active_conversations_90d": len(truth.active_90d),
            "dormant_connections": len(connected) - len(truth.active_90d),
            "pending_outbound": len(truth.pending_outbound),
            "pending_inbound": len(truth.pending_inbound),
            "invitation_acceptance_rate": acceptance[index],
            "weeks_to_cap": headroom / BUDGET,
            "weekly_invitation_budget": BUDGET,
            "weeks_to_cap_at_acceptance": (
                headroom / (BUDGET * acceptance[index]) if acceptance[index] else None
            ),
        }
        relevant = {k for k in truth.people if person_score(truth, k, scorer) >= 0.5}
        start = truth.snapshot_date - dt.timedelta(days=90)
        recent = {k for k, day in truth.connections.items() if start < day <= truth.snapshot_date}
        relevant_followers = len(fol & relevant) if fol is not None else None
        rows["network_relevance", *key] = {
            "connections": len(connected),
            "relevant_connections": len(connected & relevant),
            "relevance_rate": rate(len(connected & relevant), len(connected)),
            "followers": followers,
            "relevant_followers": relevant_followers,
            "follower_relevance_rate": rate(relevant_followers, followers),
            "recent_connections": len(recent),
            "recent_relevance_rate": rate(len(recent & relevant), len(recent)),
            "recent_relevant_connections": len(recent & relevant),
        }
    return rows


# ---- the hand-written account: every pending request accepted ------------------------------

ME = "https://www.linkedin.com/in/maria-acceptor"
NOTES = 'Notes:\n"When exporting your connection data, you may notice ..."\n\n'


def connections_csv(rows: list[tuple[str, str, dt.date]]) -> str:
    lines = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    for slug, position, day in rows:
        url = f"https://www.linkedin.com/in/{slug}"
        lines.append(f"{slug.title()},Person,{url},,Example Corp,{position},{day:%d %b %Y}")
    lines.append(",,,,,,14 Sep 2024")  # a deactivated member
    return NOTES + "\n".join(lines)


def invitations_csv(rows: list[tuple[str, str, dt.datetime]]) -> str:
    header = "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl"
    lines = [header]
    for direction, slug, sent in rows:
        other = f"https://www.linkedin.com/in/{slug}"
        hour = sent.hour % 12 or 12
        when = f'"{sent.month}/{sent.day}/{sent:%y}, {hour}:{sent:%M %p}"'
        if direction == "OUTGOING":
            lines.append(f"Maria Acceptor,{slug},{when},,OUTGOING,{ME},{other}")
        else:
            lines.append(f"{slug},Maria Acceptor,{when},,INCOMING,{other},{ME}")
    return "\n".join(lines) + "\n"


def write_acceptor(inbox: Path) -> None:
    """June: 6 old Founder connections, 4 of the last 90 days (3 CEOs, a student), 10 requests
    waiting (1 founder, 9 students and recruiters), 2 own invitations out. August: every
    request accepted, and one of the own invitations."""
    old = [(f"old{i}", "Founder", dt.date(2024, 5, 1 + i)) for i in range(6)]
    spring = [(f"spring{i}", "CEO", dt.date(2026, 4, 10 + i)) for i in range(3)]
    spring.append(("spring3", "Student", dt.date(2026, 5, 2)))
    asks = [("ask0", "Founder")] + [
        (f"ask{i}", "Student" if i % 2 else "Technical Recruiter") for i in range(1, 10)
    ]
    requests = [
        ("INCOMING", slug, dt.datetime(2026, 5, 5 + i, 9, 30)) for i, (slug, _) in enumerate(asks)
    ]
    own = [
        ("OUTGOING", "target0", dt.datetime(2026, 5, 20, 14, 5)),
        ("OUTGOING", "target1", dt.datetime(2026, 5, 21, 8, 45)),
    ]
    accepted = [(slug, title, dt.date(2026, 6, 10 + i)) for i, (slug, title) in enumerate(asks)]
    accepted.append(("target0", "CEO", dt.date(2026, 7, 1)))
    for day, people in (
        (dt.date(2026, 6, 1), old + spring),
        (dt.date(2026, 8, 31), old + spring + accepted),
    ):
        folder = inbox / "acceptor" / f"Basic_LinkedInDataExport_{day:%m-%d-%Y}"
        folder.mkdir(parents=True)
        (folder / "Connections.csv").write_text(connections_csv(people))
        (folder / "Invitations.csv").write_text(invitations_csv(requests + own))


ACCEPTOR = {
    ("reach", "acceptor", dt.date(2026, 6, 1)): {
        "followers": None, "connections": 10, "unidentified_connections": 1, "mutual": None,
        "connection_only": None, "follower_only": None, "audience": None, "new_followers": None,
        "lost_followers": None, "follower_growth_rate": None, "new_connections": None,
        "lost_connections": None, "followers_source": None,
        "connections_observed_on": dt.date(2026, 6, 1), "followers_observed_on": None,
    },
    ("reach", "acceptor", dt.date(2026, 8, 31)): {
        "followers": None, "connections": 21, "unidentified_connections": 1, "mutual": None,
        "connection_only": None, "follower_only": None, "audience": None, "new_followers": None,
        "lost_followers": None, "follower_growth_rate": None, "new_connections": 11,
        "lost_connections": 0, "followers_source": None,
        "connections_observed_on": dt.date(2026, 8, 31), "followers_observed_on": None,
    },
    ("messaging_capacity", "acceptor", dt.date(2026, 6, 1)): {
        "messageable": 10, "inmail_only": None, "connection_headroom": 29_990,
        "active_conversations_90d": None, "dormant_connections": None, "pending_outbound": 2,
        "pending_inbound": 10, "invitation_acceptance_rate": None, "weeks_to_cap": 299.9,
        "weekly_invitation_budget": 100, "weeks_to_cap_at_acceptance": None,
    },
    ("messaging_capacity", "acceptor", dt.date(2026, 8, 31)): {
        "messageable": 21, "inmail_only": None, "connection_headroom": 29_979,
        "active_conversations_90d": None, "dormant_connections": None, "pending_outbound": 1,
        "pending_inbound": 0, "invitation_acceptance_rate": 0.5, "weeks_to_cap": 299.79,
        "weekly_invitation_budget": 100, "weeks_to_cap_at_acceptance": 599.58,
    },
    ("network_relevance", "acceptor", dt.date(2026, 6, 1)): {
        "connections": 10, "relevant_connections": 9, "relevance_rate": 0.9, "followers": None,
        "relevant_followers": None, "follower_relevance_rate": None, "recent_connections": 4,
        "recent_relevance_rate": 0.75, "recent_relevant_connections": 3,
    },
    ("network_relevance", "acceptor", dt.date(2026, 8, 31)): {
        "connections": 21, "relevant_connections": 11, "relevance_rate": 11 / 21,
        "followers": None, "relevant_followers": None, "follower_relevance_rate": None,
        "recent_connections": 11, "recent_relevance_rate": 2 / 11,
        "recent_relevant_connections": 2,
    },
}  # fmt: skip


# ---- the warehouse ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("metrics-home")).ensure()
    icp = home.root / "team_icp.yaml"
    icp.write_text(ICP_YAML)
    sizes = {"n_connections": 60, "n_followers": 90, "n_messages": 120}
    histories = {
        "listed": write_account_exports(home.inbox, "listed", DATES[1:], seed=3, **sizes),
        "gaps": write_account_exports(
            home.inbox,
            "gaps",
            DATES,
            seed=4,
            follower_list_for={DATES[0], DATES[2]},
            extracted_folder_for={DATES[1]},
            **sizes,
        ),
    }
    write_acceptor(home.inbox)
    # Read the generated files before the run takes them out of the inbox.
    invitations = {
        account: {t.snapshot_date: invitation_rows(t) for t in history}
        for account, history in histories.items()
    }
    code = run_lnw(home, "run", "--icp", str(icp))
    return home, icp, histories, invitations, code


def view_rows(home: Home, view: str) -> dict[tuple, dict]:
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        cursor = con.execute(f"SELECT * FROM analytics.{view}")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        con.close()
    return {(view, r[0], r[1]): dict(zip(columns[2:], r[2:], strict=True)) for r in rows}


def approx(row: dict) -> dict:
    return {k: pytest.approx(v) if isinstance(v, float) else v for k, v in row.items()}


def all_expected(histories, invitations, scorer=score) -> dict:
    expected = dict(ACCEPTOR) if scorer is score else {}
    for account, history in histories.items():
        expected |= expected_rows(history, invitations[account], scorer)
    return expected


def test_the_run_loads_every_snapshot(loaded):
    assert loaded[-1] == 0


@pytest.mark.parametrize("view", ["reach", "messaging_capacity", "network_relevance"])
def test_every_column_of_every_snapshot_matches_the_known_answer(loaded, view):
    home, _, histories, invitations, _ = loaded
    expected = {k: v for k, v in all_expected(histories, invitations).items() if k[0] == view}
    actual = view_rows(home, view)
    assert set(actual) == set(expected)
    for key, row in expected.items():
        assert actual[key] == approx(row), key


def test_the_generated_data_reaches_every_case_the_answers_distinguish(loaded):
    """Guards this module: without these, a wrong definition could still match the answers."""
    _, _, histories, invitations, _ = loaded
    expected = all_expected(histories, invitations)
    reach = [r for k, r in expected.items() if k[0] == "reach"]
    capacity = [r for k, r in expected.items() if k[0] == "messaging_capacity"]
    assert any(r["followers"] is None for r in reach)
    assert any(r["follower_growth_rate"] is not None for r in reach)
    assert any(0 < (r["invitation_acceptance_rate"] or 0) < 1 for r in capacity)
    # Some invitation pending at the first snapshot is older than the last snapshot's file.
    last = min(r["sent_at"] for r in invitations["gaps"][DATES[2]])
    first_pending = [
        r
        for r in invitations["gaps"][DATES[0]]
        if r["outgoing"] and r["key"] in histories["gaps"][0].pending_outbound
    ]
    assert any(r["sent_at"] < last for r in first_pending)


def test_recent_relevance_falls_when_the_member_accepts_every_request(loaded):
    rows = view_rows(loaded[0], "network_relevance")
    june = rows["network_relevance", "acceptor", dt.date(2026, 6, 1)]
    august = rows["network_relevance", "acceptor", dt.date(2026, 8, 31)]
    assert august["recent_relevance_rate"] < june["recent_relevance_rate"]


def test_account_comparison_has_each_accounts_latest_headline_figures(loaded):
    home, _, histories, invitations, _ = loaded
    expected = all_expected(histories, invitations)
    latest = {"listed": DATES[2], "gaps": DATES[2], "acceptor": dt.date(2026, 8, 31)}
    snapshots = {"listed": 2, "gaps": 3, "acceptor": 2}
    rows = view_rows(home, "account_comparison")
    assert {k[1] for k in rows} == set(latest)
    for account, day in latest.items():
        want = {"snapshots": snapshots[account]}
        for view in ("reach", "messaging_capacity", "network_relevance"):
            want |= expected[view, account, day]
        row = rows["account_comparison", account, day]
        assert row == approx({k: want[k] for k in row}), account


def contact_scores(home: Home) -> dict[tuple[str, str], float]:
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        rows = con.execute(
            "SELECT account, person_key, relevance_score FROM analytics.current_relationships"
        ).fetchall()
    finally:
        con.close()
    return {(a, k): s for a, k, s in rows}


def expected_contact_scores(histories, scorer) -> dict[tuple[str, str], float]:
    return {
        (account, key): person_score(history[-1], key, scorer)
        for account, history in histories.items()
        for key in history[-1].people
    }


def test_every_contact_of_the_latest_snapshot_has_its_icp_score(loaded):
    home, _, histories, _, _ = loaded
    actual = {k: v for k, v in contact_scores(home).items() if k[0] != "acceptor"}
    assert actual == expected_contact_scores(histories, score)


def test_a_changed_icp_recomputes_relevance_on_the_next_run(loaded, tmp_path, capsys):
    home, icp, histories, invitations, _ = loaded
    other = tmp_path / "other_icp.yaml"
    other.write_text(OTHER_ICP_YAML)
    assert run_lnw(home, "run", "--icp", str(other)) == 0
    actual = {k: v for k, v in contact_scores(home).items() if k[0] != "acceptor"}
    assert actual == expected_contact_scores(histories, other_score)
    relevance = view_rows(home, "network_relevance")
    for key, row in all_expected(histories, invitations, other_score).items():
        if key[0] == "network_relevance":
            assert relevance[key] == approx(row), key
    # A broken file is refused before any work, with the file's name, and the published
    # figures stay.
    broken = tmp_path / "broken_icp.yaml"
    broken.write_text("include_titles: founder\n")
    capsys.readouterr()
    assert run_lnw(home, "run", "--icp", str(broken)) == 1
    printed = capsys.readouterr()
    assert printed.out == ""
    assert f"--icp='{broken}' is not valid: include_titles must be a list of strings" in (
        printed.err
    )
    assert view_rows(home, "network_relevance") == relevance
    # And back: the module's other tests expect the first ICP.
    assert run_lnw(home, "run", "--icp", str(icp)) == 0
    key = ("network_relevance", "gaps", DATES[0])
    assert view_rows(home, "network_relevance")[key] == approx(
        all_expected(histories, invitations)[key]
    )


def test_a_snapshot_arriving_late_updates_the_metrics_of_every_later_snapshot(tmp_path):
    """Acceptance rates look back at every earlier snapshot's open invitations, so when the
    second of four snapshots comes last, the third and the fourth must be recomputed too."""
    home = Home(tmp_path / "home").ensure()
    icp = tmp_path / "icp.yaml"
    icp.write_text(ICP_YAML)
    dates = [*DATES, dt.date(2026, 11, 30)]
    history = write_account_exports(
        home.inbox, "late", dates, n_connections=80, n_followers=90, n_messages=60, seed=11
    )
    invitations = {"late": {t.snapshot_date: invitation_rows(t) for t in history}}
    # Guards the data: the second snapshot changes the last one's acceptance rate.
    without_second = expected_acceptance([history[0], *history[2:]], invitations["late"])
    assert expected_acceptance(history, invitations["late"])[-1] != without_second[-1]
    held_back = tmp_path / "held_back"
    held_back.mkdir()
    for item in history[1].files:
        item.rename(held_back / item.name)
    assert run_lnw(home, "run", "--icp", str(icp)) == 0
    for item in history[1].files:
        (held_back / item.name).rename(item)
    assert run_lnw(home, "run", "--icp", str(icp)) == 0
    expected = all_expected({"late": history}, invitations)
    for view in ("reach", "messaging_capacity", "network_relevance"):
        actual = view_rows(home, view)
        for key, row in expected.items():
            if key[0] == view and key[1] == "late":
                assert actual[key] == approx(row), key


def test_lnw_icp_chooses_the_profile_when_no_icp_option_is_given(tmp_path, monkeypatch):
    from pipelines.resources import LnwSettings

    chosen = tmp_path / "chosen.yaml"
    chosen.write_text(OTHER_ICP_YAML)
    monkeypatch.setenv("LNW_ICP", str(chosen))
    icp, path = LnwSettings(home=str(tmp_path / "home")).profile()
    assert path == chosen and icp.include_titles == ("engineer",)
