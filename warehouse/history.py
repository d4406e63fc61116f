"""Core layer: the account's timeline of snapshots, their relationship rows, and the SCD2
history merged from them.

A snapshot that knows the account's connections (it carries an archive) holds one row per
related person; one that does not (a follower list before the first archive, or too long
after the last) holds none, and the history skips it: nobody is classified there.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.database import arrow, query_frame, run_sql_file, transaction

# Attributes whose change opens a new history period.
TRACKED = ("relationship", "company", "position", "headline")
# core.snapshots columns a load writes, besides the account, the date and the timestamps.
SNAPSHOT_FACTS = (
    "connections_observed_on",
    "followers_observed_on",
    "export_ids",
    "self_key",
    "has_follower_list",
    "has_invitations",
    "has_messages",
    "unidentified_connections",
    "followers",
)


def replace_snapshots(
    con: duckdb.DuckDBPyConnection,
    account: str,
    snapshots: pl.DataFrame,
    people: dict[dt.date, pl.DataFrame],
    removed: list[dt.date],
) -> None:
    """Write the account's snapshots of ``snapshots`` (one row per date, `SNAPSHOT_FACTS`
    columns) with their relationship rows (``people``, by date: only the snapshots that know
    their connections), replacing what those dates held, and delete the ``removed`` dates.
    They stay unmerged until `merge_history`: the views and marts read merged ones only."""
    dates = [*snapshots["snapshot_date"].to_list(), *removed]
    with transaction(con):
        keys = pl.DataFrame({"snapshot_date": dates}, schema={"snapshot_date": pl.Date})
        con.register("__dates", arrow(keys))
        try:
            for table in ("core.relationship_snapshots", "core.snapshots"):
                con.execute(
                    f"DELETE FROM {table} WHERE account = ? "
                    "AND snapshot_date IN (SELECT snapshot_date FROM __dates)",
                    [account],
                )
        finally:
            con.unregister("__dates")
        if not snapshots.is_empty():
            rows = snapshots.select("snapshot_date", *SNAPSHOT_FACTS).with_columns(
                pl.lit(account).alias("account")
            )
            con.register("__snapshots", arrow(rows))
            try:
                con.execute(
                    "INSERT INTO core.snapshots BY NAME SELECT *, now() AS built_at, "
                    "NULL AS merged_at, true AS marts_stale FROM __snapshots"
                )
            finally:
                con.unregister("__snapshots")
        hash_input = ", ".join(f"coalesce({c}, '')" for c in TRACKED)
        for day, frame in sorted(people.items()):
            rows = frame.with_columns(
                pl.lit(account).alias("account"), pl.lit(day).alias("snapshot_date")
            )
            con.register("__people", arrow(rows))
            try:
                con.execute(
                    "INSERT INTO core.relationship_snapshots BY NAME "
                    f"SELECT *, md5(concat_ws(chr(31), {hash_input})) AS attributes_hash "
                    "FROM __people"
                )
            finally:
                con.unregister("__people")


def merge_history(con: duckdb.DuckDBPyConnection, account: str, since: dt.date) -> str:
    """Bring the account's history up to date with its snapshots from ``since`` on (the
    earliest snapshot a load wrote or removed), in one transaction, and mark them merged.

    Snapshots newer than everything the history has seen are merged incrementally, one by
    one, touching only the current rows (`merge_newest_snapshot.sql`); otherwise the periods
    from the merged snapshot before ``since`` on are rebuilt (`rebuild_account_history.sql`),
    and earlier periods stay as they are. Either way the result is the one in-order loading
    gives. Returns ``incremental`` or ``rebuilt``."""
    with transaction(con):
        seen, previous = con.execute(
            "SELECT EXISTS (SELECT 1 FROM core.relationship_history WHERE account = $a "
            "   AND (valid_from >= $d OR valid_to >= $d)) "
            "OR EXISTS (SELECT 1 FROM core.snapshots WHERE account = $a "
            "   AND snapshot_date >= $d AND merged_at IS NOT NULL), "
            "(SELECT max(snapshot_date) FROM core.snapshots WHERE account = $a "
            "   AND snapshot_date < $d AND merged_at IS NOT NULL "
            "   AND connections_observed_on IS NOT NULL)",
            {"a": account, "d": since},
        ).fetchall()[0]
        before = _history_rows(con, account)
        pending = [
            day
            for (day,) in con.execute(
                "SELECT snapshot_date FROM core.snapshots WHERE account = ? "
                "AND merged_at IS NULL AND connections_observed_on IS NOT NULL "
                "ORDER BY snapshot_date",
                [account],
            ).fetchall()
        ]
        con.execute(
            "UPDATE core.snapshots SET merged_at = now() WHERE account = ? AND merged_at IS NULL",
            [account],
        )
        if not seen:
            closed = 0
            for day in pending:
                run_sql_file(con, "merge_newest_snapshot", account=account, snapshot_date=day)
                closed += con.execute(
                    "SELECT count(*) FROM core.relationship_history "
                    "WHERE account = ? AND valid_to = ?",
                    [account, day],
                ).fetchall()[0][0]
            after = _history_rows(con, account)
            _log_merge(con, account, since, "incremental", None, closed, after - before, after)
            return "incremental"
        run_sql_file(con, "rebuild_account_history", account=account, since=previous)
        after = _history_rows(con, account)
        kept = con.execute(
            "SELECT count(*) FROM core.relationship_history "
            "WHERE account = $a AND $since::DATE IS NOT NULL AND valid_to <= $since::DATE",
            {"a": account, "since": previous},
        ).fetchall()[0][0]
        _log_merge(con, account, since, "rebuilt", previous, before - kept, after - kept, after)
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


def broken_invariants(con: duckdb.DuckDBPyConnection, account: str) -> dict[str, int]:
    """How many times the account's history breaks each of its invariants: a person with
    several current rows, overlapping periods, a period ending before it starts, a row
    current although it has an end (or the reverse)."""
    # One pass over the account's history: both windows share one sort by person.
    several_current, overlaps, inverted, mislabelled = con.execute(
        "SELECT count(DISTINCT person_key) FILTER (WHERE current_rows > 1),"
        " count(*) FILTER (WHERE previous_end > valid_from),"
        " count(*) FILTER (WHERE valid_to <= valid_from),"
        " count(*) FILTER (WHERE is_current <> (valid_to IS NULL))"
        " FROM (SELECT person_key, valid_from, valid_to, is_current,"
        "  count(*) FILTER (WHERE is_current) OVER (PARTITION BY person_key) AS current_rows,"
        "  lag(coalesce(valid_to, DATE '9999-12-31'))"
        "   OVER (PARTITION BY person_key ORDER BY valid_from) AS previous_end"
        "  FROM core.relationship_history WHERE account = ?)",
        [account],
    ).fetchall()[0]
    return {
        "people_with_several_current_rows": several_current,
        "overlaps": overlaps,
        "periods_ending_before_they_start": inverted,
        "current_flag_disagrees_with_valid_to": mislabelled,
    }


def read_relationship_snapshot(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> pl.DataFrame:
    return query_frame(
        con,
        "SELECT * EXCLUDE (account, snapshot_date, attributes_hash) "
        "FROM core.relationship_snapshots WHERE account = ? AND snapshot_date = ?",
        [account, snapshot_date],
    )
