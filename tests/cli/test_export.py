"""`lnw export`: the analytics views as files for tools that read no DuckDB file."""

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from inbox.home import Home
from tests.conftest import copy_of_home, run_lnw


@pytest.fixture(scope="module")
def home(small_home, tmp_path_factory) -> Home:
    # A copy of the shared home: exports are written into it by default.
    return copy_of_home(small_home[0], tmp_path_factory.mktemp("export") / "home")


def views(home: Home) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        names = [
            v
            for (v,) in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE schema_name = 'analytics'"
            ).fetchall()
        ]
        return {v: con.sql(f"SELECT * FROM analytics.{v}").pl() for v in names}
    finally:
        con.close()


@pytest.mark.parametrize("output", ["parquet", "csv"])
def test_every_view_round_trips_through_its_exported_file(home, tmp_path, output, capsys):
    out = tmp_path / output
    assert run_lnw(home, "export", "--format", output, "--out", str(out)) == 0
    expected = views(home)
    assert {p.stem for p in out.iterdir()} == set(expected)
    printed = capsys.readouterr().out
    for view, frame in expected.items():
        path = out / f"{view}.{output}"
        assert f"analytics.{view}: {frame.height:,} rows -> {path}" in printed
        if output == "parquet":
            back = pl.read_parquet(path)
        else:
            back = pl.read_csv(path, schema=frame.schema)
        assert_frame_equal(back, frame, check_row_order=False)
    assert expected["reach"].height == 2 and expected["current_relationships"].height > 0


def test_named_views_only_and_a_wrong_name_writes_nothing(home, tmp_path, capsys):
    out = tmp_path / "some"
    assert run_lnw(home, "export", "--out", str(out), "reach", "analytics.account_comparison") == 0
    assert sorted(p.name for p in out.iterdir()) == ["account_comparison.parquet", "reach.parquet"]
    wrong = tmp_path / "wrong"
    assert run_lnw(home, "export", "--out", str(wrong), "reach", "reech") == 1
    err = capsys.readouterr().err
    assert "no view analytics.reech" in err and "reach" in err
    assert not wrong.exists()


def test_exports_go_to_the_home_by_default(home):
    assert run_lnw(home, "export", "--format", "csv", "reach") == 0
    assert (home.root / "export" / "reach.csv").read_text().startswith("account,snapshot_date,")
