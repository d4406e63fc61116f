"""deploy/definitions.py with LNW_EXECUTOR=celery: account partitions run as two concurrent
runs whose steps are Celery tasks on a real Redis broker and a real worker, with Dagster's
storage in Postgres and the warehouse pool keeping DuckDB's single writer safe."""

import datetime as dt
import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from lnw.inbox import scan_inbox
from lnw.samples import write_account_exports
from tests.scale.conftest import DEPLOY

ROOT = DEPLOY.parent
BIN = Path(sys.executable).parent
DAY = dt.date(2026, 11, 6)


@pytest.fixture
def celery_environment(deployed_home, redis_service) -> dict[str, str]:
    # DAGSTER_POSTGRES_* are already set by the `postgres` fixture behind deployed_home.
    return {
        **os.environ,
        # The worker shells out to `celery`: the project's environment must come first.
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DAGSTER_HOME": str(deployed_home.dagster),
        "LNW_HOME": str(deployed_home.root),
        "LNW_EXECUTOR": "celery",
        "LNW_CELERY_BROKER": redis_service.url(0),
        "LNW_CELERY_BACKEND": redis_service.url(1),
    }


@pytest.fixture
def celery_worker(celery_environment, tmp_path):
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            str(BIN / "dagster-celery"),
            "worker",
            "start",
            "-A",
            "dagster_celery.app",
            "-y",
            str(DEPLOY / "celery" / "executor.yaml"),
            "--name",
            "lnw-test",
        ],
        cwd=ROOT,
        env=celery_environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group: the `celery` process it starts is stopped with it.
        start_new_session=True,
    )
    yield worker
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
    log.close()


def launch(partition: str, environment: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "dagster"),
            "job",
            "execute",
            "-f",
            str(DEPLOY / "definitions.py"),
            "-j",
            "ingest_snapshot",
            "--tags",
            json.dumps({"dagster/partition": partition, "lnw/account": partition.split(":")[0]}),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_account_partitions_run_concurrently_on_celery_workers(
    deployed_home, postgres, celery_environment, celery_worker
):
    import dagster as dg

    for seed, account in enumerate(("ana", "ben")):
        write_account_exports(
            deployed_home.inbox,
            account,
            [DAY],
            n_connections=50,
            n_followers=60,
            n_messages=20,
            seed=seed,
        )
    partitions = sorted({item.partition_key for item in scan_inbox(deployed_home.inbox).items})
    assert partitions == ["ana:2026-11-06", "ben:2026-11-06"]
    with dg.DagsterInstance.from_config(str(deployed_home.dagster)) as instance:
        instance.add_dynamic_partitions("snapshots", partitions)

    runs = [launch(partition, celery_environment) for partition in partitions]
    outputs = [run.communicate(timeout=540)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0], "\n".join(o[-3000:] for o in outputs)
    statuses = postgres.query(
        "SELECT r.status, t.value FROM runs r JOIN run_tags t ON t.run_id = r.run_id"
        " WHERE t.key = 'dagster/partition' ORDER BY t.value"
    )
    assert statuses == [("SUCCESS", "ana:2026-11-06"), ("SUCCESS", "ben:2026-11-06")]
    # Every step went through the broker, none ran inside the launching process.
    submitted = postgres.query(
        "SELECT count(*) FROM event_logs WHERE event LIKE %s", "%Submitting celery task%"
    )[0][0]
    step_starts = postgres.query(
        "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'STEP_START'"
    )[0][0]
    assert submitted == step_starts > 0
    # Every step of this job opens the warehouse, so the `warehouse` pool (one slot, held in
    # Postgres) must have let no two of them run at once, across the two runs and the
    # worker's two processes.
    spans = postgres.query(
        "SELECT run_id, step_key, dagster_event_type, timestamp FROM event_logs"
        " WHERE dagster_event_type IN ('STEP_START', 'STEP_SUCCESS')"
    )
    starts = {(r, s): ts for r, s, kind, ts in spans if kind == "STEP_START"}
    ends = {(r, s): ts for r, s, kind, ts in spans if kind == "STEP_SUCCESS"}
    intervals = sorted((starts[key], ends[key]) for key in starts)
    assert len({run for run, _ in starts}) == 2
    (_, first_end), (second_start, _) = postgres.query(
        "SELECT start_time, end_time FROM runs ORDER BY start_time"
    )
    assert second_start < first_end, "the two runs did not overlap: nothing was contended"
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(intervals))

    con = duckdb.connect(str(deployed_home.warehouse), read_only=True)
    try:
        current = con.sql(
            "SELECT account, count(*) FROM core.relationship_history"
            " WHERE is_current GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert [account for account, _ in current] == ["ana", "ben"]
    assert all(people >= 50 for _, people in current)
