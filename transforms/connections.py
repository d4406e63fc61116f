"""Connections.csv: the member's first-degree connections at export time."""

from __future__ import annotations

import polars as pl

from transforms.csv_reader import CsvTable, read_export_csv
from transforms.dates import CONNECTED_ON_FORMATS, parse_column
from transforms.privacy import salted_email_hash

COLUMNS = {
    "first_name": ("First Name", "FirstName"),
    "last_name": ("Last Name", "LastName"),
    # Absent before 2024: older rows get a weak key from name and company.
    "profile_url": ("URL", "Profile URL", "ProfileUrl"),
    "email": ("Email Address", "Email"),
    "company": ("Company",),
    "position": ("Position",),
    "connected_on": ("Connected On", "ConnectedOn"),
}
# The columns a file cannot lack (inbox.archive keeps the same columns, minimized).
REQUIRED = ("first_name", "last_name", "connected_on")

RAW_SCHEMA = {
    "row_number": pl.Int64,
    "first_name": pl.String,
    "last_name": pl.String,
    "profile_url": pl.String,
    "email_hash": pl.String,
    "company": pl.String,
    "position": pl.String,
    "connected_on": pl.Date,
}


def parse_connections(
    data: bytes, *, source: str, email_salt: str, table: CsvTable | None = None
) -> CsvTable:
    """Rows as exported (names trimmed), dates parsed, emails replaced by salted hashes.

    Blank-person rows (every field but the date empty: deactivated members) are kept here;
    the core layer counts them apart as unidentified connections.
    ``table``: the file as `read_export_csv` already read it with COLUMNS, if the caller has it.
    """
    if table is None:
        table = read_export_csv(data, source=source, columns=COLUMNS, required=REQUIRED)
    frame = parse_column(table.frame, "connected_on", CONNECTED_ON_FORMATS, pl.Date, source=source)
    frame = frame.with_columns(
        salted_email_hash(frame["email"], email_salt).alias("email_hash")
    ).select(list(RAW_SCHEMA))
    return CsvTable(frame=frame.cast(RAW_SCHEMA), encoding=table.encoding, resaved=table.resaved)
