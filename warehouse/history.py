"""Core layer: relationship snapshots and their SCD2 history."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.database import query_frame, run_sql_file, transaction

# Attributes whose change opens a new history period.
TRACKED = ("relationship", "company", "position", "headline")


def write_relationship_snapshot(
    con: duckdb.DuckDBPyConnection,
    account: str,
    snapshot_date: dt.date,
    people: pl.DataFrame,
    *,
    export_ids: list[str],
    self_key: str | None,
    has_follower_list: bool,
    has_invitations: bool,
    has_messages: bool,
    unidentified_connections: int,
) -> int:
    """Replace the snapshot's rows in one transaction; it must then be merged into history.

    The snapshot counts as unmerged until then (``merged_at`` NULL), even when it replaces a
    merged one: the views and marts read merged snapshots only, so rows a blocking check
    stops (a partial export) never reach them."""
    frame = people.with_columns(
        pl.lit(account).alias("account"), pl.lit(snapshot_date).alias("snapshot_date")
    )
    with transaction(con):
        con.execute(
            "DELETE FROM core.relationship_snapshots WHERE account = ? AND snapshot_date = ?",
            [account, snapshot_date],
        )
        con.execute(
            "DELETE FROM core.snapshots WHERE account = ? AND snapshot_date = ?",
            [account, snapshot_date],
        )
        con.register("__people", frame.to_arrow())
        try:
            hash_input = ", ".join(f"coalesce({c}, '')" for c in TRACKED)
            con.execute(
                "INSERT INTO core.relationship_snapshots BY NAME "
                f"SELECT *, md5(concat_ws(chr(31), {hash_input})) AS attributes_hash "
                "FROM __people"
            )
        finally:
            con.unregister("__people")
        con.execute(
            "INSERT INTO core.snapshots BY NAME SELECT ? AS account, ? AS snapshot_date, "
            "? AS export_ids, ? AS self_key, ? AS has_follower_list, ? AS has_invitations, "
            "? AS has_messages, ? AS unidentified_connections, now() AS built_at, "
            "NULL AS merged_at",
            [
                account,
                snapshot_date,
                export_ids,
                self_key,
                has_follower_list,
                has_invitations,
                has_messages,
                unidentified_connections,
            ],
        )
    return frame.height


def merge_snapshot_into_history(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> str:
    """Bring the account's history up to date with one snapshot, in one transaction.

    The usual case, a snapshot newer than every merged one, is an incremental SCD2 merge. A
    snapshot that arrives late, or replaces a merged one, rebuilds that account's history, so
    the result never depends on arrival order. Returns which of the two it did.
    """
    with transaction(con):
        # A replaced snapshot is unmerged again, but the history may hold its old rows: any
        # period starting or ending on or after its date means the history has seen it. (One
        # that left no trace left the history as the previous snapshot made it, so an
        # incremental merge is then right.) Zone maps keep this scan to the newest rows.
        newest, merged_before = con.execute(
            "SELECT (SELECT max(snapshot_date) FROM core.snapshots WHERE account = $a "
            "  AND merged_at IS NOT NULL AND snapshot_date <> $d), "
            "EXISTS (SELECT 1 FROM core.relationship_history WHERE account = $a "
            "  AND (valid_from >= $d OR valid_to >= $d))",
            {"a": account, "d": snapshot_date},
        ).fetchall()[0]
        con.execute(
            "UPDATE core.snapshots SET merged_at = now() WHERE account = ? AND snapshot_date = ?",
            [account, snapshot_date],
        )
        # The next snapshot's changes (new and lost people) are measured against this one.
        con.execute(
            "UPDATE core.snapshots SET marts_stale = true WHERE account = $a AND "
            "snapshot_date >= $d AND snapshot_date <= coalesce((SELECT min(snapshot_date) "
            "FROM core.snapshots WHERE account = $a AND snapshot_date > $d), $d)",
            {"a": account, "d": snapshot_date},
        )
        if not merged_before and (newest is None or snapshot_date > newest):
            run_sql_file(con, "merge_newest_snapshot", account=account, snapshot_date=snapshot_date)
            return "incremental"
        run_sql_file(con, "rebuild_account_history", account=account)
        return "rebuilt"


def unfinished_snapshots(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dt.date]]:
    """Snapshots whose load stopped half-way (a failed check, a crash): raw items newer than
    the relationship snapshot, or a snapshot not yet merged into the history."""
    return con.execute(
        """
        WITH loaded AS (
            SELECT e.account, e.snapshot_date, max(e.loaded_at) AS loaded_at,
                   bool_or(f.file_kind = 'connections') AS has_connections
            FROM raw.exports AS e JOIN raw.export_files AS f USING (export_id)
            GROUP BY ALL
        )
        SELECT account, snapshot_date
        FROM loaded LEFT JOIN core.snapshots AS s USING (account, snapshot_date)
        WHERE (s.built_at IS NULL AND loaded.has_connections)
           OR s.built_at < loaded.loaded_at
           OR (s.built_at IS NOT NULL AND (s.merged_at IS NULL OR s.merged_at < s.built_at))
        ORDER BY account, snapshot_date
        """
    ).fetchall()


def read_relationship_snapshot(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> pl.DataFrame:
    return query_frame(
        con,
        "SELECT * EXCLUDE (account, snapshot_date, attributes_hash) "
        "FROM core.relationship_snapshots WHERE account = ? AND snapshot_date = ?",
        [account, snapshot_date],
    )
