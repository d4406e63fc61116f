"""Follower lists from browser extensions and scrapers (LinkedIn exports none)."""

from __future__ import annotations

import polars as pl

from transforms.csv_reader import CsvTable, read_export_csv
from transforms.dates import FOLLOWED_AT_FORMATS, parse_column
from transforms.identity import full_name

COLUMNS = {
    "profile_url": ("profileUrl", "Profile URL", "url", "linkedinProfileUrl", "LinkedIn URL"),
    "full_name": ("fullName", "Full Name", "name"),
    "first_name": ("firstName", "First Name"),
    "last_name": ("lastName", "Last Name"),
    "headline": ("headline", "occupation", "title", "jobTitle", "linkedinHeadline"),
    "followed_at": ("followedAt", "followed at", "follow date", "followed on", "date"),
}
# The columns a file cannot lack (inbox.archive keeps the same columns, minimized).
REQUIRED = ("profile_url",)

RAW_SCHEMA = {
    "row_number": pl.Int64,
    "profile_url": pl.String,
    "full_name": pl.String,
    "headline": pl.String,
    "followed_at": pl.Date,
}


def parse_followers(data: bytes, *, source: str, table: CsvTable | None = None) -> CsvTable:
    """One row per follower: URL, name, headline and follow date (null where unreadable).
    ``table``: the file as `read_export_csv` already read it with COLUMNS, if the caller has it.
    """
    if table is None:
        table = read_export_csv(data, source=source, columns=COLUMNS, required=REQUIRED)
    frame = table.frame.with_columns(
        pl.coalesce(
            full_name(pl.col("full_name"), pl.lit(None, dtype=pl.String)),
            full_name(pl.col("first_name"), pl.col("last_name")),
        ).alias("full_name"),
    )
    frame = parse_column(
        frame, "followed_at", FOLLOWED_AT_FORMATS, pl.Datetime("us"), source=source, strict=False
    ).with_columns(pl.col("followed_at").dt.date())
    return CsvTable(
        frame=frame.select(list(RAW_SCHEMA)).cast(RAW_SCHEMA),
        encoding=table.encoding,
        resaved=table.resaved,
    )
