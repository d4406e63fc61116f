"""Every malformed item of the corpus is refused with a reason a person can act on, and
disturbs nothing: the warehouse keeps what it had, and the good items beside it still load."""

import contextlib
import datetime as dt
import io
import shutil

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw
from tests.ingest.corpus import CASES, write_case

FIRST, SECOND = dt.date(2026, 1, 10), dt.date(2026, 2, 1)
RAW_TABLES = ("raw.connections", "raw.invitations", "raw.messages", "raw.followers")


def raw_counts(home: Home) -> dict[str, dict[str, int]]:
    """Rows per raw table and inbox item."""
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        counts: dict[str, dict[str, int]] = {}
        for table in RAW_TABLES:
            rows = con.execute(
                f"SELECT e.item_name, count(*) FROM {table} JOIN raw.exports AS e "
                "USING (export_id) GROUP BY ALL"
            ).fetchall()
            counts[table] = dict(rows)
        return counts
    finally:
        con.close()


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("corpus-home")).ensure()
    staging = tmp_path_factory.mktemp("staging")
    truths = write_account_exports(
        staging, "me", [FIRST, SECOND], n_connections=40, n_followers=50, n_messages=30, seed=9
    )
    folder = home.inbox / "me"
    folder.mkdir()
    for path in truths[0].files:
        shutil.move(path, folder / path.name)
    with pytest.MonkeyPatch.context() as patch:
        # A small cap, so that the size limit can be shown with files of a megabyte.
        patch.setenv("LNW_MAX_FILE_MB", "1")
        assert run_lnw(home, "run") == 0
        before = raw_counts(home)
        good = [path.name for path in truths[1].files]
        for path in truths[1].files:
            shutil.move(path, folder / path.name)
        for case in CASES:
            write_case(case, folder)
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            code = run_lnw(home, "run")
    yield home, code, before, good, printed.getvalue()


def test_the_corpus_holds_at_least_thirty_distinct_malformed_items():
    assert len({case.name for case in CASES}) == len(CASES) >= 30


def test_the_run_exits_2_when_items_were_quarantined_and_the_rest_loaded(corpus_run):
    _, code, _, _, _ = corpus_run
    assert code == 2


def test_the_good_items_beside_the_bad_ones_load(corpus_run):
    home, _, before, good, printed = corpus_run
    after = raw_counts(home)
    con = duckdb.connect(str(home.published), read_only=True)
    days = con.execute("SELECT snapshot_date FROM analytics.reach ORDER BY 1").fetchall()
    con.close()
    assert days == [(FIRST,), (SECOND,)]
    for name in good:
        kind = "follower list" if name.endswith(".csv") else "archive"
        assert f"loaded       me/{name} ({kind} of {SECOND}" in printed
    for table in RAW_TABLES:
        new_items = set(after[table]) - set(before[table])
        assert new_items <= set(good), table
    assert set(after["raw.connections"]) - set(before["raw.connections"]) == {good[0]}


def test_rows_stored_before_are_unchanged(corpus_run):
    home, _, before, _, _ = corpus_run
    after = raw_counts(home)
    for table in RAW_TABLES:
        assert {item: after[table][item] for item in before[table]} == before[table]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_malformed_item_is_quarantined_with_a_reason(corpus_run, case):
    home, _, _, _, printed = corpus_run
    assert f"quarantined  me/{case.name}: " in printed
    assert not (home.inbox / "me" / case.name).exists()
    assert (home.quarantine / "me" / case.name).exists()
    reason = (home.quarantine / "me" / f"{case.name}.reason.txt").read_text()
    assert reason.startswith(f"{case.name} (account me, observed 2026-02-01) was not loaded.")
    assert case.says.lower() in reason.lower()
    if case.member is not None:
        assert f"Inside the item: {case.member}\n" in reason
    if case.row is not None:
        assert f"Row: {case.row} " in reason
    con = duckdb.connect(str(home.warehouse), read_only=True)
    stored = con.execute(
        "SELECT count(*) FROM raw.exports WHERE item_name = ?", [case.name]
    ).fetchall()[0][0]
    con.close()
    assert stored == 0


def test_an_unexpected_error_becomes_a_reason_that_quotes_nothing_from_the_file(tmp_path):
    from inbox.discovery import InboxItem
    from inbox.items import refusal_of

    item = InboxItem(tmp_path / "odd_2026-02-01.zip", "me", SECOND, "archive", "0" * 64)
    refusal = refusal_of(item, KeyError("Hi Ken, here is my private number"))
    assert refusal.reason.startswith("odd_2026-02-01.zip could not be read: an unexpected KeyError")
    assert "private" not in refusal.reason


def test_nothing_of_a_refused_item_is_kept_in_the_archive(corpus_run):
    home, _, _, _, _ = corpus_run
    con = duckdb.connect(str(home.warehouse), read_only=True)
    kept = {row[0] for row in con.execute("SELECT archive_path FROM raw.exports").fetchall()}
    con.close()
    assert {p.relative_to(home.root).as_posix() for p in home.archive.iterdir()} == kept


def test_nothing_behind_a_link_is_read_or_copied(corpus_run):
    home, _, _, _, _ = corpus_run
    for path in home.root.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name != "secret-outside-the-home.txt":
            data = path.read_bytes()
            if path.suffix == ".zip" and "archive" in path.parts:
                import zipfile

                with zipfile.ZipFile(path) as bundle:
                    data += b"".join(bundle.read(n) for n in bundle.namelist())
            assert b"a secret outside the home" not in data, path
