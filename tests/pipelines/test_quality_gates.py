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
from pipelines.assets.ingest import RELATIONSHIP_SNAPSHOTS
from pipelines.assets.marts import analytics_views, marts
from pipelines.checks import metric_identities_hold
from pipelines.definitions import defs
from pipelines.resources import LnwSettings
from quality.partial_export import ACCEPT_TAG
from quality.view_rules import VIEW_RULES
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


def run_job(name: str, tags: dict | None = None) -> dict:
    """Run one of the Definitions' jobs (load_inbox loads every account with something to
    do); the check evaluations by `asset check_name`."""
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(name).execute_in_process(
            instance=instance, raise_on_error=False, tags=tags or {}
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
    evaluations = run_job("load_inbox") | run_job("refresh_marts")
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
        **{f"analytics/{view} rules_hold": True for view in VIEW_RULES},
    }
    suite = evaluations["raw/connections expectation_suite"]
    assert suite.metadata["expectations_failed"].value == 0
    # One GX run judged both archives as one batch: one expectation per rule, on the rows
    # of both files.
    results = suite.metadata["validation_result"].value["results"]
    assert len({r["column"] for r in results}) == len(results)
    assert not any(r["observation"] for r in results)
    rows = [len(t.connections) + t.unidentified_connections for t in truths]
    assert suite.metadata["rows"].value == sum(rows)
    # The load kept GX's results as files of their own, and the refresh built the offline
    # Data Docs from them, which each suite check points at; no GX file store anywhere.
    kept = sorted((home.root / "gx" / "validations" / "me").glob("*.json"))
    suites = {"raw_connections", "raw_invitations", "raw_messages", "raw_followers"}
    assert sorted(p.stem.rsplit("-", 1)[-1] for p in kept) == sorted(
        [*suites, "core_relationship_snapshots"]
    )
    page = Path(suite.metadata["data_docs"].value)
    assert page.is_relative_to(home.root / "data_docs") and page.exists()
    assert "raw_connections" in Path(suite.metadata["data_docs_index"].value).read_text()
    assert suite.metadata["open_data_docs"].value == f"uv run lnw docs --home {home.root}"
    assert not (home.root / "gx" / "uncommitted").exists()
    assert not list(home.root.rglob("great_expectations.yml"))


def test_a_connection_dated_after_its_archive_refuses_the_archive(tmp_path, capsys):
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
    assert "FAILED       load: load_one_account" in out
    assert "raw_connections failed" in out
    late = "dates not after the observation's date: 1 row, e.g. 2026-12-15 (at most 2026-10-30)"
    assert late in out
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
    evaluations = run_job("load_inbox")
    suite = evaluations["raw/connections expectation_suite"]
    assert not suite.passed and suite.severity == dg.AssetCheckSeverity.ERROR
    assert expectation in suite.description
    assert query(home, "SELECT count(*) FROM core.relationship_snapshots") == [(0,)]
    assert query(home, "SELECT status FROM core.observations") == [("refused",)]


def test_a_follower_list_without_urls_is_blocked(home, tmp_path):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    assert run_job("load_inbox")["raw/followers expectation_suite"].passed
    before = downstream_of_core(home)
    move_into_inbox(home, truths[1].files)
    follower_list = next((home.inbox / "me").glob("followers_2026-11-20*"))
    lines = follower_list.read_text().splitlines()
    # A scraper that lost the URL of every fifth person.
    damaged = [lines[0]] + [
        "," + line.split(",", 1)[1] if i % 5 == 0 else line for i, line in enumerate(lines[1:])
    ]
    follower_list.write_text("\n".join(damaged) + "\n")
    evaluations = run_job("load_inbox")
    suite = evaluations["raw/followers expectation_suite"]
    assert not suite.passed
    assert "people without URL" in suite.description
    # The archive of D2 is used; the damaged list is not: D2 carries the list of D1.
    carried = query(
        home, f"SELECT followers_observed_on FROM core.snapshots WHERE snapshot_date = '{D2}'"
    )
    assert carried == [(D1,)]
    assert downstream_of_core(home)["history"] != before["history"]


def test_more_than_30000_connections_warns_without_blocking(home):
    folder = home.inbox / "me" / "Basic_LinkedInDataExport_11-20-2026"
    folder.mkdir(parents=True)
    rows = "".join(
        f"P{i},Q,https://www.linkedin.com/in/p{i},,Acme,CEO,3 Nov 2026\n" for i in range(30_001)
    )
    (folder / "Connections.csv").write_text(CONNECTIONS_HEADER + rows)
    evaluations = run_job("load_inbox")
    cap = evaluations["raw/connections connections_within_linkedin_cap"]
    assert not cap.passed and cap.severity == dg.AssetCheckSeverity.WARN
    assert cap.metadata["identified_connections"].value == 30_001
    assert query(home, "SELECT count(*) FROM core.relationship_history WHERE is_current") == [
        (30_001,)
    ]


GATE = "core/relationship_snapshots partial_export_gate"


def people_of(home: Home) -> list[tuple[int, int]]:
    """Connections and followers of each snapshot, by date."""
    return [
        (connections, followers)
        for _, connections, followers in query(
            home,
            "SELECT snapshot_date, count(*) FILTER (is_connection), count(*) FILTER "
            "(is_follower) FROM core.relationship_snapshots GROUP BY ALL ORDER BY 1",
        )
    ]


def test_a_partial_archive_is_blocked_at_every_load_until_a_run_tag_accepts_it(home, tmp_path):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    assert run_job("load_inbox")[GATE].passed
    move_into_inbox(home, truths[1].files)
    connections = next((home.inbox / "me").rglob("Connections.csv"))
    drop_share_of_rows(connections, 0.4, "First Name")
    gate = run_job("load_inbox")[GATE]
    assert not gate.passed
    assert "of connections lost" in gate.description
    assert "since the archive of 2026-11-06" in gate.description
    # D2 is a snapshot of its follower list, carrying the archive of D1 and its connections.
    archives = "SELECT snapshot_date, connections_observed_on FROM core.snapshots ORDER BY 1"
    assert query(home, archives) == [(D1, D1), (D2, D1)]
    d1_connections = people_of(home)[0][0]
    assert people_of(home)[1][0] == d1_connections
    assert not run_job("load_inbox")[GATE].passed
    assert query(home, archives) == [(D1, D1), (D2, D1)]

    gate = run_job("load_inbox", tags={ACCEPT_TAG: "me:2026-11-20"})[GATE]
    assert gate.passed
    assert gate.metadata["accepted_partial_export"].value is True
    assert gate.metadata["accepted_by"].value == "run tag lnw/accept_partial"
    assert query(home, archives) == [(D1, D1), (D2, D2)]
    assert people_of(home)[1][0] < d1_connections


# Four `lnw run`, a load and a metrics refresh each: the fast tier has the gate, its judging
# again and the acceptance at the job level (above); this adds the command's words, the
# metrics and the readers' copy.
@pytest.mark.slow
def test_an_archive_losing_40_percent_of_connections_is_blocked_until_accepted(
    home, tmp_path, capsys
):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    assert run_lnw(home, "run") == 0
    before = downstream_of_core(home)
    move_into_inbox(home, truths[1].files)
    connections = next((home.inbox / "me").rglob("Connections.csv"))
    drop_share_of_rows(connections, 0.4, "First Name")
    capsys.readouterr()

    assert run_lnw(home, "run") == 1
    out = capsys.readouterr().out
    assert "the archive of me:2026-11-20 looks like a partial export" in out
    assert "of connections lost" in out and "since the archive of 2026-11-06" in out
    assert "lnw run --accept-partial me:2026-11-20" in out
    # The blocked archive is used by no snapshot: D2 is a snapshot of its follower list,
    # carrying the archive of D1 and its connections.
    carried = "SELECT snapshot_date, s.connections_observed_on, r.connections "
    carried += "FROM core.snapshots AS s JOIN marts.reach AS r USING (account, snapshot_date) "
    carried += "ORDER BY 1"
    d1_connections = before["reach"][0][3]
    assert query(home, carried) == [(D1, D1, d1_connections), (D2, D1, d1_connections)]
    assert {row[-1] for row in query_published(home)} == {D2}

    # The next run judges the blocked archive again, and the gate blocks it again.
    assert run_lnw(home, "run") == 1
    assert query(home, carried) == [(D1, D1, d1_connections), (D2, D1, d1_connections)]

    assert run_lnw(home, "run", "--accept-partial", "me:2026-11-20") == 0
    after = downstream_of_core(home)
    assert after["snapshots merged"] == [(D1,), (D2,)]
    assert [row[1] for row in after["reach"]] == [D1, D2]
    assert query(home, carried)[1][1] == D2 and query(home, carried)[1][2] < d1_connections
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
    run_job("load_inbox")
    move_into_inbox(home, truths[1].files)
    follower_list = next((home.inbox / "me").glob("followers_2026-11-20*"))
    drop_share_of_rows(follower_list, 0.4, header_starts="")
    gate = run_job("load_inbox")["core/relationship_snapshots partial_export_gate"]
    assert not gate.passed
    assert "of followers lost" in gate.description
    assert query(home, "SELECT followers_observed_on FROM core.snapshots ORDER BY 1") == [
        (D1,),
        (D1,),
    ]
    # Judged again at the next load: blocked again.
    assert not run_job("load_inbox")["core/relationship_snapshots partial_export_gate"].passed
    monkeypatch.setenv("LNW_MAX_LOSS", "50%")
    evaluations = run_job("load_inbox")
    assert evaluations["core/relationship_snapshots partial_export_gate"].passed
    assert evaluations["core/relationship_history history_has_one_current_row"].passed
    assert query(home, "SELECT followers_observed_on FROM core.snapshots ORDER BY 1") == [
        (D1,),
        (D2,),
    ]


def run_selected(assets: list, selection: dg.AssetSelection) -> dict:
    """Materialize part of the metrics (a check and what it guards), as a UI user would; the
    evaluations by check name."""
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            assets,
            selection=selection,
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


def test_two_current_rows_for_a_person_fail_the_history_check(home, tmp_path):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    assert run_job("load_inbox")["core/relationship_history history_has_one_current_row"].passed
    # Someone wrote a second current period for a person by hand: the next merge finds it.
    corrupt(
        home,
        "INSERT INTO core.relationship_history SELECT * REPLACE ('Other Co' AS company) "
        "FROM core.relationship_history WHERE is_current LIMIT 1",
    )
    move_into_inbox(home, truths[1].files)
    check = run_job("load_inbox")["core/relationship_history history_has_one_current_row"]
    assert not check.passed
    assert check.metadata["people_with_several_current_rows"].value == 1


def test_broken_metric_identities_stop_the_publication(home, tmp_path):
    stage_two_snapshots(home, tmp_path / "staging")
    run_job("load_inbox")
    refresh = [marts, analytics_views, metric_identities_hold]
    run_selected(refresh, only(marts))
    # The views with their own checks (the rules, checked by the step that publishes them).
    guarded = dg.AssetSelection.assets(analytics_views) | dg.AssetSelection.checks(
        metric_identities_hold
    )
    assert run_selected(refresh, guarded)["metric_identities_hold"].passed
    home.published.unlink()
    corrupt(home, "UPDATE marts.reach SET mutual = mutual + 1")
    corrupt(home, "UPDATE marts.network_relevance SET relevance_rate = 1.5")
    check = run_selected(refresh, guarded)["metric_identities_hold"]
    assert not check.passed
    assert "mutual + connection_only = connections" in check.description
    assert "rates within [0, 1]" in check.description
    assert not home.published.exists()


def test_a_partial_rescrape_of_a_days_list_is_blocked_until_a_run_tag_accepts_it(home, tmp_path):
    truths = stage_two_snapshots(home, tmp_path / "staging")
    move_into_inbox(home, truths[1].files)
    assert run_job("load_inbox")[GATE].passed
    (_, d1_followers), (_, d2_followers) = people_of(home)
    follower_list = next((home.inbox / "me").glob("followers_2026-11-20*"))
    rescrape = follower_list.with_name("followers_2026-11-20_rescrape.csv")
    shutil.copy(follower_list, rescrape)
    drop_share_of_rows(rescrape, 0.5, header_starts="")

    gate = run_job("load_inbox")[GATE]
    assert not gate.passed
    assert "of followers lost" in gate.description
    # Never the half list: D2 carries the list of D1 meanwhile.
    lists = "SELECT snapshot_date, followers_observed_on FROM core.snapshots ORDER BY 1"
    assert query(home, lists) == [(D1, D1), (D2, D1)]
    assert [followers for _, followers in people_of(home)] == [d1_followers, d1_followers]

    assert run_job("load_inbox", tags={ACCEPT_TAG: "me:2026-11-20"})[GATE].passed
    assert query(home, lists) == [(D1, D1), (D2, D2)]
    assert people_of(home)[1][1] < 0.6 * d2_followers


# Three `lnw run`: the fast tier has the rescrape blocked and accepted at the job level
# (above); this adds the metrics and the readers' copy.
@pytest.mark.slow
def test_a_partial_list_replacing_a_loaded_one_is_never_used_until_accepted(home, tmp_path):
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
    # The newer list of the day is that day's observation, and the gate blocks it: the
    # snapshot of D2 carries the list of D1 meanwhile, never the half list.
    lists = "SELECT snapshot_date, followers_observed_on, followers FROM marts.reach ORDER BY 1"
    d1_followers = before["reach"][0][2]
    assert query(home, lists) == [(D1, D1, d1_followers), (D2, D1, d1_followers)]

    assert run_lnw(home, "run", "--accept-partial", "me:2026-11-20") == 0
    assert {row[-1] for row in query_published(home)} == {D2}
    followers = query(home, "SELECT snapshot_date, followers FROM marts.reach ORDER BY 1")
    assert followers[1][1] < 0.6 * followers[0][1]
