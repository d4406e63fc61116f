"""`lnw sql` at its edges: empty queries, several statements, wide and long results."""

import sys

import pytest

from inbox.home import Home
from tests.conftest import run_lnw

LONG_NAME = "a_column_name_longer_than_any_terminal_would_wrap_politely"


@pytest.fixture
def home(small_home) -> Home:
    # Read only, and nothing here needs more than the two snapshots of `me`.
    return small_home[0]


@pytest.mark.parametrize("query", ["", "   \n", "-- only a comment", "/* a comment */ ;"])
def test_an_empty_or_comment_only_query_is_a_one_line_error(home, capsys, query):
    capsys.readouterr()
    assert run_lnw(home, "sql", query) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("lnw sql: the query is empty")
    assert "Traceback" not in err


def test_several_statements_are_each_shown_in_a_table(home, capsys):
    capsys.readouterr()
    assert run_lnw(home, "sql", "select 1 as one; select 2 as two, 3 as three") == 0
    out = capsys.readouterr().out
    assert "-- select 1 as one\n" in out and "-- select 2 as two, 3 as three\n" in out
    assert out.index("one") < out.index("two")
    assert out.count("1 row\n") == 2


@pytest.mark.parametrize("output", ["csv", "json"])
def test_several_statements_are_refused_for_csv_and_json(home, capsys, output):
    capsys.readouterr()
    assert run_lnw(home, "sql", "--format", output, "select 1; select 2") == 1
    out, err = capsys.readouterr()
    assert out == "" and "2 statements given" in err and "one at a time" in err


def test_the_table_never_breaks_a_header_and_counts_its_rows(home, capsys):
    capsys.readouterr()
    query = (
        f"select account, snapshot_date, followers as {LONG_NAME}, follower_growth_rate "
        "from analytics.reach order by snapshot_date"
    )
    assert run_lnw(home, "sql", query) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["account", "snapshot_date", LONG_NAME, "follower_growth_rate"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:2] == ["me", "2026-10-02"]
    assert lines[2].split()[-1] == "NULL", "the first snapshot has no growth rate"
    assert lines[-1] == "2 rows"


def test_a_long_result_shows_its_first_rows_on_a_terminal_with_a_note(home, capsys, monkeypatch):
    capsys.readouterr()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run_lnw(home, "sql", "select range as n from range(6476)") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 50 + 1
    assert lines[-1].startswith("6,476 rows (the first 50 shown: --limit N shows more")
    assert run_lnw(home, "sql", "--limit", "3", "select range as n from range(6476)") == 0
    assert len(capsys.readouterr().out.splitlines()) == 2 + 3 + 1
    assert run_lnw(home, "sql", "--limit", "0", "select range as n from range(6476)") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 6476 + 1 and lines[-1] == "6,476 rows"


@pytest.mark.parametrize("output", ["csv", "json"])
def test_csv_and_json_hold_every_row(home, capsys, monkeypatch, output):
    capsys.readouterr()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run_lnw(home, "sql", "--format", output, "select range as n from range(6476)") == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 6477 if output == "csv" else out.count('{"n":') == 6476
