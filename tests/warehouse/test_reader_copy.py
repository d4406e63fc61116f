"""The readers' copy opens in DuckDB 1.x clients, views and macro included.

Each client is the real package from PyPI in a throwaway environment made by the test (with
uv, which the project's two commands install): DuckDB 1.0.0, the oldest the copy promises,
and the newest 1.x.
"""

import datetime as dt
import json
import os
import shutil
import subprocess

import duckdb
import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw

pytestmark = pytest.mark.slow

CLIENTS = ("duckdb==1.0.0", "duckdb>=1.5,<2")
# Run by each client: every analytics view and the macro, every row, as text.
QUERY_EVERY_VIEW = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
views = [v for (v,) in con.execute(
    "SELECT view_name FROM duckdb_views() WHERE schema_name = 'analytics' ORDER BY 1"
).fetchall()]
queries = {v: f"SELECT * FROM analytics.{v}" for v in views}
queries["relationships_as_of"] = (
    "SELECT * FROM analytics.relationships_as_of(DATE '2026-11-01')"
)
print(json.dumps({
    "version": duckdb.__version__,
    "rows": {v: sorted(repr(tuple(map(str, row))) for row in con.execute(q).fetchall())
             for v, q in queries.items()},
}))
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Home:
    home = Home(tmp_path_factory.mktemp("reader-copy") / "home").ensure()
    write_account_exports(
        home.inbox, "me", [dt.date(2026, 10, 2), dt.date(2026, 10, 30)],
        n_connections=40, n_followers=50, n_messages=30, seed=5,
    )  # fmt: skip
    write_account_exports(
        home.inbox, "team-b", [dt.date(2026, 10, 9)], n_connections=20, n_followers=0,
        n_messages=10, seed=6,
    )  # fmt: skip
    assert run_lnw(home, "run") == 0
    return home


def client(requirement: str, folder) -> str:
    """A Python with only `requirement` installed: the client a user may have."""
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv is needed to make the client's environment"
    subprocess.run([uv, "venv", "-q", "--python", "3.11", str(folder)], check=True)
    python = str(folder / "bin" / "python")
    subprocess.run([uv, "pip", "install", "-q", "--python", python, requirement], check=True)
    return python


def rows_in_duckdb_2(path) -> dict[str, list[str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        views = [
            v
            for (v,) in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE schema_name = 'analytics'"
            ).fetchall()
        ]
        queries = {v: f"SELECT * FROM analytics.{v}" for v in views}
        queries["relationships_as_of"] = (
            "SELECT * FROM analytics.relationships_as_of(DATE '2026-11-01')"
        )
        return {
            v: sorted(repr(tuple(map(str, row))) for row in con.execute(q).fetchall())
            for v, q in queries.items()
        }
    finally:
        con.close()


@pytest.mark.parametrize("requirement", CLIENTS)
def test_a_duckdb_1_client_opens_the_readers_copy_and_queries_every_view(
    published, requirement, tmp_path
):
    python = client(requirement, tmp_path / "client")
    result = subprocess.run(
        [python, "-c", QUERY_EVERY_VIEW, str(published.published)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout)
    assert seen["version"].startswith("1.")
    expected = rows_in_duckdb_2(published.published)
    assert set(seen["rows"]) == set(expected) >= {
        "reach", "messaging_capacity", "network_relevance", "account_comparison",
        "current_relationships", "relationship_history", "relationship_events",
        "relationships_as_of",
    }  # fmt: skip
    for view, rows in expected.items():
        assert seen["rows"][view] == rows, view
    assert expected["reach"] and expected["current_relationships"]


def test_the_readers_copy_is_stored_for_duckdb_1_0_and_the_warehouse_is_not(published):
    def storage(path) -> str:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{path}' AS f (READ_ONLY)")
            return con.execute(
                "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'f'"
            ).fetchall()[0][0]
        finally:
            con.close()

    assert storage(published.published).startswith("v1.0.0")
    assert storage(published.warehouse).startswith("v2")


def test_the_duckdb_cli_as_the_readme_shows_it_reads_the_views(published):
    """`uvx --from 'duckdb-cli<2' duckdb -readonly <copy>`: the README's command."""
    uv = os.environ.get("UV") or shutil.which("uv")
    query = (
        "select count(*) from analytics.reach; "
        "select count(*) from analytics.relationships_as_of(DATE '2026-11-01')"
    )
    result = subprocess.run(
        [uv, "tool", "run", "--from", "duckdb-cli<2", "duckdb", "-readonly", "-csv",
         "-noheader", str(published.published), "-c", query],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    reach, as_of = (int(line) for line in result.stdout.split())
    expected = rows_in_duckdb_2(published.published)
    assert reach == len(expected["reach"]) == 3
    assert as_of == len(expected["relationships_as_of"]) > 0
