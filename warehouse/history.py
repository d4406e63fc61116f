"""Core layer: relationship snapshots and their SCD2 history."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.database import arrow, query_frame, run_sql_file, transaction

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
) -> bool:
    """Replace the snapshot's rows in one transaction; it must then be merged into history.

    Writing exactly the rows and facts already stored changes nothing, not even the build
    time, so a repeated run leaves the warehouse as it was. Returns whether anything changed.
    """
    frame = people.with_columns(
        pl.lit(account).alias("account"), pl.lit(snapshot_date).alias("snapshot_date")
    )
    facts = [
        sorted(export_ids),
        self_key,
        has_follower_list,
        has_invitations,
        has_messages,
        unidentified_connections,
    ]
    with transaction(con):
        con.register("__people", arrow(frame))
        try:
            if _snapshot_is_stored(con, account, snapshot_date, facts):
                return False
            con.execute(
                "DELETE FROM core.relationship_snapshots WHERE account = ? AND snapshot_date = ?",
                [account, snapshot_date],
            )
            con.execute(
                "DELETE FROM core.snapshots WHERE account = ? AND snapshot_date = ?",
                [account, snapshot_date],
            )
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
            # Unmerged until its history merge, even when it replaces a merged snapshot: the
            # views and marts read merged snapshots only, so rows that a blocking check stops
            # (a partial export) never reach them.
            "NULL AS merged_at",
            [account, snapshot_date, *facts],
        )
    return True


def _snapshot_is_stored(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date, facts: list
) -> bool:
    stored = con.execute(
        "SELECT list_sort(export_ids), self_key, has_follower_list, has_invitations, "
        "has_messages, unidentified_connections FROM core.snapshots "
        "WHERE account = ? AND snapshot_date = ?",
        [account, snapshot_date],
    ).fetchall()
    if not stored or list(stored[0]) != facts:
        return False
    # Same rows both ways (as multisets): the new frame adds nothing and lacks nothing.
    columns = ", ".join(f'"{c}"' for c in con.sql("SELECT * FROM __people").columns)
    differing = con.execute(
        f"SELECT count(*) FROM ((SELECT {columns} FROM __people EXCEPT ALL "
        f"SELECT {columns} FROM core.relationship_snapshots "
        "WHERE account = $a AND snapshot_date = $d) UNION ALL "
        f"(SELECT {columns} FROM core.relationship_snapshots "
        "WHERE account = $a AND snapshot_date = $d EXCEPT ALL "
        f"SELECT {columns} FROM __people))",
        {"a": account, "d": snapshot_date},
    ).fetchall()[0][0]
    return differing == 0


def merge_snapshot_into_history(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> str:
    """Bring the account's history up to date with one snapshot, in one transaction.

    The usual case, a snapshot newer than every merged one, is an incremental SCD2 merge that
    touches only the current rows. A snapshot that arrives late, or replaces a merged one,
    rebuilds the account's periods from the merged snapshot before it on; earlier periods
    stay as they are. Either way the result never depends on arrival order. A snapshot
    already merged as it is now changes nothing. Returns ``incremental``, ``rebuilt`` or
    ``unchanged``.
    """
    with transaction(con):
        state = con.execute(
            "SELECT max(snapshot_date) "
            "FILTER (WHERE merged_at IS NOT NULL AND snapshot_date <> $d), "
            # A replaced snapshot is unmerged again, but the history may hold its old rows: a
            # period starting or ending on or after its date means the history has seen it.
            "EXISTS (SELECT 1 FROM core.relationship_history WHERE account = $a "
            "  AND (valid_from >= $d OR valid_to >= $d)), "
            "coalesce(bool_or(snapshot_date = $d AND merged_at >= built_at), false), "
            "max(snapshot_date) FILTER (WHERE merged_at IS NOT NULL AND snapshot_date < $d) "
            "FROM core.snapshots WHERE account = $a",
            {"a": account, "d": snapshot_date},
        ).fetchall()[0]
        newest, merged_before, up_to_date, previous = state
        if up_to_date:
            return "unchanged"
        before = _history_rows(con, account)
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
            after = _history_rows(con, account)
            closed = con.execute(
                "SELECT count(*) FROM core.relationship_history WHERE account = ? AND valid_to = ?",
                [account, snapshot_date],
            ).fetchall()[0][0]
            _log_merge(
                con, account, snapshot_date, "incremental", None, closed, after - before, after
            )
            return "incremental"
        run_sql_file(con, "rebuild_account_history", account=account, since=previous)
        after = _history_rows(con, account)
        kept = con.execute(
            "SELECT count(*) FROM core.relationship_history "
            "WHERE account = $a AND $since::DATE IS NOT NULL AND valid_to <= $since::DATE",
            {"a": account, "since": previous},
        ).fetchall()[0][0]
        _log_merge(
            con, account, snapshot_date, "rebuilt", previous, before - kept, after - kept, after
        )
        return "rebuilt"


def _history_rows(con: duckdb.DuckDBPyConnection, account: str) -> int:
    return con.execute(
        "SELECT count(*) FROM core.relationship_history WHERE account = ?", [account]
    ).fetchall()[0][0]


def _log_merge(
    con: duckdb.DuckDBPyConnection,
    account: str,
    snapshot_date: dt.date,
    strategy: str,
    rebuilt_from: dt.date | None,
    removed: int,
    inserted: int,
    total: int,
) -> None:
    con.execute(
        "INSERT INTO core.history_merges VALUES (?, ?, ?, ?, ?, ?, ?, now())",
        [account, snapshot_date, strategy, rebuilt_from, removed, inserted, total],
    )


def load_relationship_snapshot(
    con: duckdb.DuckDBPyConnection,
    account: str,
    snapshot_date: dt.date,
    people: pl.DataFrame,
    **facts,
) -> str:
    """Write the snapshot and merge it into the history as ONE transaction.

    This is the step that makes a snapshot visible (analytics.current_relationships and
    analytics.relationship_history read what it writes): killed anywhere, the warehouse keeps
    the snapshot's previous state, never new relationships beside an old history. People
    listed twice fail the load before anything is written. Returns what the merge did.
    """
    duplicated = people["person_key"].is_duplicated().sum()
    if duplicated:
        raise ValueError(
            f"{account} {snapshot_date}: {duplicated} rows share a person_key; a snapshot "
            "has one row per person (the classification should have deduplicated them)"
        )
    with transaction(con):
        write_relationship_snapshot(con, account, snapshot_date, people, **facts)
        return merge_snapshot_into_history(con, account, snapshot_date)


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
