"""Operating it: the jobs per purpose, an account's backfill, failure reasons on runs."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from pipelines.definitions import defs
from tests.conftest import run_lnw

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Home:
    home = Home(tmp_path_factory.mktemp("automation") / "home").ensure()
    for account, seed in (("me", 2), ("other", 4)):
        write_account_exports(
            home.inbox, account, [dt.date(2026, 9, 4), dt.date(2026, 10, 2)],
            n_connections=30, n_followers=40, n_messages=20, seed=seed,
        )  # fmt: skip
    assert run_lnw(home, "run") == 0
    return home


def history(home: Home) -> list[tuple]:
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        return con.execute("SELECT * FROM analytics.relationship_history ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_validate_lists_the_jobs_sensors_and_schedule(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path), "LNW_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = {job.name for job in defs.jobs or []}
    assert {"load_inbox", "refresh_marts", "backfill_account"} <= jobs
    assert {s.name for s in defs.sensors} >= {"inbox_sensor", "failure_reason"}
    assert [s.name for s in defs.schedules] == ["weekly_marts_refresh"]
    for name in ("load_inbox", "refresh_marts", "backfill_account"):
        assert defs.resolve_job_def(name).tags["lnw/purpose"]


def test_backfill_rebuilds_every_snapshot_of_one_account_and_changes_nothing(loaded, capsys):
    before = history(loaded)
    capsys.readouterr()
    assert run_lnw(loaded, "backfill", "me") == 0
    captured = capsys.readouterr()
    assert "backfilled   me: 2 snapshot(s) rebuilt" in captured.out
    assert history(loaded) == before
    with dg.DagsterInstance.from_config(str(loaded.dagster)) as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"lnw/purpose": "backfill"}))
    assert [r.job_name for r in runs] == ["backfill_account"]
    assert {r.tags["lnw/account"] for r in runs} == {"me"}


def test_backfill_of_an_unknown_account_names_the_known_ones(loaded, capsys):
    assert run_lnw(loaded, "backfill", "nobody") == 1
    assert "loaded accounts: me, other" in capsys.readouterr().err


def test_a_failed_run_carries_its_reason_as_a_tag(loaded, tmp_path):
    from pipelines.resources import LnwSettings
    from pipelines.sensors import failure_reason

    bad_icp = tmp_path / "icp.yaml"
    bad_icp.write_text("- just\n- a list\n")
    with dg.DagsterInstance.from_config(str(loaded.dagster)) as instance:
        result = defs.resolve_job_def("refresh_marts").execute_in_process(
            instance=instance,
            raise_on_error=False,
            resources={"lnw": LnwSettings(home=str(loaded.root), icp=str(bad_icp))},
        )
        assert not result.success
        context = dg.build_run_status_sensor_context(
            sensor_name="failure_reason",
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
        ).for_run_failure()
        failure_reason(context)
        tag = instance.get_run_by_id(result.run_id).tags["lnw/failure"]
    assert tag.startswith("marts: ")
    assert f"ICP file='{bad_icp}' is not valid: expected a YAML mapping" in tag


def test_the_inbox_sensor_leaves_items_that_lnw_run_loaded_alone(loaded):
    from pipelines.resources import LnwSettings
    from pipelines.sensors import inbox_sensor

    with dg.DagsterInstance.from_config(str(loaded.dagster)) as instance:
        context = dg.build_sensor_context(
            instance=instance, resources={"lnw": LnwSettings(home=str(loaded.root))}
        )
        assert isinstance(inbox_sensor(context), dg.SkipReason)
        newer = loaded.inbox / "me" / "followers_2026-10-16.csv"
        newer.write_text("profileUrl,fullName,headline\nhttps://www.linkedin.com/in/x,X,CEO\n")
        try:
            request = inbox_sensor(context)
        finally:
            newer.unlink()
    assert request.run_config["ops"]["accounts_to_load"]["config"] == {"accounts": ["me"]}
