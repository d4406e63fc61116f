"""The whole pipeline on generated exports with known answers: every layer, real runs."""

import itertools

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_demo_inbox
from tests.conftest import run_lnw


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("demo-home")).ensure()
    truths = write_demo_inbox(home.inbox, seed=11)
    code = run_lnw(home, "run")
    con = duckdb.connect(str(home.published), read_only=True)
    yield home, truths, code, con
    con.close()


def view(con, name: str) -> dict[tuple, dict]:
    rows = con.execute(f"SELECT * FROM analytics.{name}").fetchall()
    columns = [d[0] for d in con.description]
    return {(r[0], r[1]): dict(zip(columns, r, strict=True)) for r in rows}


def test_the_run_succeeds_with_one_reach_row_per_account_and_snapshot(demo):
    _, truths, code, con = demo
    assert code == 0
    assert set(view(con, "reach")) == {(t.account, t.snapshot_date) for t in truths}


def test_class_counts_match_the_generated_truth(demo):
    _, truths, _, con = demo
    reach = view(con, "reach")
    capacity = view(con, "messaging_capacity")
    for truth in truths:
        row = reach[(truth.account, truth.snapshot_date)]
        connected = set(truth.connections)
        assert truth.followers is not None
        expected = {
            "connections": len(connected),
            "unidentified_connections": truth.unidentified_connections,
            "followers": len(truth.followers),
            "mutual": len(connected & truth.followers),
            "connection_only": len(connected - truth.followers),
            "follower_only": len(truth.followers - connected),
            "followers_source": "list",
        }
        assert {k: row[k] for k in expected} == expected, (truth.account, truth.snapshot_date)
        cap = capacity[(truth.account, truth.snapshot_date)]
        assert cap["pending_outbound"] == len(truth.pending_outbound)
        assert cap["pending_inbound"] == len(truth.pending_inbound)
        assert cap["active_conversations_90d"] == len(truth.active_90d)
        assert cap["messageable"] == len(connected)


def test_changes_are_measured_against_the_previous_snapshot(demo):
    _, truths, _, con = demo
    reach = view(con, "reach")
    by_account: dict[str, list] = {}
    for truth in sorted(truths, key=lambda t: t.snapshot_date):
        by_account.setdefault(truth.account, []).append(truth)
    for snapshots in by_account.values():
        first = reach[(snapshots[0].account, snapshots[0].snapshot_date)]
        assert first["new_connections"] is None and first["new_followers"] is None
        for before, after in itertools.pairwise(snapshots):
            row = reach[(after.account, after.snapshot_date)]
            assert row["new_connections"] == len(set(after.connections) - set(before.connections))
            assert row["lost_connections"] == len(set(before.connections) - set(after.connections))
            assert row["new_followers"] == len(after.followers - before.followers)
            assert row["lost_followers"] == len(before.followers - after.followers)


def test_current_relationships_hold_the_latest_snapshot_of_each_account(demo):
    _, truths, _, con = demo
    latest = {}
    for truth in truths:
        if truth.account not in latest or truth.snapshot_date > latest[truth.account].snapshot_date:
            latest[truth.account] = truth
    for account, truth in latest.items():
        keys = {
            r[0]
            for r in con.execute(
                "SELECT person_key FROM analytics.current_relationships "
                "WHERE account = ? AND relationship IN ('mutual', 'connection_only')",
                [account],
            ).fetchall()
        }
        assert keys == set(truth.connections)


def test_history_has_one_current_row_per_person_present_at_the_latest_snapshot(demo):
    _, _, _, con = demo
    several = con.execute(
        "SELECT account, person_key FROM analytics.relationship_history WHERE is_current "
        "GROUP BY ALL HAVING count(*) > 1"
    ).fetchall()
    assert several == []
    current = con.execute(
        "SELECT count(*) FROM analytics.relationship_history WHERE is_current"
    ).fetchall()[0][0]
    people = con.execute("SELECT count(*) FROM analytics.current_relationships").fetchall()[0][0]
    assert current == people


def test_a_second_run_on_the_same_inbox_changes_nothing(demo, capsys):
    home, _, _, _ = demo
    con = duckdb.connect(str(home.published), read_only=True)
    before = con.execute("SELECT * FROM core.relationship_history ORDER BY ALL").fetchall()
    con.close()
    capsys.readouterr()
    assert run_lnw(home, "run") == 0
    printed = capsys.readouterr().out
    assert "loaded " not in printed
    assert printed.count("skipped") == len(list(home.inbox.rglob("*.zip"))) + len(
        list(home.inbox.rglob("followers_*.csv"))
    ) + len([p for p in home.inbox.glob("*/*") if p.is_dir()])
    con = duckdb.connect(str(home.warehouse), read_only=True)
    assert con.execute("SELECT * FROM core.relationship_history ORDER BY ALL").fetchall() == before
    con.close()


def test_no_email_or_message_body_reaches_the_warehouse_or_dagster_storage(demo):
    home, _, _, _ = demo
    import re
    import zipfile

    secrets: set[bytes] = set()
    for archive in home.inbox.rglob("*.zip"):
        with zipfile.ZipFile(archive) as bundle:
            for name in bundle.namelist():
                text = bundle.read(name).decode("utf-8", errors="ignore")
                secrets.update(m.encode() for m in re.findall(r"[\w.+-]+@example\.\w+", text))
    assert secrets, "the sample data should contain emails"
    stored = [home.warehouse, home.published, *home.dagster.rglob("*")]
    for path in stored:
        if path.is_file():
            data = path.read_bytes()
            leaked = [s for s in secrets if s in data]
            assert not leaked, f"{path} holds {leaked[:3]}"
