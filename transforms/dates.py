"""Per-file date formats. Each LinkedIn file has its own, and spreadsheets rewrite them."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.errors import ExportFormatError

# Connections.csv: "27 Nov 2026"; 2018 exports: "1/8/18, 6:14 PM"; then what Excel writes
# when a user re-saves the file ("5-Jan-26", "1/5/2026", "1/5/26", ISO).
CONNECTED_ON_FORMATS = (
    "%d %b %Y",
    "%m/%d/%y, %I:%M %p",
    "%d-%b-%y",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%Y-%m-%d",
)
# Invitations.csv "Sent At": US order, 12-hour clock, no timezone.
SENT_AT_FORMATS = ("%m/%d/%y, %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M", "%Y-%m-%d %H:%M:%S")
# messages.csv "DATE": explicit UTC since 2022; ISO without zone in 2020; US form in 2018.
MESSAGE_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S UTC",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%y, %I:%M %p",
)
# Scraper follow dates vary by tool; unknown forms become null rather than an error.
FOLLOWED_AT_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d %b %Y",
    "%m/%d/%Y",
)


def parse_column(
    frame: pl.DataFrame,
    column: str,
    formats: tuple[str, ...],
    dtype: type[pl.Date] | type[pl.Datetime],
    *,
    source: str,
    strict: bool = True,
) -> pl.DataFrame:
    """Replace the text ``column`` by its parsed value, trying ``formats`` in order.

    With ``strict``, the first non-empty value that no format reads is an error naming its row.
    """
    values = frame[column]
    # The first format in order that reads a value wins, as with a coalesce; but each format
    # only sees the values the ones before it could not read, so a file in its usual format
    # costs one pass instead of one per format (and the first pass reads the column as it is).
    parsed = values.str.strptime(dtype, formats[0], strict=False, exact=True)
    remaining = values.is_not_null() & parsed.is_null()
    for fmt in formats[1:]:
        rows = remaining.arg_true()
        if rows.is_empty():
            break
        attempt = values.gather(rows).str.strptime(dtype, fmt, strict=False, exact=True)
        read = attempt.is_not_null()
        parsed = parsed.scatter(rows.filter(read), attempt.filter(read))
        remaining = remaining.scatter(rows.filter(read), False)
    result = frame.with_columns(parsed.alias(f"__{column}"))
    if strict:
        bad = result.filter(pl.col(column).is_not_null() & pl.col(f"__{column}").is_null())
        if not bad.is_empty():
            row = bad.row(0, named=True)
            raise ExportFormatError(
                source,
                f"the {column.replace('_', ' ')} value {row[column]!r} is not a date in any "
                f"form this file uses (like {' or '.join(_examples(formats[:2]))})",
                row=row["row_number"],
            )
    return result.drop(column).rename({f"__{column}": column}).select(frame.columns)


def _examples(formats: tuple[str, ...]) -> list[str]:
    """A format as people read it: the date 27 Nov 2026, 6:14 PM written in it."""
    moment = dt.datetime(2026, 11, 27, 18, 14, 5)
    return [repr(moment.strftime(f.replace("%.f", ".000"))) for f in formats]
