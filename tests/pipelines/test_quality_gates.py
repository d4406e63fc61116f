"""Blocking checks stop bad data before it reaches the history and the metrics."""

import datetime as dt

import duckdb

from lnw.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw


def test_a_connection_dated_after_its_snapshot_blocks_the_snapshot(tmp_path, capsys):
    home = Home(tmp_path).ensure()
    write_account_exports(
        home.inbox,
        "me",
        [dt.date(2026, 10, 2)],
        n_connections=30,
        n_followers=40,
        n_messages=10,
        seed=2,
    )
    assert run_lnw(home, "run") == 0
    # A later export whose Connections.csv claims a connection made after its own date.
    bad_day = dt.date(2026, 10, 30)
    folder = home.inbox / "me" / "Complete_LinkedInDataExport_10-30-2026"
    folder.mkdir()
    (folder / "Connections.csv").write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Ann,Lee,https://www.linkedin.com/in/ann-lee,,Acme,CEO,15 Dec 2026\n"
    )
    assert run_lnw(home, "run") == 1
    out = capsys.readouterr().out
    assert "connections_are_dated_and_keyed" in out and "FAILED" in out
    con = duckdb.connect(str(home.warehouse), read_only=True)
    snapshots = con.execute("SELECT snapshot_date FROM core.snapshots").fetchall()
    history_days = con.execute(
        "SELECT DISTINCT valid_from FROM core.relationship_history"
    ).fetchall()
    con.close()
    assert (bad_day,) not in snapshots
    assert history_days == [(dt.date(2026, 10, 2),)]
