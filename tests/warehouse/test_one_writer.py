"""One writer at a time, and readers are never turned away by it."""

import datetime as dt
import subprocess
import sys

import duckdb
import pytest
import yaml

from inbox.home import Home
from lnw.samples import write_account_exports
from pipelines.definitions import defs
from pipelines.resources import WAREHOUSE_POOL
from tests.conftest import run_lnw
from tests.warehouse.loader import load_inbox

HOLD_THE_FILE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("BEGIN TRANSACTION")
con.execute("DELETE FROM marts.reach")
print("writing", flush=True)
sys.stdin.read()
"""


def test_lnw_sql_answers_while_another_process_holds_the_warehouse_for_writing(tmp_path, capsys):
    home = Home(tmp_path).ensure()
    write_account_exports(
        home.inbox,
        "me",
        [dt.date(2026, 9, 4)],
        n_connections=30,
        n_followers=40,
        n_messages=20,
        seed=7,
    )
    load_inbox(home.root)
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, str(home.warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        # DuckDB turns away every other process, even a read-only one...
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(home.warehouse), read_only=True)
        # ...so `lnw sql` reads the copy published after the last successful run.
        capsys.readouterr()
        assert (
            run_lnw(home, "sql", "--format", "csv", "select connections from analytics.reach") == 0
        )
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "connections" and int(out[1]) > 0
    finally:
        writer.communicate("", timeout=30)


def test_metric_steps_queue_in_one_pool_and_loads_take_the_warehouse_lock_only(tmp_path):
    graph = defs.resolve_asset_graph()
    # The report reads only the published copy, which never holds DuckDB's lock. An account's
    # load holds the warehouse's OS lock only while DuckDB works (warehouse/lock.py), so that
    # accounts parse and classify side by side: it takes no pool slot for its whole step.
    pools = {
        a.node_def.name: a.node_def.pool
        for a in graph.assets_defs
        if a.is_executable and a.node_def.name != "report"
    }
    pools |= {c.node_def.name: c.node_def.pool for c in defs.asset_checks or []}
    assert pools.pop("load_account") is None
    assert set(pools) == {
        "marts",
        "analytics_views",
        "marts__reach_metric_identities_hold",
    }
    assert set(pools.values()) == {WAREHOUSE_POOL}
    home = Home(tmp_path).ensure()
    config = yaml.safe_load((home.dagster / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1
