"""One export per format year (2018-2026), written by the sample generator from the same
network: every year's format loads, and gives the same people and the same counts."""

import collections
import datetime as dt
import zipfile

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import FORMAT_YEARS, write_account_exports
from tests.conftest import run_lnw

DAY = dt.date(2026, 1, 10)
# A seed whose people all have distinct names: without URLs (before 2024) two people of the
# same name and company cannot be told apart, by us or by anyone.
SEED = 4


@pytest.fixture(scope="module")
def years(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("format-years")).ensure()
    truths = {}
    for year in FORMAT_YEARS:
        [truth] = write_account_exports(
            home.inbox,
            f"y{year}",
            [DAY],
            n_connections=40,
            n_followers=50,
            n_messages=40,
            seed=SEED,
            follower_list_for=set(),
            format_year=year,
        )
        truths[year] = truth
    code = run_lnw(home, "run")
    con = duckdb.connect(str(home.published), read_only=True)
    yield home, truths, code, con
    con.close()


def row(con, view: str, year: int) -> dict:
    cursor = con.execute(f"SELECT * FROM analytics.{view} WHERE account = ?", [f"y{year}"])
    values = cursor.fetchall()
    assert len(values) == 1, (view, year)
    return dict(zip([d[0] for d in cursor.description], values[0], strict=True))


def test_every_format_year_loads(years):
    _, _, code, con = years
    assert code == 0
    accounts = con.execute("SELECT account FROM analytics.reach ORDER BY 1").fetchall()
    assert accounts == [(f"y{year}",) for year in FORMAT_YEARS]


def test_the_generator_writes_each_years_own_format(years):
    _, truths, _, _ = years
    with zipfile.ZipFile(truths[2018].files[0]) as bundle:
        assert "Messages.csv" in bundle.namelist()
        connections = bundle.read("Connections.csv").decode()
        messages = bundle.read("Messages.csv").decode()
    assert connections.startswith("First Name,Last Name,Email Address,Company,Position,")
    assert ' PM"' in connections or ' AM"' in connections
    assert messages.startswith("From,To,Date,Subject,Content,Direction,Folder\n")
    with zipfile.ZipFile(truths[2022].files[0]) as bundle:
        assert bundle.read("Connections.csv").startswith(b"Notes:\n")
        assert b"URL" not in bundle.read("Connections.csv").split(b"\n")[3]
        assert b"inviterProfileUrl" not in bundle.read("Invitations.csv")
    with zipfile.ZipFile(truths[2026].files[0]) as bundle:
        header = bundle.read("messages.csv").split(b"\n")[0]
    assert header.startswith(b'"CONVERSATION ID","CONVERSATION TITLE"')
    assert header.endswith(b'"FOLDER","ATTACHMENTS"')


def test_the_sample_people_have_distinct_names(years):
    _, truths, _, _ = years
    names = collections.Counter(p.full_name.lower() for p in truths[2026].people.values())
    assert max(names.values()) == 1


@pytest.mark.parametrize("year", FORMAT_YEARS)
def test_each_year_gives_the_same_connections_and_counts(years, year):
    _, truths, _, con = years
    truth = truths[year]
    reach = row(con, "reach", year)
    capacity = row(con, "messaging_capacity", year)
    assert reach["connections"] == len(truth.connections)
    assert reach["unidentified_connections"] == truth.unidentified_connections
    assert capacity["pending_outbound"] == len(truth.pending_outbound)
    assert capacity["pending_inbound"] == len(truth.pending_inbound)
    if year >= 2024:
        assert capacity["active_conversations_90d"] == len(truth.active_90d)
    else:
        # Connections have URLs only since 2024 (and messages recipients' URLs since about
        # then): earlier files cannot say which connections the member talks to, so the
        # figure is unknown rather than an undercount.
        assert capacity["active_conversations_90d"] is None
        assert capacity["dormant_connections"] is None


@pytest.mark.parametrize("year", FORMAT_YEARS)
def test_each_year_gives_the_same_people(years, year):
    _, truths, _, con = years
    truth = truths[year]
    names = con.execute(
        "SELECT full_name, company, relationship FROM analytics.current_relationships "
        "WHERE account = ?",
        [f"y{year}"],
    ).fetchall()
    connections = {(n, c) for n, c, r in names if r == "connection"}
    expected = {(truth.people[k].full_name, truth.people[k].company) for k in truth.connections}
    assert connections == expected
    pending = {n for n, _, r in names if r == "pending_outbound"}
    assert pending == {truth.people[k].full_name for k in truth.pending_outbound}


def message_texts(truths) -> set[str]:
    """Message bodies and invitation notes of every year's files, long enough to be telling."""
    import csv
    import io

    texts: set[str] = set()
    for truth in truths.values():
        with zipfile.ZipFile(truth.files[0]) as bundle:
            for name in bundle.namelist():
                if name.lower() not in ("messages.csv", "invitations.csv"):
                    continue
                rows = list(csv.DictReader(io.StringIO(bundle.read(name).decode())))
                for row in rows:
                    for column in ("CONTENT", "Content", "Message"):
                        text = (row.get(column) or "").strip()
                        if len(text) >= 12:
                            texts.add(text)
    return texts


def test_no_message_body_or_note_is_stored_anywhere(years):
    home, truths, _, con = years
    texts = message_texts(truths)
    assert len(texts) > 10, "the samples should hold message bodies and invitation notes"
    # Through SQL: every text column of every table and view, so that compression in the
    # file cannot hide a body from the byte scan below.
    columns = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type LIKE 'VARCHAR%' AND table_schema NOT IN ('information_schema', "
        "'pg_catalog')"
    ).fetchall()
    assert columns
    probes = sorted(texts)
    for schema, table, column in columns:
        found = con.execute(
            f'SELECT count(*) FROM "{schema}"."{table}", unnest(?) AS p(probe) '
            f'WHERE contains("{column}", probe)',
            [probes],
        ).fetchall()[0][0]
        assert found == 0, f"{schema}.{table}.{column} holds a message text"
    # And byte by byte: the warehouse, its published copy and Dagster's storage (run logs).
    fragments = {t.split("\n")[0][:40].encode() for t in texts if len(t.split("\n")[0]) >= 12}
    stored = [home.warehouse, home.published, *home.dagster.rglob("*")]
    for path in stored:
        if path.is_file():
            data = path.read_bytes()
            leaked = [f for f in fragments if f in data]
            assert not leaked, f"{path} holds {leaked[:2]}"
