"""The user's commands, end to end: exit codes, lines per item, quarantine, SQL output."""

import json
import shutil
import subprocess
import sys

import duckdb
import pytest

from inbox.home import Home
from tests.conftest import copy_of_home, run_lnw, small_account


@pytest.fixture
def home(tmp_path):
    return Home(tmp_path / "home").ensure()


def counts(home: Home) -> dict[str, int]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        tables = ["raw.connections", "raw.followers", "core.relationship_history", "marts.reach"]
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
    finally:
        con.close()


def test_a_bad_item_is_quarantined_with_a_reason_and_the_rest_loads(home, capsys):
    small_account(home)
    bad = home.inbox / "me" / "followers_2026-10-16.csv"
    bad.write_text("profileUrl,fullName\nhttps://www.linkedin.com/in/a,A,extra,fields\n")
    assert run_lnw(home, "run") == 2
    out = capsys.readouterr().out
    assert "quarantined  me/followers_2026-10-16.csv: followers_2026-10-16.csv, row 1" in out
    assert out.count("loaded ") == 4
    reason = home.quarantine / "me" / "followers_2026-10-16.csv.reason.txt"
    assert "has 4 fields where the header has 2" in reason.read_text()
    assert not bad.exists()
    assert counts(home)["marts.reach"] == 2


def test_a_quarantined_item_leaves_stored_data_untouched(small_home, tmp_path, capsys):
    home = copy_of_home(small_home[0], tmp_path / "home")
    before = counts(home)
    broken = home.inbox / "me" / "Basic_LinkedInDataExport_11-27-2026.zip"
    broken.write_bytes(b"PK\x03\x04 this is not a whole zip")
    assert run_lnw(home, "run") == 2
    assert "is not a readable zip archive" in capsys.readouterr().out
    assert counts(home) == before


def test_sql_prints_table_csv_and_json(small_home, capsys):
    home, _ = small_home
    query = "select account, snapshot_date, connections from analytics.reach order by 2"
    assert run_lnw(home, "sql", "--format", "csv", query) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "account,snapshot_date,connections"
    assert len(lines) == 3 and lines[1].startswith("me,2026-10-02,")
    assert run_lnw(home, "sql", "--format", "json", query) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["snapshot_date"] for r in rows] == ["2026-10-02", "2026-10-30"]
    assert run_lnw(home, "sql", query) == 0
    assert "connections" in capsys.readouterr().out


def test_sql_is_read_only_and_reports_errors(small_home, capsys):
    home, _ = small_home
    assert run_lnw(home, "sql", "delete from marts.reach") == 1
    assert "read-only" in capsys.readouterr().err.lower()
    assert run_lnw(home, "sql", "select * from analytics.nope") == 1


def test_the_published_copy_holds_the_views_and_latest_snapshot_not_raw_rows(small_home, capsys):
    home, _ = small_home
    views = (
        "current_relationships",
        "relationship_history",
        "relationship_events",
        "reach",
        "messaging_capacity",
        "network_relevance",
        "account_comparison",
    )
    writer = duckdb.connect(str(home.warehouse), read_only=True)
    reader = duckdb.connect(str(home.published), read_only=True)
    try:
        for view in views:
            query = f"SELECT * FROM analytics.{view} ORDER BY ALL"
            assert reader.execute(query).fetchall() == writer.execute(query).fetchall(), view
        as_of = "SELECT * FROM analytics.relationships_as_of(DATE '2026-10-15') ORDER BY ALL"
        assert reader.execute(as_of).fetchall() == writer.execute(as_of).fetchall()
        assert reader.execute(as_of).fetchall()
        # Only the latest snapshot's people, and none of the exports' raw rows.
        dates = "SELECT DISTINCT snapshot_date::VARCHAR FROM core.relationship_snapshots"
        assert reader.execute(dates).fetchall() == [("2026-10-30",)]
        assert len(writer.execute(dates).fetchall()) == 2
        raw = reader.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' ORDER BY 1"
        ).fetchall()
        assert raw == [("export_files",), ("exports",), ("follower_counts",)]
    finally:
        reader.close()
        writer.close()
    # The raw rows are one flag away, and the copy says where to find them.
    assert run_lnw(home, "sql", "select count(*) from raw.followers") == 1
    assert "add --warehouse" in capsys.readouterr().err
    assert (
        run_lnw(
            home, "sql", "--warehouse", "--format", "csv", "select count(*) n from raw.followers"
        )
        == 0
    )
    assert int(capsys.readouterr().out.splitlines()[1]) > 0


def test_sql_on_the_warehouse_says_when_a_run_holds_it(small_home, tmp_path, capsys):
    # A copy: the holder opens the warehouse for writing and is killed holding it.
    home = copy_of_home(small_home[0], tmp_path / "home")
    # As a run holds it: the OS lock, then DuckDB's own.
    holder = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from warehouse.lock import open_warehouse\n"
        "with open_warehouse(Path(sys.argv[1])):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", holder, str(home.warehouse)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "held"
        assert run_lnw(home, "sql", "--warehouse", "select 1") == 1
        assert "in use by a run" in capsys.readouterr().err
        # The published copy still answers.
        assert run_lnw(home, "sql", "select count(*) from analytics.reach") == 0
    finally:
        writer.kill()
        writer.wait()


def test_sql_before_any_run_says_what_to_do(home, capsys):
    assert run_lnw(home, "sql", "select 1") == 1
    assert "run `lnw run`" in capsys.readouterr().err


def test_the_console_script_is_installed():
    lnw = shutil.which("lnw") or str(__import__("pathlib").Path(sys.executable).parent / "lnw")
    result = subprocess.run([lnw, "--help"], capture_output=True, text=True, check=True)
    for command in ("demo", "run", "sql", "ui"):
        assert command in result.stdout
