"""A load killed anywhere (SIGKILL) leaves a consistent warehouse; the next run finishes it.

The guarantee, precisely:
- readers (`lnw sql`, the published copy) see the warehouse of the last completed run, whole:
  the copy is replaced by an atomic rename after the metrics are written;
- in the warehouse file itself, every step is one DuckDB transaction: an inbox item's raw rows,
  a snapshot together with its history merge, all the stale metrics. So a snapshot is never
  visible half-way in analytics.*: it is there with its history, or not at all, and the
  history always agrees with the snapshots it was merged from;
- the next run finds what was cut short (raw items without their snapshot, metrics or
  publication behind) and completes it to exactly what an uninterrupted run gives.
"""

import datetime as dt
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw
from tests.warehouse.loader import load_inbox, load_until_killed
from warehouse import database
from warehouse.database import connect

# Minutes of real processes and servers: left out of the fast tier (-m 'not slow').
pytestmark = pytest.mark.slow

DATES = [dt.date(2026, 9, 4) + dt.timedelta(weeks=w) for w in range(4)]
KILLS = 24


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A home that loaded weeks 1 and 3, with week 2 (late) and week 4 (new) in its inbox."""
    root = tmp_path_factory.mktemp("template")
    home = Home(root).ensure()
    truths = write_account_exports(
        home.inbox, "me", DATES, n_connections=40, n_followers=50, n_messages=30, seed=11
    )
    held = root / "held"
    held.mkdir()
    for truth in truths:
        if truth.snapshot_date in (DATES[1], DATES[3]):
            for item in truth.files:
                shutil.move(item, held / item.name)
    load_inbox(root)
    for item in held.iterdir():
        shutil.move(item, home.inbox / "me" / item.name)
    held.rmdir()
    return root


def copy_of(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def outcome(root: Path) -> dict[str, list[tuple]]:
    """What a run leaves that must not depend on interruptions (no load timestamps)."""
    home = Home(root)
    con = connect(home.warehouse)
    tables = {
        "history": "SELECT * FROM core.relationship_history",
        "snapshots": "SELECT * EXCLUDE (built_at, merged_at) FROM core.snapshots",
        "relationships": "SELECT * FROM core.relationship_snapshots",
        **{t: f"SELECT * FROM {t}" for t in ("marts.reach", "marts.messaging_capacity")},
        "relevance": "SELECT * FROM marts.network_relevance",
        "contacts": "SELECT * FROM marts.contact_relevance",
    }
    state = {name: con.execute(f"{sql} ORDER BY ALL").fetchall() for name, sql in tables.items()}
    con.close()
    published = duckdb.connect(str(home.published), read_only=True)
    for view in ("reach", "relationship_history", "relationship_events", "current_relationships"):
        state[f"published {view}"] = published.execute(
            f"SELECT * FROM analytics.{view} ORDER BY ALL"
        ).fetchall()
    published.close()
    return state


def assert_consistent(con: duckdb.DuckDBPyConnection, reader_copy: bool = False) -> None:
    """The writer's file, or (``reader_copy``) the published copy, which holds no raw rows
    and only the latest merged snapshot of each account."""
    views = [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics'"
        ).fetchall()
    ]
    assert {"reach", "relationship_history", "relationship_events"} <= set(views)
    for view in views:
        con.execute(f"SELECT count(*) FROM analytics.{view}").fetchall()
    con.execute("SELECT count(*) FROM analytics.relationships_as_of(DATE '2026-09-20')").fetchall()

    # A snapshot is written, then merged in a second transaction (a blocking check, the
    # partial-export gate, stands between the two): unmerged, it must stay invisible.
    half_merged = con.execute(
        "SELECT count(*) FROM analytics.current_relationships AS r JOIN core.snapshots AS s "
        "USING (account, snapshot_date) WHERE s.merged_at IS NULL OR s.merged_at < s.built_at"
    ).fetchall()[0][0]
    assert half_merged == 0, "a snapshot is visible without its history merge"
    stale_metrics = con.execute(
        "SELECT count(*) FROM marts.reach AS m JOIN core.snapshots AS s "
        "USING (account, snapshot_date) WHERE s.merged_at IS NULL"
    ).fetchall()[0][0]
    assert stale_metrics == 0, "metrics of a snapshot without its history merge"
    orphans = con.execute(
        "SELECT count(*) FROM core.relationship_snapshots "
        "ANTI JOIN core.snapshots USING (account, snapshot_date)"
    ).fetchall()[0][0]
    assert orphans == 0
    if not reader_copy:
        assert_raw_items_are_whole(con)

    several_current, overlaps, not_current = con.execute(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM core.relationship_history WHERE is_current "
        "  GROUP BY account, person_key HAVING count(*) > 1)),"
        " (SELECT count(*) FROM (SELECT valid_from, lag(coalesce(valid_to, DATE '9999-12-31')) "
        "  OVER (PARTITION BY account, person_key ORDER BY valid_from) AS previous_end "
        "  FROM core.relationship_history) WHERE previous_end > valid_from),"
        " (SELECT count(*) FROM core.relationship_history "
        "  WHERE is_current <> (valid_to IS NULL))"
    ).fetchall()[0]
    assert (several_current, overlaps, not_current) == (0, 0, 0)
    # The history says, for every merged snapshot, exactly who was there and how.
    disagreements = con.execute(
        """
        WITH merged AS (
            SELECT account, snapshot_date FROM core.snapshots WHERE merged_at IS NOT NULL
            AND ($latest_only = false OR (account, snapshot_date) IN (
                SELECT account, max(snapshot_date) FROM core.snapshots
                WHERE merged_at IS NOT NULL GROUP BY account))
        ),
        covering AS (
            SELECT m.account, m.snapshot_date, h.person_key, h.attributes_hash
            FROM merged AS m JOIN core.relationship_history AS h
              ON h.account = m.account AND h.valid_from <= m.snapshot_date
             AND (h.valid_to IS NULL OR h.valid_to > m.snapshot_date)
        ),
        listed AS (
            SELECT account, snapshot_date, person_key, attributes_hash
            FROM core.relationship_snapshots JOIN merged USING (account, snapshot_date)
        )
        SELECT count(*) FROM (
            (SELECT * FROM covering EXCEPT ALL SELECT * FROM listed)
            UNION ALL (SELECT * FROM listed EXCEPT ALL SELECT * FROM covering)
        )
        """,
        {"latest_only": reader_copy},
    ).fetchall()[0][0]
    assert disagreements == 0


def assert_raw_items_are_whole(con: duckdb.DuckDBPyConnection) -> None:
    # Each raw item is whole: its rows are all there, as many as its files were read with.
    partial_items = con.execute(
        """
        WITH stored AS (
            SELECT export_id, 'connections' AS file_kind, count(*) AS n
            FROM raw.connections GROUP BY ALL
            UNION ALL SELECT export_id, 'invitations', count(*) FROM raw.invitations GROUP BY ALL
            UNION ALL SELECT export_id, 'messages', count(*) FROM raw.messages GROUP BY ALL
            UNION ALL SELECT export_id, 'followers', count(*) FROM raw.followers GROUP BY ALL
        )
        SELECT count(*) FROM raw.export_files AS f
        LEFT JOIN stored AS s USING (export_id, file_kind)
        WHERE f.row_count <> coalesce(s.n, 0)
        """
    ).fetchall()[0][0]
    assert partial_items == 0


def assert_published_copy_is_whole(home: Home) -> None:
    if not home.published.exists():
        return
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        assert_consistent(con, reader_copy=True)
        missing_metrics = con.execute(
            "SELECT count(*) FROM core.snapshots AS s ANTI JOIN marts.reach "
            "USING (account, snapshot_date) WHERE s.merged_at IS NOT NULL"
        ).fetchall()[0][0]
        stale = con.execute("SELECT count(*) FROM core.snapshots WHERE marts_stale").fetchall()
        assert (missing_metrics, stale[0][0]) == (0, 0)
    finally:
        con.close()


def test_a_load_killed_at_any_of_many_points_is_consistent_and_the_rerun_completes_it(
    template, tmp_path
):
    clean = copy_of(template, tmp_path / "clean")
    passed_before = database._crash_points_passed
    assert load_inbox(clean) == ["me"]
    points = database._crash_points_passed - passed_before
    assert points >= KILLS
    expected = outcome(clean)
    assert {r[1] for r in expected["snapshots"]} == set(DATES)

    # Forked from a server that imported the pipeline once: a child starts in milliseconds.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.warehouse.loader"])
    kill_points = sorted({1 + round(k * (points - 1) / (KILLS - 1)) for k in range(KILLS)})
    assert len(kill_points) >= 20
    for point in kill_points:
        root = copy_of(template, tmp_path / f"killed-at-{point}")
        child = context.Process(target=load_until_killed, args=(str(root), point))
        child.start()
        child.join(120)
        assert child.exitcode == -signal.SIGKILL, f"point {point} of {points} was not reached"

        home = Home(root)
        assert_published_copy_is_whole(home)
        con = connect(home.warehouse)
        try:
            assert_consistent(con)
        finally:
            con.close()

        load_inbox(root)
        assert outcome(root) == expected, f"the rerun after a kill at point {point} differs"
        shutil.rmtree(root)


def test_lnw_run_killed_mid_merge_or_mid_publication_is_finished_by_the_next_lnw_run(
    template, tmp_path, monkeypatch
):
    clean = Home(copy_of(template, tmp_path / "clean"))
    trace = tmp_path / "points.txt"
    monkeypatch.setenv("LNW_CRASH_TRACE", str(trace))
    passed_before = database._crash_points_passed
    assert run_lnw(clean, "run") == 0
    monkeypatch.delenv("LNW_CRASH_TRACE")
    labels = [line.split(" ", 1)[1] for line in trace.read_text().splitlines()]
    assert len(labels) == database._crash_points_passed - passed_before
    expected = outcome(clean.root)

    wanted = ("rebuild_account_history.sql statement", "copied for publishing")
    for label in wanted:
        point = labels.index(label) + 1
        home = Home(copy_of(template, tmp_path / f"killed-at-{point}"))
        env = {**os.environ, "LNW_CRASH_AT": str(point)}
        for name in ("LNW_HOME", "DAGSTER_HOME", "LNW_ICP"):
            env.pop(name, None)
        log = tmp_path / f"killed-at-{point}.log"
        with log.open("wb") as out:
            killed = subprocess.run(
                [sys.executable, "-m", "lnw.cli", "run", "--home", str(home.root)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=300,
            )
        assert killed.returncode == -signal.SIGKILL, log.read_text()[-2000:]
        assert_published_copy_is_whole(home)
        con = connect(home.warehouse)
        try:
            assert_consistent(con)
        finally:
            con.close()
        assert run_lnw(home, "run") == 0
        assert outcome(home.root) == expected, f"the rerun after a kill at {label!r} differs"
