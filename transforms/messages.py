"""messages.csv: who wrote to whom and when. Bodies, subjects and names are never kept."""

from __future__ import annotations

import polars as pl

from transforms.csv_reader import CsvTable, read_export_csv
from transforms.dates import MESSAGE_DATE_FORMATS, parse_column

COLUMNS = {
    "conversation_id": ("CONVERSATION ID",),
    "conversation_title": ("CONVERSATION TITLE",),
    "sender_name": ("FROM",),
    "sender_url": ("SENDER PROFILE URL",),
    # Not read at all: TO (display names, which themselves contain commas, so never split),
    # SUBJECT, CONTENT and FOLDER. Bodies never reach memory, and the reader skips most bytes.
    "recipient_urls": ("RECIPIENT PROFILE URLS",),
    "sent_at": ("DATE",),
    "is_message_draft": ("IS MESSAGE DRAFT",),
    "is_conversation_draft": ("IS CONVERSATION DRAFT",),
}
# The columns a file cannot lack (inbox.archive keeps the same columns, minimized).
REQUIRED = ("sender_name", "sent_at")

RAW_SCHEMA = {
    "row_number": pl.Int64,
    "conversation_id": pl.String,
    "sender_url": pl.String,
    "recipient_urls": pl.List(pl.String),
    "sent_at": pl.Datetime("us", "UTC"),
    "is_draft": pl.Boolean,
    "is_sponsored": pl.Boolean,
}


def parse_messages(data: bytes, *, source: str, table: CsvTable | None = None) -> CsvTable:
    """One row per message, with the facts the messaging metrics need and nothing else.
    ``table``: the file as `read_export_csv` already read it with COLUMNS, if the caller has it.
    """
    if table is None:
        table = read_export_csv(data, source=source, columns=COLUMNS, required=REQUIRED)
    frame = parse_column(
        table.frame, "sent_at", MESSAGE_DATE_FORMATS, pl.Datetime("us"), source=source
    )
    # Before 2022 messages.csv had no profile URLs at all: a missing sender URL then says
    # nothing about sponsorship.
    has_sender_urls = table.frame["sender_url"].is_not_null().any()
    is_yes = pl.col("is_message_draft").str.to_lowercase().is_in(["yes", "true"])
    conversation_draft = pl.col("is_conversation_draft").str.to_lowercase().is_in(["yes", "true"])
    frame = frame.select(
        "row_number",
        "conversation_id",
        "sender_url",
        pl.col("recipient_urls")
        .str.split(",")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != "")),
        pl.col("sent_at").dt.replace_time_zone("UTC"),
        (is_yes.fill_null(False) | conversation_draft.fill_null(False)).alias("is_draft"),
        # Sponsored InMail and Premium promotions have no sender profile.
        (
            (pl.col("conversation_title") == "Sponsored Conversation").fill_null(False)
            | (pl.col("sender_url").is_null() & pl.lit(has_sender_urls))
        ).alias("is_sponsored"),
    )
    return CsvTable(frame=frame.cast(RAW_SCHEMA), encoding=table.encoding, resaved=table.resaved)
