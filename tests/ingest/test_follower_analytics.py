"""The follower analytics workbook: a daily series of totals, giving reach its followers for
snapshots that have no follower list."""

import contextlib
import datetime as dt
import io

import duckdb
import pytest
import xlsxwriter

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw
from transforms.errors import ExportFormatError
from transforms.follower_analytics import parse_follower_analytics

ANCHOR = dt.date(2026, 11, 20)
TOTAL = 5_123


def gain_of(day: dt.date) -> int:
    return day.toordinal() % 7


def workbook(
    days: list[dt.date],
    *,
    total: str | int = "5,123",
    anchor: str = "11/20/2026",
    day_format: str = "{d.month}/{d.day}/{d.year}",
    sheet: str = "FOLLOWERS",
    bad_row: bool = False,
) -> bytes:
    """What LinkedIn's analytics page exports; 2026 files store numbers as text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("DISCOVERY").write_row(0, 0, ["Overall Performance", "1/1/2026 - x"])
    followers = book.add_worksheet(sheet)
    followers.write_row(0, 0, [f"Total followers on {anchor}", total])
    followers.write_row(2, 0, ["Date", "New followers"])
    for row, day in enumerate(days, start=3):
        gain = gain_of(day)
        # Alternate text and numbers, as re-saved files mix them.
        followers.write(row, 0, day_format.format(d=day))
        followers.write(row, 1, str(gain) if row % 2 else gain)
    if bad_row:
        followers.write_row(3 + len(days), 0, ["11/21/2026", "a few"])
    book.close()
    return buffer.getvalue()


def window(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]


def expected_followers(day: dt.date) -> int:
    return TOTAL - sum(gain_of(d) for d in window(day + dt.timedelta(days=1), ANCHOR))


def test_totals_walk_back_from_the_anchor_through_daily_gains():
    days = window(dt.date(2026, 10, 1), ANCHOR)
    series = parse_follower_analytics(workbook(days), source="Content.xlsx")
    totals = dict(series.select("day", "followers").iter_rows())
    assert totals[ANCHOR] == TOTAL
    assert totals[dt.date(2026, 10, 1)] == expected_followers(dt.date(2026, 10, 1))
    assert series["anchor_date"].unique().to_list() == [ANCHOR]


def test_day_first_dates_and_localized_sheet_names_are_read():
    days = window(dt.date(2026, 11, 1), ANCHOR)
    data = workbook(
        days, anchor="20/11/2026", day_format="{d.day}/{d.month}/{d.year}", sheet="SEGUIDORES"
    )
    series = parse_follower_analytics(data, source="Content.xlsx")
    assert dict(series.select("day", "followers").iter_rows())[ANCHOR] == TOTAL


def test_a_workbook_without_follower_sheet_is_nothing_to_use():
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("TOP POSTS").write_row(0, 0, ["Post URL", "Impressions"])
    book.close()
    assert parse_follower_analytics(buffer.getvalue(), source="PostAnalytics.xlsx") is None


def test_a_value_that_is_not_a_number_names_its_row():
    days = window(dt.date(2026, 11, 10), ANCHOR)
    with pytest.raises(ExportFormatError) as error:
        parse_follower_analytics(workbook(days, bad_row=True), source="Content.xlsx")
    assert error.value.row == 4 + len(days)
    assert "a few" in str(error.value)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("analytics")).ensure()
    dates = [dt.date(2026, 10, 2), dt.date(2026, 10, 30)]
    write_account_exports(
        home.inbox,
        "me",
        dates,
        n_connections=30,
        n_followers=40,
        n_messages=20,
        seed=3,
        follower_list_for=set(),
    )
    with contextlib.redirect_stdout(io.StringIO()):
        first = run_lnw(home, "run")
    name = "Content_2025-11-21_2026-11-20_Maria+Silva.xlsx"
    (home.inbox / "me" / name).write_bytes(workbook(window(dt.date(2025, 11, 21), ANCHOR)))
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        second = run_lnw(home, "run")
    con = duckdb.connect(str(home.published), read_only=True)
    yield home, (first, second), printed.getvalue(), dates, con
    con.close()


def test_snapshots_without_follower_list_take_their_followers_from_the_workbook(runs):
    _, codes, printed, dates, con = runs
    assert codes == (0, 0)
    assert "loaded       me/Content_2025-11-21_2026-11-20_Maria+Silva.xlsx" in printed
    rows = con.execute(
        "SELECT snapshot_date, followers, audience, followers_source, follower_growth_rate, "
        "mutual FROM analytics.reach ORDER BY 1"
    ).fetchall()
    first, second = (expected_followers(d) for d in dates)
    assert [r[:4] for r in rows] == [
        (dates[0], first, first, "analytics"),
        (dates[1], second, second, "analytics"),
    ]
    assert rows[1][4] == pytest.approx((second - first) / first)
    # Follow status of each person stays unknown: no class is guessed from a total.
    assert [r[5] for r in rows] == [None, None]


def test_the_series_is_kept_day_by_day(runs):
    _, _, _, _, con = runs
    days, last = con.execute(
        "SELECT count(*), max_by(followers, day) FROM raw.follower_counts"
    ).fetchall()[0]
    assert (days, last) == (365, TOTAL)
