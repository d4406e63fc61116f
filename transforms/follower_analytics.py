"""LinkedIn's follower analytics workbook: a daily series of follower totals.

The FOLLOWERS sheet holds one anchor, ``Total followers on M/D/YYYY`` with the total beside it,
then a ``Date, New followers`` table of daily gains (linkedin-formats.md section 8). The total
of an earlier day is the anchor's total minus the gains of the days after it. Exports of 2026
store numbers and dates as text; some locales write dd/mm/yyyy and rename the sheets, so the
sheet is found by its anchor cell, not only by its name.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import polars as pl

from transforms.errors import ExportFormatError

_ANCHOR = re.compile(r"total followers on\s+(\S+)", re.IGNORECASE)
_NUMBER_NOISE = re.compile(r"[\s,\u00a0\u202f']")

SERIES_SCHEMA = {
    "row_number": pl.Int64,  # the sheet row (1-based, as Excel shows it)
    "day": pl.Date,
    "new_followers": pl.Int64,
    "followers": pl.Int64,  # total at the end of the day, walked back from the anchor
    "anchor_date": pl.Date,
}


def _sheets(data: bytes, source: str) -> Iterator[tuple[str, pl.DataFrame]]:
    """The sheets to look at, read one at a time: the FOLLOWERS sheet alone when there is one
    (the other sheets of an analytics export, posts or visitors, are not ours to judge: one of
    them empty must not refuse the workbook), else every sheet, for a locale that renamed it.
    """
    import fastexcel

    try:
        names = fastexcel.read_excel(data).sheet_names
    except Exception as exc:  # calamine's own error types: the file is not a workbook
        raise ExportFormatError(
            source, f"is not a readable Excel workbook ({type(exc).__name__})"
        ) from exc
    followers = [n for n in names if n.strip().casefold() == "followers"]
    for name in followers[:1] or names:
        try:
            sheet = pl.read_excel(
                io.BytesIO(data),
                sheet_name=name,
                has_header=False,
                infer_schema_length=0,
                # Kept so that row numbers in errors are the rows Excel shows.
                drop_empty_rows=False,
                raise_if_empty=False,
            )
        except Exception as exc:
            if followers:
                raise ExportFormatError(
                    f"{source}!{name}", f"is not a readable sheet ({type(exc).__name__})"
                ) from exc
            continue  # another sheet of a renamed workbook: not the one we read
        yield name, sheet


def _day(text: str | None, day_first: bool) -> dt.date | None:
    if text is None:
        return None
    value = text.strip().split(" ")[0]
    for fmt in ("%d/%m/%Y", "%m/%d/%Y") if day_first else ("%m/%d/%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    cleaned = _NUMBER_NOISE.sub("", text)
    try:
        return int(float(cleaned))
    except ValueError:
        return None


def _is_day_first(dates: list[str]) -> bool:
    """dd/mm/yyyy when some first part is over 12 (a pt-BR export did this)."""
    for text in dates:
        parts = text.strip().split(" ")[0].split("/")
        if len(parts) == 3 and parts[0].isdigit() and int(parts[0]) > 12:
            return True
    return False


def parse_follower_analytics(data: bytes, *, source: str) -> pl.DataFrame | None:
    """The daily follower series of the workbook; None when it has no follower sheet (an
    analytics export of posts only is not an error, just nothing to use)."""
    for name, sheet in _sheets(data, source):
        cells = sheet.select(sheet.columns[:2]) if sheet.width >= 2 else None
        if cells is None:
            continue
        cells.columns = ["label", "value"]
        cells = cells.with_row_index("row_number", offset=1)
        anchors = cells.filter(
            pl.col("label").str.contains(r"(?i)total followers on").fill_null(False)
        )
        if anchors.is_empty():
            continue
        return _series(cells, anchors.row(0, named=True), f"{source}!{name}" if name else source)
    return None


def _series(cells: pl.DataFrame, anchor: dict, source: str) -> pl.DataFrame:
    rows = cells.filter(pl.col("row_number") > anchor["row_number"])
    rows = rows.filter(pl.col("label").is_not_null() & (pl.col("label").str.strip_chars() != ""))
    # The table's own header ("Date, New followers") is not a day.
    rows = rows.filter(~pl.col("label").str.contains(r"(?i)^\s*date\s*$"))
    labels = rows["label"].to_list()
    day_first = _is_day_first([anchor["label"].split(" on ")[-1], *labels])

    match = _ANCHOR.search(anchor["label"])
    anchor_day = _day(match.group(1) if match else None, day_first)
    total = _number(anchor["value"])
    if anchor_day is None or total is None:
        raise ExportFormatError(
            source,
            f"has {anchor['label']!r} with {anchor['value']!r}: expected a date and a number "
            "(Total followers on M/D/YYYY, then the total)",
            row=anchor["row_number"],
        )
    days: list[dt.date] = []
    gains: list[int] = []
    for row_number, label, value in rows.select("row_number", "label", "value").iter_rows():
        day, gain = _day(label, day_first), _number(value)
        if day is None or gain is None:
            raise ExportFormatError(
                source,
                f"has {label!r}, {value!r} where a date and a number of new followers belong",
                row=row_number,
            )
        days.append(day)
        gains.append(gain)
    series = pl.DataFrame(
        {"row_number": rows["row_number"].cast(pl.Int64), "day": days, "new_followers": gains},
        schema={"row_number": pl.Int64, "day": pl.Date, "new_followers": pl.Int64},
    )
    if series["day"].is_duplicated().any():
        twice = series.filter(pl.col("day").is_duplicated()).row(0, named=True)
        raise ExportFormatError(source, f"lists {twice['day']} twice", row=twice["row_number"])
    # Followers at the end of a day: the anchor total minus the gains of the days after it up
    # to the anchor, that is total - gains(<= anchor) + gains(<= day); this holds for days
    # after the anchor too.
    up_to_anchor = series.filter(pl.col("day") <= anchor_day)["new_followers"].sum()
    series = series.sort("day").with_columns(
        (total - up_to_anchor + pl.col("new_followers").cum_sum()).alias("followers"),
        pl.lit(anchor_day).alias("anchor_date"),
    )
    if not (series["day"] == anchor_day).any():
        anchor_row = pl.DataFrame(
            {
                "row_number": [anchor["row_number"]],
                "day": [anchor_day],
                "new_followers": [None],
                "followers": [total],
                "anchor_date": [anchor_day],
            },
            schema=SERIES_SCHEMA,
        )
        series = pl.concat([series.select(list(SERIES_SCHEMA)).cast(SERIES_SCHEMA), anchor_row])
    return series.select(list(SERIES_SCHEMA)).cast(SERIES_SCHEMA).sort("day")
