"""A follower analytics workbook is judged by its FOLLOWERS sheet alone."""

import io

import xlsxwriter

from transforms.follower_analytics import parse_follower_analytics


def workbook(sheets: dict[str, list[list[str]]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for number, row in enumerate(rows):
            sheet.write_row(number, 0, row)
    book.close()
    return buffer.getvalue()


FOLLOWERS = [
    ["Total followers on 2/1/2026", "1,204"],
    [],
    ["Date", "New followers"],
    ["1/31/2026", "4"],
    ["2/1/2026", "2"],
]


def test_an_empty_sheet_beside_the_followers_sheet_is_not_judged():
    data = workbook({"TOP POSTS": [], "FOLLOWERS": FOLLOWERS, "Empty": []})
    series = parse_follower_analytics(data, source="Content.xlsx")
    assert series["followers"].to_list() == [1202, 1204]


def test_a_broken_other_sheet_is_not_judged_either():
    data = workbook({"DISCOVERY": [["Total followers on someday", "lots"]], "FOLLOWERS": FOLLOWERS})
    series = parse_follower_analytics(data, source="Content.xlsx")
    assert series["followers"].to_list() == [1202, 1204]


def test_a_renamed_followers_sheet_is_found_past_an_empty_one():
    data = workbook({"Leere": [], "SEGUIDORES": FOLLOWERS})
    series = parse_follower_analytics(data, source="Content.xlsx")
    assert series["followers"].to_list() == [1202, 1204]
