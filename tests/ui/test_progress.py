"""`lnw run` and `lnw demo` tell what they do while they do it, and sum it up at the end."""

import datetime as dt
import re

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw


def test_run_shows_items_stages_and_a_summary_table(tmp_path, capsys):
    home = Home(tmp_path / "home").ensure()
    write_account_exports(
        home.inbox, "me", [dt.date(2026, 10, 2)], n_connections=20, n_followers=20,
        n_messages=10, seed=9,
    )  # fmt: skip
    bad = home.inbox / "me" / "followers_2026-10-16.csv"
    bad.write_text("profileUrl,fullName\nhttps://www.linkedin.com/in/a,A,extra,fields\n")
    assert run_lnw(home, "run") == 2
    err = capsys.readouterr().err.splitlines()
    at = err.index("lnw: loading 1 account(s), in this process: me")
    assert re.match(r"lnw:       accounts_to_load \d+\.\d s, me \d+\.\d s, ", err[at + 1])
    assert re.search(r"checks (\d+)/\1 passed", err[at + 1]), "every check passed, and says so"
    # The list of 16 October was quarantined: it makes no snapshot.
    assert err[at + 1].endswith("; 1 snapshot(s) written")
    assert any("each with a .reason.txt: fix the file" in line for line in err)
    summary = err[err.index("lnw: summary") + 1 :]
    table = {line[6:].rsplit("  ", 1)[0].strip(): line.rsplit(" ", 1)[-1] for line in summary}
    assert table["items loaded"] == "2"
    assert table["items quarantined"] == "1"
    assert table["items skipped (already loaded)"] == "0"
    assert table["snapshots written"] == "1"
    assert table["failed runs"] == "0"

    assert run_lnw(home, "run") == 0
    summary = capsys.readouterr().err.split("lnw: summary")[1]
    assert "items skipped (already loaded)         2" in summary
