"""`kept_open`: one opening of the warehouse for a block of work in one process, which never
holds up a process waiting for it behind another lock."""

import signal
import subprocess
import sys
from pathlib import Path

import pytest

import warehouse.lock
from warehouse.lock import exclusive, kept_open, open_warehouse

TRY_THE_LOCK = """
import sys
from warehouse.lock import warehouse_lock
try:
    with warehouse_lock(sys.argv[1], wait=False):
        print("free")
except BlockingIOError:
    print("held")
"""

PROJECT = Path(__file__).resolve().parents[2]
LOAD_HOLDING_THE_ACCOUNT = """
import sys
from pathlib import Path
from warehouse.lock import exclusive, open_warehouse
with exclusive(Path(sys.argv[2])):
    print("account taken", flush=True)
    with open_warehouse(sys.argv[1]) as con:
        con.execute("INSERT INTO loads VALUES ('other process')")
"""


def _waited_too_long(signum, frame):
    raise TimeoutError("the two processes wait for each other")


def _lock_state(database) -> str:
    done = subprocess.run(
        [sys.executable, "-c", TRY_THE_LOCK, str(database)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=PROJECT,
    )
    return done.stdout.strip()


def test_blocks_share_one_connection_and_the_lock_is_held_until_the_end(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    with kept_open(database):
        with open_warehouse(database) as first:
            first.execute("CREATE TABLE loads (who VARCHAR)")
        assert _lock_state(database) == "held"
        with open_warehouse(database) as second:
            assert second is first
            assert second.execute("SELECT count(*) FROM loads").fetchall() == [(0,)]
    assert _lock_state(database) == "free"
    with open_warehouse(database) as con:
        assert con.execute("SELECT count(*) FROM loads").fetchall() == [(0,)]


def test_a_failed_block_leaves_the_next_one_a_fresh_connection(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    with kept_open(database):
        with pytest.raises(ValueError), open_warehouse(database) as first:
            first.execute("CREATE TABLE loads (who VARCHAR)")
            raise ValueError("the step failed")
        with open_warehouse(database) as second:
            assert second is not first
            assert second.execute("SELECT count(*) FROM loads").fetchall() == [(0,)]


def test_waiting_for_an_account_puts_the_warehouse_down_for_the_holder(tmp_path):
    database, account_lock = tmp_path / "warehouse.duckdb", tmp_path / "me.lock"
    with open_warehouse(database) as con:
        con.execute("CREATE TABLE loads (who VARCHAR)")
    with kept_open(database):
        with open_warehouse(database) as con:
            con.execute("INSERT INTO loads VALUES ('this process')")
        other = subprocess.Popen(
            [sys.executable, "-c", LOAD_HOLDING_THE_ACCOUNT, str(database), str(account_lock)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=PROJECT,
        )
        try:
            # The other process holds the account and waits for the warehouse, kept open here:
            # taking the account must let it go first instead of waiting for it forever.
            assert other.stdout.readline().strip() == "account taken"
            signal.signal(signal.SIGALRM, _waited_too_long)
            signal.alarm(60)
            try:
                with exclusive(account_lock):
                    assert other.wait(timeout=60) == 0
            finally:
                signal.alarm(0)
            with open_warehouse(database) as con:
                rows = con.execute("SELECT who FROM loads ORDER BY who").fetchall()
        finally:
            other.kill()
    assert rows == [("other process",), ("this process",)]


def test_a_kept_connection_is_closed_once_its_log_is_large(tmp_path, monkeypatch):
    database = tmp_path / "warehouse.duckdb"
    with kept_open(database):
        with open_warehouse(database) as first:
            first.execute("CREATE TABLE loads AS SELECT range AS n FROM range(100000)")
        assert _lock_state(database) == "held"
        monkeypatch.setattr(warehouse.lock, "KEPT_WAL_LIMIT", 0)
        with open_warehouse(database) as second:
            assert second is first
            second.execute("INSERT INTO loads SELECT 100000 + range FROM range(10)")
        # Closed at the block's end, so checkpointed: the rows are in the file and the lock
        # is free until the next opening.
        assert _lock_state(database) == "free"
        assert not database.with_name(database.name + ".wal").exists()
        with open_warehouse(database) as third:
            assert third is not first
            assert third.execute("SELECT count(*) FROM loads").fetchall() == [(100010,)]
