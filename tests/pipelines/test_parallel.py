"""Accounts loaded in parallel (`lnw run --workers 2`, job load_accounts on the multiprocess
executor) end in exactly the warehouse that one run per snapshot builds, and processes that
share the warehouse wait for each other instead of failing on DuckDB's file lock."""

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
from pipelines.checks import ALL_CHECKS
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


def recorded(home: Home) -> dict[str, set[str]]:
    """What the Dagster UI shows: the partitions of each asset with a materialization, and
    the failed checks' partitions."""
    with dg.DagsterInstance.from_config(str(home.dagster)) as instance:
        shown = {
            key: instance.get_materialized_partitions(dg.AssetKey(key.split("/")))
            for key in (
                "raw/connections",
                "core/relationship_snapshots",
                "core/relationship_history",
            )
        }
        for spec in (s for checks in ALL_CHECKS for s in checks.check_specs):
            if spec.partitions_def is None:
                continue  # the metrics' check, run after the load either way
            history = instance.event_log_storage.get_asset_check_execution_history(
                spec.key, limit=100
            )
            # A check planned but skipped (after a blocking failure) has no evaluation.
            events = [r.event.dagster_event.event_specific_data for r in history if r.event]
            evaluations = [e for e in events if isinstance(e, dg.AssetCheckEvaluation)]
            shown[f"{spec.asset_key.to_user_string()} {spec.name}"] = {
                (e.partition, e.passed, e.severity.value, e.blocking) for e in evaluations
            }
    return shown


def test_parallel_accounts_build_the_same_warehouse_as_one_run_per_snapshot(tmp_path, inbox):
    one_by_one, code = load(tmp_path / "one-by-one", inbox)
    parallel, parallel_code, output = load_in_a_new_process(
        tmp_path / "parallel", inbox, "--workers", "2"
    )

    # The partial export fails the load both ways, and reaches neither history nor metrics.
    assert code == parallel_code == 1
    expected = warehouse(one_by_one)
    assert warehouse(parallel) == expected
    merged = {(a, d) for a, d, _, is_merged in expected["merged"] if is_merged}
    assert len(merged) == 8 and ("team-b", DAYS[1]) not in merged
    assert ("team-b", DAYS[2]) in merged  # the next snapshot still loads
    assert {(a, d) for a, d, *_ in expected["reach"]} == merged

    # The UI tells the same story: the same partitions materialized, the same checks
    # evaluated on each (the connections cap and the history invariants included), with the
    # same outcome, severity and blocking flag: the gate failed once, the rest passed.
    shown = recorded(parallel)
    assert shown == recorded(one_by_one)
    assert len(shown["core/relationship_history"]) == 8
    gate = shown["core/relationship_snapshots partial_export_gate"]
    assert {p for p, passed, *_ in gate if not passed} == {PARTIAL}
    assert shown["raw/connections connections_within_linkedin_cap"] == {
        (f"{a}:{d}", True, "WARN", False) for a in ("me", "team-a", "team-b") for d in DAYS
    }
    assert shown["core/relationship_history history_has_one_current_row"] == {
        (f"{a}:{d}", True, "ERROR", True) for a, d in merged
    }
    # And the terminal as quiet as one run per snapshot: no Dagster debug lines nor warnings
    # from the step processes.
    assert "lnw: summary" in output
    assert " - DEBUG - " not in output and "Warning" not in output, output

    # Loading again changes nothing: the partial export is still pending, still blocked.
    assert run_lnw(parallel, "run", "--workers", "2") == 1
    assert warehouse(parallel) == expected
    # Accepted deliberately, it is merged like any other snapshot.
    assert run_lnw(parallel, "run", "--workers", "2", "--accept-partial", PARTIAL) == 0
    merged_now = {(a, d) for a, d, _, is_merged in warehouse(parallel)["merged"] if is_merged}
    assert merged_now == merged | {("team-b", DAYS[1])}


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
