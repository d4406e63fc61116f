"""The home's Dagster storage: Dagster's SQLite files, kept open, readable by Dagster's own."""

from __future__ import annotations

import shutil

import dagster as dg

from inbox import home as home_module
from inbox.home import Home


@dg.op
def say_hello(context) -> int:
    context.log.info("hello")
    return 1


@dg.job
def hello():
    say_hello()


def _instance(home: Home) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home.dagster))


def test_runs_stored_by_the_home_storage_are_read_by_dagsters_own(tmp_path):
    home = Home(tmp_path / "home").ensure()
    instance = _instance(home)
    assert type(instance.event_log_storage).__name__ == "HomeEventLogStorage"
    result = hello.execute_in_process(instance=instance)
    assert result.success

    # The same files under Dagster's default SQLite storage (no storage setting at all).
    (home.dagster / "dagster.yaml").write_text(home_module._EARLIER_DAGSTER_YAMLS[0])
    stock = _instance(home)
    assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
    run = stock.get_run_by_id(result.run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    logs = [e.user_message for e in stock.all_logs(result.run_id)]
    assert "hello" in logs


def test_an_earlier_or_moved_homes_settings_are_rewritten_and_a_users_are_kept(tmp_path):
    home = Home(tmp_path / "home").ensure()
    config = home.dagster / "dagster.yaml"
    config.write_text(home_module._EARLIER_DAGSTER_YAMLS[0])
    home.ensure()
    assert "HomeStorage" in config.read_text()

    moved = Home(tmp_path / "moved")
    shutil.move(home.root, moved.root)
    moved.ensure()
    assert str(moved.dagster.resolve()) in (moved.dagster / "dagster.yaml").read_text()
    assert hello.execute_in_process(instance=_instance(moved)).success
    assert not (home.root).exists()  # nothing written where the home used to be

    mine = "telemetry:\n  enabled: false\n"
    (moved.dagster / "dagster.yaml").write_text(mine)
    moved.ensure()
    assert (moved.dagster / "dagster.yaml").read_text() == mine
