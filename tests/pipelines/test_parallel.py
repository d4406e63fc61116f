"""One load path, however it is launched: `lnw run` (accounts one after the other), `lnw run
--workers 2` (accounts side by side on the multiprocess executor), the inbox sensor's run and
`lnw backfill` end in exactly the same warehouse and the same check evaluations; two loads at
once on one home both end well; processes that share the warehouse wait for each other
instead of failing on DuckDB's file lock."""

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from pipelines.definitions import defs
from tests.conftest import run_lnw

# Minutes of real processes and servers: left out of the fast tier (-m 'not slow').
pytestmark = pytest.mark.slow

DAYS = [dt.date(2026, 10, 2), dt.date(2026, 10, 16), dt.date(2026, 10, 30)]
PARTIAL = "team-b:2026-10-16"
TABLES = {
    "history": "SELECT * FROM core.relationship_history ORDER BY ALL",
    "snapshots": "SELECT * EXCLUDE (attributes_hash) FROM core.relationship_snapshots ORDER BY ALL",
    "merged": "SELECT account, snapshot_date, export_ids, merged_at IS NOT NULL "
    "FROM core.snapshots ORDER BY ALL",
    "observations": "SELECT * EXCLUDE (judged_at) FROM core.observations ORDER BY ALL",
    "reach": "SELECT * FROM marts.reach ORDER BY ALL",
    "capacity": "SELECT * FROM marts.messaging_capacity ORDER BY ALL",
    "relevance": "SELECT * FROM marts.network_relevance ORDER BY ALL",
}


def keep_share_of_connections(folder, share: float) -> None:
    """Cut an extracted archive's Connections.csv to its first ``share`` of rows."""
    path = folder / "Connections.csv"
    text = path.read_bytes().decode("utf-8-sig")
    start = text.index("First Name")
    rows = list(csv.reader(io.StringIO(text[start:])))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows[: 1 + int((len(rows) - 1) * share)])
    path.write_text(text[:start] + out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """Three accounts of three snapshots; team-b's second is a partial export (the gate
    blocks it), written once and copied into each home."""
    inbox = tmp_path_factory.mktemp("exports") / "inbox"
    for number, account in enumerate(("me", "team-a", "team-b")):
        truths = write_account_exports(
            inbox,
            account,
            DAYS,
            n_connections=80 + 40 * number,
            n_followers=120,
            n_messages=40,
            seed=31 + number,
            extracted_folder_for={DAYS[1]},
        )
        if account == "team-b":
            (folder,) = [f for f in truths[1].files if f.is_dir()]
            keep_share_of_connections(folder, 0.5)
    return inbox


def load(tmp_path, inbox, *args: str) -> tuple[Home, int]:
    home = Home(tmp_path).ensure()
    shutil.copytree(inbox, home.inbox, dirs_exist_ok=True)
    return home, run_lnw(home, "run", *args)


def load_in_a_new_process(tmp_path, inbox, *args: str) -> tuple[Home, int, str]:
    """`lnw run` as a user starts it: its own process, so its step processes (forked from a
    server this process starts) write to the output captured here."""
    home = Home(tmp_path).ensure()
    shutil.copytree(inbox, home.inbox, dirs_exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("LNW_HOME", "DAGSTER_HOME", "LNW_ICP")}
    done = subprocess.run(
        [Path(sys.executable).with_name("lnw"), "run", *args, "--home", str(home.root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return home, done.returncode, done.stdout + done.stderr


def warehouse(home: Home) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        con.close()


def recorded(home: Home) -> dict[str, set]:
    """What the Dagster UI shows: the partitions of each loaded asset with a materialization,
    and every evaluation of each check of the loaded assets (partition, outcome, severity,
    blocking flag)."""
    graph = defs.resolve_asset_graph()
    with dg.DagsterInstance.from_config(str(home.dagster)) as instance:
        shown: dict[str, set] = {
            key: instance.get_materialized_partitions(dg.AssetKey(key.split("/")))
            for key in (
                "raw/connections",
                "core/observations",
                "core/relationship_snapshots",
                "core/relationship_history",
            )
        }
        for check in graph.asset_check_keys:
            if check.asset_key.path[0] == "marts":
                continue  # the metrics' check, run after the load either way
            history = instance.event_log_storage.get_asset_check_execution_history(check, limit=100)
            events = [r.event.dagster_event.event_specific_data for r in history if r.event]
            shown[f"{check.asset_key.to_user_string()} {check.name}"] = sorted(
                (e.partition, e.passed, e.severity.value, e.blocking)
                for e in events
                if isinstance(e, dg.AssetCheckEvaluation)
            )
    return shown


def test_every_way_to_load_builds_the_same_warehouse_and_checks(tmp_path, inbox):
    one_by_one, code = load(tmp_path / "one-by-one", inbox)
    parallel, parallel_code, output = load_in_a_new_process(
        tmp_path / "parallel", inbox, "--workers", "2"
    )

    # The partial export fails the load of team-b both ways, and no snapshot uses it.
    assert code == parallel_code == 1
    expected = warehouse(one_by_one)
    assert warehouse(parallel) == expected
    statuses = {(a, k, d): s for a, k, d, _, s, *_ in expected["observations"]}
    assert statuses[("team-b", "connections", DAYS[1])] == "blocked"
    assert {s for key, s in statuses.items() if key[:3] != ("team-b", "connections", DAYS[1])} == {
        "used"
    }
    carried = {(a, d): c for a, d, c in rows(one_by_one, CARRIED)}
    # team-b's snapshot of that day is one of its follower list, carrying the archive before.
    assert carried[("team-b", DAYS[1])] == DAYS[0]
    assert carried[("team-b", DAYS[2])] == DAYS[2]  # the next archive still loads
    assert len(carried) == 9

    # The UI tells the same story: the same partitions materialized, the same checks
    # evaluated with the same outcome, severity and blocking flag.
    shown = recorded(parallel)
    assert shown == recorded(one_by_one)
    assert shown["core/relationship_history"] == {"me", "team-a", "team-b"}
    gate = shown["core/relationship_snapshots partial_export_gate"]
    assert [p for p, passed, *_ in gate if not passed] == ["team-b"]
    assert shown["raw/connections connections_within_linkedin_cap"] == [
        (a, True, "WARN", False) for a in ("me", "team-a", "team-b")
    ]
    # Both step processes kept their validation results side by side, each file whole and
    # under a name of its own, and the refresh after the loads listed all of them.
    kept = kept_results(parallel)
    assert kept == kept_results(one_by_one)
    assert set(kept) == {"me", "team-a", "team-b"}
    assert "raw_connections" in kept["me"] and "core_relationship_snapshots" in kept["me"]
    site = (parallel.root / "data_docs" / "index.html").read_text()
    assert site.count('<tr class="validation">') == sum(map(len, kept.values()))

    # And the terminal as quiet in parallel as in one process: no Dagster debug lines nor
    # warnings from the step processes.
    assert "lnw: summary" in output
    assert " - DEBUG - " not in output and "Warning" not in output, output

    # Loading again changes nothing: the partial export is still blocked.
    assert run_lnw(parallel, "run", "--workers", "2") == 1
    assert warehouse(parallel) == expected
    # Accepted deliberately, it is used like any other archive.
    assert run_lnw(parallel, "run", "--workers", "2", "--accept-partial", PARTIAL) == 0
    assert {(a, d): c for a, d, c in rows(parallel, CARRIED)}[("team-b", DAYS[1])] == DAYS[1]

    # The inbox sensor's run, as the daemon would launch it, builds the same warehouse.
    sensed = Home(tmp_path / "sensed").ensure()
    shutil.copytree(inbox, sensed.inbox, dirs_exist_ok=True)
    from pipelines.resources import LnwSettings
    from pipelines.sensors import inbox_sensor

    lnw = LnwSettings(home=str(sensed.root))
    with dg.instance_for_test() as instance:
        request = inbox_sensor(dg.build_sensor_context(instance=instance, resources={"lnw": lnw}))
        for job, config in (("load_inbox", request.run_config), ("refresh_marts", {})):
            defs.resolve_job_def(job).execute_in_process(
                run_config=config,
                instance=instance,
                resources={"lnw": lnw},
                raise_on_error=False,
                tags=request.tags,
            )
    assert warehouse(sensed) == expected

    # A backfill of an account judges and builds it again from its raw rows: the same.
    assert run_lnw(one_by_one, "backfill", "team-a") == 0
    assert warehouse(one_by_one) == expected


def kept_results(home: Home) -> dict[str, list[str]]:
    """The suites of the validation results each account's loads kept for the Data Docs
    (`<time>-<run id>-<suite>.json`); no temporary file may be left."""
    folder = home.root / "gx" / "validations"
    assert not [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".json"]
    return {
        account.name: sorted(p.stem.rsplit("-", 1)[-1] for p in account.glob("*.json"))
        for account in folder.iterdir()
    }


CARRIED = "SELECT account, snapshot_date, connections_observed_on FROM core.snapshots ORDER BY ALL"


def rows(home: Home, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_two_runs_at_once_on_one_home_both_end_well(tmp_path, inbox):
    home = Home(tmp_path / "home").ensure()
    shutil.copytree(inbox, home.inbox, dirs_exist_ok=True)
    shutil.rmtree(home.inbox / "team-b")  # no partial export here: every run must succeed
    env = {k: v for k, v in os.environ.items() if k not in ("LNW_HOME", "DAGSTER_HOME", "LNW_ICP")}
    command = [Path(sys.executable).with_name("lnw"), "run", "--home", str(home.root)]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    # Every item stored once, whichever run took it in; nothing failed in Dagster.
    stored = rows(home, "SELECT export_id, count(*) FROM raw.exports GROUP BY ALL")
    assert {n for _, n in stored} == {1} and len(stored) == 12
    with dg.DagsterInstance.from_config(str(home.dagster)) as instance:
        failed = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    assert failed == []
    alone = Home(tmp_path / "alone").ensure()
    shutil.copytree(home.inbox, alone.inbox, dirs_exist_ok=True)
    assert run_lnw(alone, "run") == 0
    assert warehouse(home) == warehouse(alone)


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from warehouse.lock import open_warehouse

    path, name, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for n in range(rounds):
        with open_warehouse(path) as con:
            con.execute("CREATE TABLE IF NOT EXISTS main.lock_test (writer TEXT, n INT)")
            con.execute("INSERT INTO main.lock_test VALUES (?, ?)", [name, n])
            time.sleep(0.01)  # hold it a little, as a real write does
    """
)


def test_concurrent_writers_wait_for_the_warehouse_instead_of_failing(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(database), f"w{n}", "15"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    con = duckdb.connect(str(database), read_only=True)
    try:
        counts = con.execute(
            "SELECT writer, count(*) FROM main.lock_test GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    assert counts == [("w0", 15), ("w1", 15), ("w2", 15)]
