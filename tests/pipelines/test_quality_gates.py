"""Quality gates in the pipeline: each check fails on the bad data it exists for, a blocking
one leaves what follows untouched, and every one passes on good data."""

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from pipelines.assets.core import (
    RELATIONSHIP_SNAPSHOTS,
    relationship_history,
    relationship_snapshots,
)
from pipelines.assets.ingest import raw_exports
from pipelines.assets.marts import analytics_views, marts
from pipelines.checks import (
    ALL_CHECKS,
    history_has_one_current_row,
    metric_identities_hold,
)
from pipelines.definitions import defs
from pipelines.resources import LnwSettings
from tests.conftest import run_lnw

D1, D2 = dt.date(2026, 11, 6), dt.date(2026, 11, 20)
CONNECTIONS_HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    # The Definitions' resource finds the home through LNW_HOME, as in the UI.
    monkeypatch.setenv("LNW_HOME", str(tmp_path))
    for name in ("LNW_MAX_LOSS", "LNW_ACCEPT_PARTIAL"):
        monkeypatch.delenv(name, raising=False)
    return Home(tmp_path).ensure()


def run_job(name: str, partition: str | None = None, tags: dict | None = None) -> dict:
    """Run one of the Definitions' jobs; the check evaluations by `asset check_name`."""
    with dg.instance_for_test() as instance:
        if partition:
            instance.add_dynamic_partitions("snapshots", [partition])
        result = defs.resolve_job_def(name).execute_in_process(
            partition_key=partition, instance=instance, raise_on_error=False, tags=tags or {}
        )
    return {
        f"{e.asset_key.to_user_string()} {e.check_name}": e
        for e in result.get_asset_check_evaluations()
    }


def query(home: Home, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def downstream_of_core(home: Home) -> dict[str, list[tuple]]:
    return {
        "snapshots merged": query(
            home,
            "SELECT snapshot_date FROM core.snapshots WHERE merged_at IS NOT NULL ORDER BY 1",
        ),
        "history": query(home, "SELECT * FROM core.relationship_history ORDER BY ALL"),
        "reach": query(home, "SELECT * FROM marts.reach ORDER BY ALL"),
    }


def stage_two_snapshots(home: Home, staging: Path, **options) -> list:
    """Sample exports of account `me` at D1 and D2 (an extracted folder, easy to damage),
    written to ``staging``; D1's items are moved into the inbox."""
    truths = write_account_exports(
        staging,
        "me",
        [D1, D2],
        n_connections=60,
        n_followers=80,
        n_messages=20,
        seed=11,
        churn=0.02,
        extracted_folder_for={D2},
        **options,
    )
    move_into_inbox(home, truths[0].files)
    return truths


def move_into_inbox(home: Home, files: list[Path]) -> None:
    (home.inbox / "me").mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.move(path, home.inbox / "me" / path.name)


def drop_share_of_rows(path: Path, share: float, header_starts: str) -> int:
    """Remove ``share`` of a CSV's data rows (every n-th), keeping any preamble; returns
    how many rows remain."""
    text = path.read_bytes().decode("utf-8-sig")
    start = text.index(header_starts)
    rows = list(csv.reader(io.StringIO(text[start:])))
    header, data = rows[0], rows[1:]
    keep = [row for i, row in enumerate(data) if int((i + 1) * share) == int(i * share)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *keep])
    path.write_text(text[:start] + out.getvalue(), encoding="utf-8")
    return len(keep)


def test_every_check_passes_on_good_data(home, tmp_path):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    move_into_inbox(home, truths[1].files)
    evaluations = {}
    for day in (D1, D2):
        evaluations |= run_job("ingest_snapshot", f"me:{day}")
    evaluations |= run_job("refresh_marts")
    assert {name: e.passed for name, e in evaluations.items()} == {
        "raw/connections expectation_suite": True,
        "raw/connections connections_within_linkedin_cap": True,
        "raw/invitations expectation_suite": True,
        "raw/messages expectation_suite": True,
        "raw/followers expectation_suite": True,
        "core/relationship_snapshots expectation_suite": True,
        "core/relationship_snapshots partial_export_gate": True,
        "core/relationship_history history_has_one_current_row": True,
        "marts/reach metric_identities_hold": True,
    }
    suite = evaluations["raw/connections expectation_suite"]
    assert suite.metadata["expectations_failed"].value == 0
    assert Path(suite.metadata["data_docs"].value).exists()  # Data Docs in <home>/data_docs/
    assert suite.metadata["open_data_docs"].value.startswith("uv run lnw docs --home /")


def test_a_connection_dated_after_its_snapshot_blocks_the_snapshot(tmp_path, capsys):
    home = Home(tmp_path).ensure()
    write_account_exports(
        home.inbox,
        "me",
        [dt.date(2026, 10, 2)],
        n_connections=30,
        n_followers=40,
        n_messages=10,
        seed=2,
    )
    assert run_lnw(home, "run") == 0
    # A later export whose Connections.csv claims a connection made after its own date.
    bad_day = dt.date(2026, 10, 30)
    folder = home.inbox / "me" / "Complete_LinkedInDataExport_10-30-2026"
    folder.mkdir()
    (folder / "Connections.csv").write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Ann,Lee,https://www.linkedin.com/in/ann-lee,,Acme,CEO,15 Dec 2026\n"
    )
    assert run_lnw(home, "run") == 1
    out = capsys.readouterr().out
    assert "check expectation_suite on raw/connections failed" in out and "FAILED" in out
    assert "dates not after the snapshot date: observed 2026-12-15 (at most 2026-10-30)" in out
    con = duckdb.connect(str(home.warehouse), read_only=True)
    snapshots = con.execute("SELECT snapshot_date FROM core.snapshots").fetchall()
    history_days = con.execute(
        "SELECT DISTINCT valid_from FROM core.relationship_history"
    ).fetchall()
    con.close()
    assert (bad_day,) not in snapshots
    assert history_days == [(dt.date(2026, 10, 2),)]


def good_rows(count: int) -> str:
    return "".join(
        f"P{i},Q,https://www.linkedin.com/in/p{i},,Acme,CEO,3 Nov 2026\n" for i in range(count)
    )


BAD_CONNECTIONS = {
    "a URL that is not a profile": (
        "Ann,Lee,https://www.linkedin.com/company/acme,,Acme,CEO,3 Nov 2026\n" + good_rows(9),
        "profile URLs parse",
    ),
    "an empty connection date": (
        "Ann,Lee,https://www.linkedin.com/in/ann-lee,,Acme,CEO,\n" + good_rows(9),
        "dates parse",
    ),
    "a third of blank-person rows": (
        ",,,,,,3 Nov 2026\n" * 5 + good_rows(10),
        "blank-person rows",
    ),
    "a fifth of the people without URL": (
        "".join(f"N{i},Q,,,Acme,CEO,3 Nov 2026\n" for i in range(2)) + good_rows(8),
        "people without URL",
    ),
}


@pytest.mark.parametrize("bad", list(BAD_CONNECTIONS))
def test_a_damaged_connections_file_is_blocked_before_the_core(home, bad):
    rows, expectation = BAD_CONNECTIONS[bad]
    folder = home.inbox / "me" / "Basic_LinkedInDataExport_11-20-2026"
    folder.mkdir(parents=True)
    (folder / "Connections.csv").write_text(CONNECTIONS_HEADER + rows)
    evaluations = run_job("ingest_snapshot", "me:2026-11-20")
    suite = evaluations["raw/connections expectation_suite"]
    assert not suite.passed and suite.severity == dg.AssetCheckSeverity.ERROR
    assert expectation in suite.description
    assert "core/relationship_snapshots partial_export_gate" not in evaluations
    assert query(home, "SELECT count(*) FROM core.relationship_snapshots") == [(0,)]


def test_a_follower_list_without_urls_is_blocked(home, tmp_path):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    assert run_job("ingest_snapshot", f"me:{D1}")["raw/followers expectation_suite"].passed
    before = downstream_of_core(home)
    move_into_inbox(home, truths[1].files)
    follower_list = next((home.inbox / "me").glob("followers_2026-11-20*"))
    lines = follower_list.read_text().splitlines()
    # A scraper that lost the URL of every fifth person.
    damaged = [lines[0]] + [
        "," + line.split(",", 1)[1] if i % 5 == 0 else line for i, line in enumerate(lines[1:])
    ]
    follower_list.write_text("\n".join(damaged) + "\n")
    evaluations = run_job("ingest_snapshot", f"me:{D2}")
    suite = evaluations["raw/followers expectation_suite"]
    assert not suite.passed
    assert "people without URL" in suite.description
    assert query(home, f"SELECT count(*) FROM core.snapshots WHERE snapshot_date = '{D2}'") == [
        (0,)
    ]
    assert downstream_of_core(home) == before


def test_more_than_30000_connections_warns_without_blocking(home):
    folder = home.inbox / "me" / "Basic_LinkedInDataExport_11-20-2026"
    folder.mkdir(parents=True)
    rows = "".join(
        f"P{i},Q,https://www.linkedin.com/in/p{i},,Acme,CEO,3 Nov 2026\n" for i in range(30_001)
    )
    (folder / "Connections.csv").write_text(CONNECTIONS_HEADER + rows)
    evaluations = run_job("ingest_snapshot", "me:2026-11-20")
    cap = evaluations["raw/connections connections_within_linkedin_cap"]
    assert not cap.passed and cap.severity == dg.AssetCheckSeverity.WARN
    assert cap.metadata["identified_connections"].value == 30_001
    assert query(home, "SELECT count(*) FROM core.relationship_history WHERE is_current") == [
        (30_001,)
    ]


def test_a_snapshot_losing_40_percent_of_connections_is_blocked_until_accepted(
    home, tmp_path, capsys
):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    assert run_lnw(home, "run") == 0
    before = downstream_of_core(home)
    published_before = query_published(home)
    move_into_inbox(home, truths[1].files)
    connections = next((home.inbox / "me").rglob("Connections.csv"))
    drop_share_of_rows(connections, 0.4, "First Name")
    capsys.readouterr()

    assert run_lnw(home, "run") == 1
    out = capsys.readouterr().out
    assert "check partial_export_gate on core/relationship_snapshots failed" in out
    assert "of connections lost" in out and "since 2026-11-06" in out
    assert "lnw run --accept-partial me:2026-11-20" in out
    assert downstream_of_core(home) == before
    assert query_published(home) == published_before

    # The next run retries the unfinished snapshot, and the gate blocks it again.
    assert run_lnw(home, "run") == 1
    assert downstream_of_core(home) == before

    assert run_lnw(home, "run", "--accept-partial", "me:2026-11-20") == 0
    after = downstream_of_core(home)
    assert after["snapshots merged"] == [(D1,), (D2,)]
    assert [row[1] for row in after["reach"]] == [D1, D2]
    assert {row[-1] for row in query_published(home)} == {D2}
    gate = latest_gate_evaluation(home)
    assert gate.passed
    assert gate.metadata["accepted_partial_export"].value is True
    assert gate.metadata["accepted_by"].value == "run tag lnw/accept_partial"


def query_published(home: Home) -> list[tuple]:
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        return con.execute(
            "SELECT person_key, relationship, snapshot_date FROM analytics.current_relationships "
            "ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def latest_gate_evaluation(home: Home):
    instance = dg.DagsterInstance.from_config(str(home.dagster))
    try:
        (record,) = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(RELATIONSHIP_SNAPSHOTS, "partial_export_gate"), limit=1
        )
        return record.event.dagster_event.event_specific_data
    finally:
        instance.dispose()


def test_losing_followers_is_gated_too_and_the_share_is_configurable(home, tmp_path, monkeypatch):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    run_job("ingest_snapshot", f"me:{D1}")
    move_into_inbox(home, truths[1].files)
    follower_list = next((home.inbox / "me").glob("followers_2026-11-20*"))
    drop_share_of_rows(follower_list, 0.4, header_starts="")
    gate = run_job("ingest_snapshot", f"me:{D2}")["core/relationship_snapshots partial_export_gate"]
    assert not gate.passed
    assert "of followers lost" in gate.description
    assert "core/relationship_history history_has_one_current_row" not in run_job(
        "ingest_snapshot", f"me:{D2}"
    )
    monkeypatch.setenv("LNW_MAX_LOSS", "50%")
    evaluations = run_job("ingest_snapshot", f"me:{D2}")
    assert evaluations["core/relationship_snapshots partial_export_gate"].passed
    assert evaluations["core/relationship_history history_has_one_current_row"].passed


# Dagster runs partitioned and unpartitioned assets in separate runs, as the two jobs do.
PER_SNAPSHOT = [raw_exports, relationship_snapshots, relationship_history]


def run_selected(selection: dg.AssetSelection, partition: str | None = None) -> dict:
    """Materialize part of the graph (a check and what it guards), as a UI user would."""
    with dg.instance_for_test() as instance:
        if partition:
            instance.add_dynamic_partitions("snapshots", [partition])
        result = dg.materialize(
            PER_SNAPSHOT + [c for c in ALL_CHECKS if c is not metric_identities_hold]
            if partition
            else [marts, analytics_views, metric_identities_hold],
            selection=selection,
            partition_key=partition,
            instance=instance,
            resources={"lnw": LnwSettings()},
            raise_on_error=False,
        )
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def corrupt(home: Home, sql: str) -> None:
    con = duckdb.connect(str(home.warehouse))
    try:
        con.execute(sql)
    finally:
        con.close()


def only(*assets) -> dg.AssetSelection:
    return dg.AssetSelection.assets(*assets).without_checks()


def test_a_person_twice_in_a_snapshot_blocks_the_history(home, tmp_path):
    stage_two_snapshots(home, tmp_path / "staging")
    run_selected(only(raw_exports, relationship_snapshots), f"me:{D1}")
    guarded = only(relationship_history) | dg.AssetSelection.checks(
        dg.AssetCheckKey(RELATIONSHIP_SNAPSHOTS, "expectation_suite")
    )
    assert run_selected(guarded, f"me:{D1}")["expectation_suite"].passed
    merged = query(home, "SELECT * FROM core.relationship_history ORDER BY ALL")
    corrupt(
        home,
        "INSERT INTO core.relationship_snapshots SELECT * REPLACE ('friend' AS relationship) "
        "FROM core.relationship_snapshots LIMIT 1",
    )
    corrupt(home, "DELETE FROM core.relationship_history")
    suite = run_selected(guarded, f"me:{D1}")["expectation_suite"]
    assert not suite.passed
    assert "one row per person per snapshot: 2 rows" in suite.description
    assert "relationship in the allowed set: 1 rows" in suite.description
    assert "friend" in suite.metadata["expectations"].value
    assert query(home, "SELECT count(*) FROM core.relationship_history") == [(0,)]
    assert merged  # the same snapshot, sound, had made a history


def test_two_current_rows_for_a_person_fail_the_history_check(home, tmp_path):
    # The history is the last step of a snapshot's run; the marts are refreshed by their own
    # job and read the relationship snapshots, so what this check stops is the run (exit 1).
    stage_two_snapshots(home, tmp_path / "staging")
    run_selected(only(raw_exports, relationship_snapshots), f"me:{D1}")
    merge = only(relationship_history) | dg.AssetSelection.checks(history_has_one_current_row)
    assert run_selected(merge, f"me:{D1}")["history_has_one_current_row"].passed
    # A person twice in the snapshot, with two companies, gives two current periods (the
    # snapshot's own suite is left out of this run so that the history check meets it).
    corrupt(
        home,
        "INSERT INTO core.relationship_snapshots SELECT * REPLACE ('Other Co' AS company, "
        "md5('other') AS attributes_hash) FROM core.relationship_snapshots LIMIT 1",
    )
    # As a rebuilt snapshot would: a merge skips a snapshot already merged as it is.
    corrupt(home, "UPDATE core.snapshots SET built_at = now() + INTERVAL 1 SECOND")
    check = run_selected(merge, f"me:{D1}")["history_has_one_current_row"]
    assert not check.passed
    assert check.metadata["people_with_several_current_rows"].value == 1
    assert check.metadata["overlaps"].value == 1


def test_broken_metric_identities_stop_the_publication(home, tmp_path):
    stage_two_snapshots(home, tmp_path / "staging")
    run_selected(only(raw_exports, relationship_snapshots, relationship_history), f"me:{D1}")
    run_selected(only(marts))
    guarded = only(analytics_views) | dg.AssetSelection.checks(metric_identities_hold)
    assert run_selected(guarded)["metric_identities_hold"].passed
    home.published.unlink()
    corrupt(home, "UPDATE marts.reach SET mutual = mutual + 1")
    corrupt(home, "UPDATE marts.network_relevance SET relevance_rate = 1.5")
    check = run_selected(guarded)["metric_identities_hold"]
    assert not check.passed
    assert "mutual + connection_only = connections" in check.description
    assert "rates within [0, 1]" in check.description
    assert not home.published.exists()


def test_a_partial_export_replacing_a_loaded_snapshot_reaches_neither_views_nor_marts(
    home, tmp_path
):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    move_into_inbox(home, truths[1].files)
    assert run_lnw(home, "run") == 0
    before = downstream_of_core(home)
    # The scraper ran again the same day and stopped half-way: the newer list of the day
    # would replace the snapshot's followers.
    follower_list = next((home.inbox / "me").glob("followers_2026-11-20*"))
    rescrape = follower_list.with_name("followers_2026-11-20_rescrape.csv")
    shutil.copy(follower_list, rescrape)
    drop_share_of_rows(rescrape, 0.5, header_starts="")

    assert run_lnw(home, "run") == 1
    assert downstream_of_core(home)["history"] == before["history"]
    assert downstream_of_core(home)["reach"] == before["reach"]
    # The half list is in the core, unmerged: readers see the last snapshot still whole.
    assert {row[-1] for row in query_published(home)} == {D1}

    assert run_lnw(home, "run", "--accept-partial", "me:2026-11-20") == 0
    assert {row[-1] for row in query_published(home)} == {D2}
    followers = query(home, "SELECT snapshot_date, followers FROM marts.reach ORDER BY 1")
    assert followers[1][1] < 0.6 * followers[0][1]
