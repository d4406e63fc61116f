"""The deployment of deploy/ on one machine: exports of two accounts land in the inbox, the
daemon's inbox sensor queues a load of both, the daemon launches it (QueuedRunCoordinator,
DefaultRunLauncher), its steps (one per account) run as Celery tasks on a real Redis broker
and worker (LNW_EXECUTOR=celery), side by side, Dagster's storage is a real Postgres, and the
warehouse's OS lock keeps DuckDB's single writer safe."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psycopg2
import pytest

from lnw.samples import write_account_exports
from tests.scale.conftest import DEPLOY

# Minutes of real processes and servers: left out of the fast tier (-m 'not slow').
pytestmark = pytest.mark.slow

ROOT = DEPLOY.parent
BIN = Path(sys.executable).parent
DAY = dt.date(2026, 11, 6)
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


@pytest.fixture
def celery_environment(deployed_home, redis_service) -> dict[str, str]:
    # DAGSTER_POSTGRES_* are already set by the `postgres` fixture behind deployed_home.
    environment = {
        **os.environ,
        # The worker shells out to `celery`: the project's environment must come first.
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DAGSTER_HOME": str(deployed_home.dagster),
        "LNW_HOME": str(deployed_home.root),
        "LNW_EXECUTOR": "celery",
        "LNW_CELERY_BROKER": redis_service.url(0),
        "LNW_CELERY_BACKEND": redis_service.url(1),
        # The inbox sensor looks every 5 s instead of every minute.
        "LNW_SENSOR_INTERVAL": "5",
    }
    # Dagster's tables are created once, before the services start, as docs/scaling.md says
    # to: a worker and a daemon creating them at once on a new database race (Postgres:
    # `type "alembic_version" already exists`), and the loser's run stays STARTED forever.
    subprocess.run(
        [str(BIN / "dagster"), "instance", "migrate"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    return environment


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


@pytest.fixture
def daemon(celery_environment, tmp_path):
    """Dagster's daemon on deploy/workspace.yaml: it drains the run queue and launches each run
    with the instance's run launcher, as in a deployment."""
    log = (tmp_path / "daemon.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(DEPLOY / "workspace.yaml")],
        cwd=ROOT,
        env=celery_environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()


def wait_for_runs(postgres, job: str, timeout: float = 360) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            statuses = postgres.query(
                "SELECT status FROM runs WHERE pipeline_name = %s ORDER BY create_timestamp", job
            )
        except psycopg2.errors.UndefinedTable:
            statuses = []  # the daemon has not created Dagster's tables yet
        statuses = [status for (status,) in statuses]
        if statuses and all(s in FINISHED for s in statuses):
            return statuses
        time.sleep(2)
    raise AssertionError(f"runs not finished after {timeout} s: {statuses}")


def read_when_free(warehouse: Path, sql: str, timeout: float = 120) -> list[tuple]:
    """The refresh that the daemon's sensor starts after the loads may hold the file: DuckDB
    turns readers away meanwhile, so wait for it, as the pool makes the pipeline's own steps
    do."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            con = duckdb.connect(str(warehouse), read_only=True)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
            continue
        try:
            return con.sql(sql).fetchall()
        finally:
            con.close()


def test_two_accounts_load_side_by_side_on_celery_workers(
    deployed_home, postgres, celery_environment, celery_worker, daemon, tmp_path
):
    staging = tmp_path / "staging"
    for seed, account in enumerate(("ana", "ben")):
        write_account_exports(
            staging, account, [DAY], n_connections=50, n_followers=60, n_messages=20, seed=seed
        )
    # Both accounts' folders appear at once, as a team's sync would drop them.
    for folder in staging.iterdir():
        folder.rename(deployed_home.inbox / folder.name)
    # Nothing else to do: the inbox sensor, ticking in the daemon, queues one load of both
    # accounts, as it does for a team dropping exports into the inbox.
    assert wait_for_runs(postgres, "load_inbox") == ["SUCCESS"]
    # Every step went through the broker, none ran inside the launching process.
    submitted = postgres.query(
        "SELECT count(*) FROM event_logs e JOIN runs r ON r.run_id = e.run_id"
        " WHERE r.pipeline_name = 'load_inbox' AND e.event LIKE %s",
        "%Submitting celery task%",
    )[0][0]
    step_starts = postgres.query(
        "SELECT count(*) FROM event_logs e JOIN runs r ON r.run_id = e.run_id"
        " WHERE r.pipeline_name = 'load_inbox' AND e.dagster_event_type = 'STEP_START'"
    )[0][0]
    assert submitted == step_starts == 3  # the fan-out and one step per account
    # The two accounts' steps ran at the same time on the worker's two processes, sharing
    # the warehouse through its OS lock, and both succeeded.
    spans = postgres.query(
        "SELECT e.step_key, e.dagster_event_type, e.timestamp FROM event_logs e"
        " JOIN runs r ON r.run_id = e.run_id WHERE r.pipeline_name = 'load_inbox'"
        " AND e.step_key LIKE 'load_one_account%%'"
        " AND e.dagster_event_type IN ('STEP_START', 'STEP_SUCCESS')"
    )
    starts = {s: ts for s, kind, ts in spans if kind == "STEP_START"}
    ends = {s: ts for s, kind, ts in spans if kind == "STEP_SUCCESS"}
    assert len(starts) == len(ends) == 2
    (first, first_end), (_, second_end) = sorted(ends.items(), key=lambda kv: kv[1])
    second = next(step for step in starts if step != first)
    assert starts[second] < first_end, "the two accounts did not load side by side"
    assert second_end > first_end

    current = read_when_free(
        deployed_home.warehouse,
        "SELECT account, count(*) FROM core.relationship_history"
        " WHERE is_current GROUP BY 1 ORDER BY 1",
    )
    assert [account for account, _ in current] == ["ana", "ben"]
    assert all(people >= 50 for _, people in current)
