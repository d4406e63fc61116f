"""Marts layer: per-snapshot metrics, recomputed only for snapshots whose inputs changed."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.database import arrow, insert_frame, query_frame, transaction
from warehouse.raw import analytics_followers

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
    con: duckdb.DuckDBPyConnection, snapshots: list[tuple[str, dt.date]]
) -> dict[tuple[str, dt.date], dict]:
    """What each snapshot carries, as `transforms.metrics.SnapshotFacts` fields, for the
    given snapshots and the one before each of them (which their changes compare with)."""
    if not snapshots:
        return {}
    accounts = sorted({account for account, _ in snapshots})
    rows = con.execute(
        """
        WITH timeline AS (
            SELECT account, snapshot_date, lag(snapshot_date) OVER (
                PARTITION BY account ORDER BY snapshot_date) AS previous_date
            FROM core.snapshots WHERE merged_at IS NOT NULL AND list_contains(?, account)
        )
        SELECT s.account, s.snapshot_date, s.connections_observed_on,
               s.followers_observed_on, s.unidentified_connections, s.has_invitations,
               s.has_messages, s.followers AS listed_followers,
               a.new_people AS archive_new, a.lost_people AS archive_lost,
               f.new_people AS list_new, f.lost_people AS list_lost, a.invitations_since,
               t.previous_date
        FROM core.snapshots AS s
        JOIN timeline AS t USING (account, snapshot_date)
        LEFT JOIN core.observations AS a ON a.account = s.account AND a.kind = 'connections'
             AND a.observed_on = s.connections_observed_on
        LEFT JOIN core.observations AS f ON f.account = s.account AND f.kind = 'followers'
             AND f.observed_on = s.followers_observed_on
        """,
        [accounts],
    ).fetchall()
    facts = {}
    for row in rows:
        (account, day, archive_on, list_on, unidentified, invitations, messages, listed,
         archive_new, archive_lost, list_new, list_lost, since, previous) = row  # fmt: skip
        facts[(account, day)] = {
            "account": account,
            "snapshot_date": day,
            "connections_observed_on": archive_on,
            "followers_observed_on": list_on,
            "unidentified_connections": unidentified,
            "has_invitations": bool(invitations),
            "has_messages": bool(messages),
            "listed_followers": listed,
            "analytics_followers": analytics_followers(con, account, day),
            "connections_change": None if archive_new is None else (archive_new, archive_lost),
            "followers_change": None if list_new is None else (list_new, list_lost),
            "invitations_since": since,
            "previous_date": previous,
        }
    return facts


def latest_snapshot_dates(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    """Each account's latest snapshot that classifies people."""
    return dict(
        con.execute(
            "SELECT account, max(snapshot_date) FROM core.snapshots "
            "WHERE merged_at IS NOT NULL AND connections_observed_on IS NOT NULL "
            "GROUP BY account"
        ).fetchall()
    )


def earlier_pending_outbound(
    con: duckdb.DuckDBPyConnection, account: str, archive_date: dt.date
) -> pl.DataFrame:
    """Outbound invitations still pending at the account's snapshots before an archive's
    date: the snapshots that carried earlier archives."""
    return query_frame(
        con,
        "SELECT person_key, max(invitation_sent_at) AS invitation_sent_at "
        "FROM core.relationship_snapshots "
        "WHERE account = ? AND snapshot_date < ? AND invitation = 'outbound' "
        "AND NOT is_connection GROUP BY person_key",
        [account, archive_date],
    )


def write_marts(
    con: duckdb.DuckDBPyConnection,
    snapshots: list[tuple[str, dt.date]],
    tables: dict[str, pl.DataFrame],
    contact_relevance: dict[str, pl.DataFrame],
    new_settings: dict[str, str],
    target_companies: pl.DataFrame | None = None,
) -> None:
    """Replace the metrics of ``snapshots``, the latest per-contact relevance, the settings
    and the ICP's target companies, atomically."""
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
        if target_companies is not None:
            con.execute("DELETE FROM marts.target_companies")
            insert_frame(con, "marts.target_companies", target_companies)
        con.execute("DELETE FROM marts.settings")
        for name, value in sorted(new_settings.items()):
            con.execute("INSERT INTO marts.settings VALUES (?, ?)", [name, value])
