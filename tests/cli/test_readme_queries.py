"""The README's `lnw sql` examples run as written and answer their questions on generated
exports whose answers are known."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw

README = Path(__file__).resolve().parents[2] / "README.md"
PROFILE = "https://www.linkedin.com/in/"
DATES = [dt.date(2026, 7, 6), dt.date(2026, 10, 5)]
ICP = "include_titles: [founder, ceo]\nexclude_titles: [recruiter]\n"


def readme_query(question: str) -> str:
    """The statement under the README's `-- <question>` comment."""
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.DOTALL)
    for statement in "\n".join(blocks).split(";"):
        lines = statement.strip().splitlines()
        if lines and lines[0] == f"-- {question}":
            return "\n".join(lines[1:])
    raise AssertionError(f"README has no SQL example for {question!r}")


def relevant(position: str | None) -> bool:
    """ICP, evaluated by hand."""
    text = position or ""
    if re.search(r"\brecruiter\b", text, re.IGNORECASE):
        return False
    return bool(re.search(r"\b(founder|ceo)\b", text, re.IGNORECASE))


def text_of(person) -> str | None:
    """A contact's text: its position (connections), else its headline (followers)."""
    return person.position if person.position is not None else person.headline


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("readme-home")).ensure()
    home.icp.write_text(ICP)
    truths = write_account_exports(
        home.inbox, "me", DATES, n_connections=60, n_followers=120, n_messages=40, seed=8
    )
    assert run_lnw(home, "run") == 0
    return home, truths[-1]


def answer(home: Home, query: str, capsys) -> list[dict]:
    capsys.readouterr()
    assert run_lnw(home, "sql", "--format", "json", query) == 0
    return json.loads(capsys.readouterr().out)


def test_relevant_followers_i_am_not_connected_to(demo, capsys):
    home, latest = demo
    rows = answer(
        home, readme_query("who are my relevant followers I am not connected to?"), capsys
    )
    expected = {
        key
        for key in latest.followers - set(latest.connections)
        if relevant(text_of(latest.people[key]))
    }
    assert expected, "the sample should have relevant followers who are not connections"
    assert {r["profile_url"].removeprefix(PROFILE) for r in rows} == expected


def test_recent_connections_who_are_not_relevant(demo, capsys):
    home, latest = demo
    question = "who did I connect with in the last 90 days who is not relevant?"
    rows = answer(home, readme_query(question), capsys)
    start = latest.snapshot_date - dt.timedelta(days=90)
    expected = {
        key
        for key, day in latest.connections.items()
        if start < day and not relevant(text_of(latest.people[key]))
    }
    assert expected
    assert {r["profile_url"].removeprefix(PROFILE) for r in rows} == expected
    assert all(dt.date.fromisoformat(r["connected_on"]) > start for r in rows)


def test_who_unfollowed_me(demo, capsys):
    home, latest = demo
    rows = answer(home, readme_query("who unfollowed me but is still connected?"), capsys)
    assert {r["profile_url"].removeprefix(PROFILE) for r in rows} == (
        set(latest.connections) - latest.followers
    )


def test_a_team_side_by_side(demo, capsys):
    home, latest = demo
    rows = answer(home, readme_query("a team side by side"), capsys)
    assert [(r["account"], r["snapshot_date"], r["connections"]) for r in rows] == [
        ("me", latest.snapshot_date.isoformat(), len(latest.connections))
    ]
