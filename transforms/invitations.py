"""Invitations.csv: connection requests sent and received in a rolling window (~10 months)."""

from __future__ import annotations

import polars as pl

from transforms.csv_reader import CsvTable, read_export_csv
from transforms.dates import SENT_AT_FORMATS, parse_column
from transforms.errors import ExportFormatError

COLUMNS = {
    "inviter_name": ("From",),
    "invitee_name": ("To",),
    "sent_at": ("Sent At", "SentAt"),
    # The note is a message body: read to be dropped, never stored.
    "message": ("Message",),
    "direction": ("Direction",),
    # Present since 2024; raw Unicode slugs, unlike Connections.csv.
    "inviter_url": ("inviterProfileUrl", "Inviter Profile Url"),
    "invitee_url": ("inviteeProfileUrl", "Invitee Profile Url"),
}
# The columns a file cannot lack (inbox.archive keeps the same columns, minimized).
REQUIRED = ("inviter_name", "invitee_name", "sent_at", "direction")

RAW_SCHEMA = {
    "row_number": pl.Int64,
    "direction": pl.String,
    "sent_at": pl.Datetime("us"),
    "inviter_name": pl.String,
    "invitee_name": pl.String,
    "inviter_url": pl.String,
    "invitee_url": pl.String,
}


def parse_invitations(data: bytes, *, source: str, table: CsvTable | None = None) -> CsvTable:
    """Sent and received invitations, dates parsed, directions checked.
    ``table``: the file as `read_export_csv` already read it with COLUMNS, if the caller has it.
    """
    if table is None:
        table = read_export_csv(data, source=source, columns=COLUMNS, required=REQUIRED)
    frame = parse_column(table.frame, "sent_at", SENT_AT_FORMATS, pl.Datetime("us"), source=source)
    frame = frame.with_columns(pl.col("direction").str.to_uppercase())
    bad = frame.filter(~pl.col("direction").is_in(["OUTGOING", "INCOMING"]))
    if not bad.is_empty():
        row = bad.row(0, named=True)
        raise ExportFormatError(
            source,
            f"column 'Direction' has {row['direction']!r}; expected OUTGOING or INCOMING",
            row=row["row_number"],
        )
    return CsvTable(
        frame=frame.select(list(RAW_SCHEMA)).cast(RAW_SCHEMA),
        encoding=table.encoding,
        resaved=table.resaved,
    )
