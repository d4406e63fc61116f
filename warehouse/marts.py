"""Marts layer: per-snapshot metrics, recomputed only for snapshots whose inputs changed."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.database import arrow, insert_frame, query_frame, transaction
from warehouse.raw import analytics_followers, snapshot_sources

MART_TABLES = ("marts.reach", "marts.messaging_capacity", "marts.network_relevance")


def settings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT name, value FROM marts.settings").fetchall())


def stale_snapshots(
    con: duckdb.DuckDBPyConnection, wanted_settings: dict[str, str]
) -> list[tuple[str, dt.date]]:
    """Merged snapshots whose metrics are missing or out of date; all of them when the
    settings (the ICP, the invitation budget) changed since the last refresh."""
    everything = settings(con) != wanted_settings
    # A snapshot's acceptance rate looks at every earlier snapshot's pending invitations, so a
    # snapshot that arrives late makes all later ones of its account stale, not just the next.
    return con.execute(
        """
        WITH merged AS (SELECT * FROM core.snapshots WHERE merged_at IS NOT NULL),
        first_stale AS (
            SELECT account, min(snapshot_date) AS since FROM merged
            WHERE marts_stale OR ? GROUP BY account
        )
        SELECT account, snapshot_date FROM merged JOIN first_stale USING (account)
        WHERE snapshot_date >= since ORDER BY account, snapshot_date
        """,
        [everything],
    ).fetchall()


def snapshot_facts(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> dict | None:
    row = con.execute(
        "SELECT account, snapshot_date, unidentified_connections, has_follower_list, "
        "has_invitations, has_messages FROM core.snapshots "
        "WHERE account = ? AND snapshot_date = ? AND merged_at IS NOT NULL",
        [account, snapshot_date],
    ).fetchall()
    if not row:
        return None
    row = row[0]
    keys = (
        "account",
        "snapshot_date",
        "unidentified_connections",
        "has_follower_list",
        "has_invitations",
        "has_messages",
    )
    facts = dict(zip(keys, row, strict=True))
    facts["analytics_followers"] = analytics_followers(con, account, snapshot_date)
    return facts


def previous_snapshot_date(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> dt.date | None:
    return con.execute(
        "SELECT max(snapshot_date) FROM core.snapshots "
        "WHERE account = ? AND snapshot_date < ? AND merged_at IS NOT NULL",
        [account, snapshot_date],
    ).fetchall()[0][0]


def latest_snapshot_dates(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    return dict(
        con.execute(
            "SELECT account, max(snapshot_date) FROM core.snapshots "
            "WHERE merged_at IS NOT NULL GROUP BY account"
        ).fetchall()
    )


def earlier_pending_outbound(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> pl.DataFrame:
    """Outbound invitations still pending in the account's earlier snapshots."""
    return query_frame(
        con,
        "SELECT person_key, max(invitation_sent_at) AS invitation_sent_at "
        "FROM core.relationship_snapshots "
        "WHERE account = ? AND snapshot_date < ? AND invitation = 'outbound' "
        "AND NOT is_connection GROUP BY person_key",
        [account, snapshot_date],
    )


def invitations_since(
    con: duckdb.DuckDBPyConnection, account: str, snapshot_date: dt.date
) -> dt.datetime | None:
    """The oldest invitation, either direction, in the snapshot's Invitations.csv: where the
    rolling window of that file starts. None when the snapshot has no invitations."""
    export_id = snapshot_sources(con, account, snapshot_date).get("invitations")
    if export_id is None:
        return None
    return con.execute(
        "SELECT min(sent_at) FROM raw.invitations WHERE export_id = ?", [export_id]
    ).fetchall()[0][0]


def write_marts(
    con: duckdb.DuckDBPyConnection,
    snapshots: list[tuple[str, dt.date]],
    tables: dict[str, pl.DataFrame],
    contact_relevance: dict[str, pl.DataFrame],
    new_settings: dict[str, str],
) -> None:
    """Replace the metrics of ``snapshots`` and the latest per-contact relevance, atomically."""
    keys = pl.DataFrame(
        {"account": [a for a, _ in snapshots], "snapshot_date": [d for _, d in snapshots]},
        schema={"account": pl.String, "snapshot_date": pl.Date},
    )
    with transaction(con):
        con.register("__keys", arrow(keys))
        try:
            for table in MART_TABLES:
                con.execute(
                    f"DELETE FROM {table} WHERE (account, snapshot_date) IN "
                    "(SELECT (account, snapshot_date) FROM __keys)"
                )
            con.execute(
                "UPDATE core.snapshots SET marts_stale = false WHERE (account, snapshot_date) IN "
                "(SELECT (account, snapshot_date) FROM __keys)"
            )
        finally:
            con.unregister("__keys")
        for table, frame in tables.items():
            insert_frame(con, table, frame)
        for account, frame in contact_relevance.items():
            con.execute("DELETE FROM marts.contact_relevance WHERE account = ?", [account])
            insert_frame(con, "marts.contact_relevance", frame)
        con.execute("DELETE FROM marts.settings")
        for name, value in sorted(new_settings.items()):
            con.execute("INSERT INTO marts.settings VALUES (?, ?)", [name, value])
