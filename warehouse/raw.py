"""Raw layer: exports as they were read, append-only, each row with its export and row number."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb
import polars as pl

from warehouse.database import insert_frame, query_frame, transaction

RAW_TABLES = {
    "connections": "raw.connections",
    "invitations": "raw.invitations",
    "messages": "raw.messages",
    "followers": "raw.followers",
    "follower_counts": "raw.follower_counts",
}


@dataclass(frozen=True)
class ExportRecord:
    export_id: str
    account: str
    observed_on: dt.date
    item_name: str
    item_kind: str
    content_sha256: str
    archive_path: str
    dated_by: str = "name"


@dataclass(frozen=True)
class ParsedFile:
    file_kind: str  # a key of RAW_TABLES
    source_file: str
    encoding: str
    resaved: bool
    frame: pl.DataFrame


def loaded_export_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT export_id FROM raw.exports").fetchall()}


def load_export(
    con: duckdb.DuckDBPyConnection, export: ExportRecord, files: list[ParsedFile]
) -> dict[str, int]:
    """Store one inbox item in one transaction; loading an already stored item does nothing."""
    counts: dict[str, int] = {}
    with transaction(con):
        already = con.execute(
            "SELECT count(*) FROM raw.exports WHERE export_id = ?", [export.export_id]
        ).fetchall()[0][0]
        if already:
            return counts
        con.execute(
            "INSERT INTO raw.exports BY NAME SELECT ? AS export_id, ? AS account, "
            "? AS observed_on, ? AS item_name, ? AS item_kind, ? AS content_sha256, "
            "? AS archive_path, now() AS loaded_at, ? AS dated_by",
            [
                export.export_id,
                export.account,
                export.observed_on,
                export.item_name,
                export.item_kind,
                export.content_sha256,
                export.archive_path,
                export.dated_by,
            ],
        )
        for parsed in files:
            frame = parsed.frame.with_columns(
                pl.lit(export.export_id).alias("export_id"),
                pl.lit(parsed.source_file).alias("source_file"),
            )
            rows = insert_frame(con, RAW_TABLES[parsed.file_kind], frame)
            con.execute(
                "INSERT INTO raw.export_files VALUES (?, ?, ?, ?, ?, ?)",
                [
                    export.export_id,
                    parsed.file_kind,
                    parsed.source_file,
                    parsed.encoding,
                    parsed.resaved,
                    rows,
                ],
            )
            counts[parsed.file_kind] = counts.get(parsed.file_kind, 0) + rows
    return counts


def is_complete_export(item_name: str) -> bool:
    """Whether an item is a Complete archive (``Complete_LinkedInDataExport_...``): the fuller
    export of its day, which wins over a Basic one for each file both have."""
    return re.search(r"complete.*linkedindataexport", item_name, re.IGNORECASE) is not None


def account_exports(con: duckdb.DuckDBPyConnection, account: str | None = None) -> list[tuple]:
    """(account, export_id, observed_on, item_name, item_kind, file kinds) of the stored
    exports of ``account`` (of every account with None), in the order they were loaded."""
    return con.execute(
        """
        SELECT e.account, e.export_id, e.observed_on, e.item_name, e.item_kind,
               list(DISTINCT f.file_kind ORDER BY f.file_kind)
                   FILTER (WHERE f.file_kind IS NOT NULL)
        FROM raw.exports AS e LEFT JOIN raw.export_files AS f USING (export_id)
        WHERE ?::VARCHAR IS NULL OR e.account = ?
        GROUP BY ALL
        ORDER BY min(e.loaded_at), e.export_id
        """,
        [account, account],
    ).fetchall()


def item_notes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """What `lnw run` says about loaded items beyond "loaded": an item with no file the
    pipeline uses, and files read from a legacy encoding (a spreadsheet re-save)."""
    rows = con.execute(
        """
        SELECT e.export_id, count(f.export_id) AS files,
               string_agg(CASE WHEN f.resaved THEN f.source_file || ' as ' || f.encoding END,
                          ', ' ORDER BY f.source_file)
        FROM raw.exports AS e LEFT JOIN raw.export_files AS f USING (export_id)
        GROUP BY e.export_id
        """
    ).fetchall()
    notes = {}
    for export_id, files, resaved in rows:
        if not files:
            notes[export_id] = (
                "unused: holds no Connections, Invitations or messages file, follower list "
                "or FOLLOWERS sheet"
            )
        elif resaved:
            notes[export_id] = f"re-saved by a spreadsheet: {resaved}"
    return notes


def mark_window_stale(con: duckdb.DuckDBPyConnection, account: str, series: pl.DataFrame) -> int:
    """Snapshots of the account inside a follower workbook's window need their metrics again:
    their follower total may now come from it."""
    if series.is_empty():
        return 0
    first, last = series["day"].min(), series["day"].max()
    rows = con.execute(
        "UPDATE core.snapshots SET marts_stale = true "
        "WHERE account = ? AND snapshot_date BETWEEN ? AND ?",
        [account, first, last],
    ).fetchall()
    return rows[0][0] if rows else 0


def analytics_followers(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> int | None:
    """The follower total of the day from the account's analytics workbooks: the most recent
    workbook (latest anchor, then latest loaded) that covers the day."""
    rows = con.execute(
        """
        SELECT arg_max(c.followers, (c.anchor_date, e.loaded_at))
        FROM raw.follower_counts AS c JOIN raw.exports AS e USING (export_id)
        WHERE e.account = ? AND c.day = ?
        """,
        [account, snapshot_date],
    ).fetchall()
    return rows[0][0] if rows else None


def url_connections(con: duckdb.DuckDBPyConnection, account: str) -> pl.DataFrame:
    """Connections rows with a profile URL from every loaded export of the account: the people
    that URL-less (pre-2024) snapshots can be linked to."""
    return query_frame(
        con,
        "SELECT DISTINCT c.first_name, c.last_name, c.profile_url, c.company "
        "FROM raw.connections AS c JOIN raw.exports AS e USING (export_id) "
        "WHERE e.account = ? AND c.profile_url IS NOT NULL",
        [account],
    )


def read_raw(con: duckdb.DuckDBPyConnection, file_kind: str, export_id: str) -> pl.DataFrame:
    """An export's rows of one file kind, in file order (which row comes first decides which
    of a person's duplicate rows is kept)."""
    table = RAW_TABLES[file_kind]
    # No ORDER BY: DuckDB materializes and sorts a copy of every row for it (220 MB more at
    # the peak for a 1M-row follower list, 0.2 s more CPU). A scan returns the rows as they
    # were inserted, which is file order; they are sorted here only if that ever differs.
    rows = query_frame(
        con, f"SELECT * EXCLUDE (export_id) FROM {table} WHERE export_id = ?", [export_id]
    )
    in_order = rows["source_file"].n_unique() <= 1 and rows["row_number"].is_sorted()
    if not in_order:
        rows = rows.sort("source_file", "row_number")
    return rows.drop("source_file")
