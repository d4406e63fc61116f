"""Observations: the items of one kind and date of an account, and whether the timeline uses
them (`core.observations`, migration 004)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

import duckdb
import polars as pl

from warehouse.database import arrow, query_frame, transaction
from warehouse.raw import read_raw

USED, BLOCKED, REFUSED = "used", "blocked", "refused"


@dataclass
class Observation:
    """One row of `core.observations`: see the migration for each column's meaning."""

    kind: str
    observed_on: dt.date
    export_ids: list[str]
    status: str = USED
    reason: str | None = None
    accepted_by: str | None = None
    people: int | None = None
    previous_observed_on: dt.date | None = None
    new_people: int | None = None
    lost_people: int | None = None
    unidentified: int | None = None
    self_key: str | None = None
    has_invitations: bool | None = None
    has_messages: bool | None = None
    identity: str | None = None
    invitations_since: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, dt.date]:
        return self.kind, self.observed_on

    @property
    def used(self) -> bool:
        return self.status == USED


_COLUMNS = [f.name for f in fields(Observation)]
_SCHEMA = {
    "kind": pl.String,
    "observed_on": pl.Date,
    "export_ids": pl.List(pl.String),
    "status": pl.String,
    "reason": pl.String,
    "accepted_by": pl.String,
    "people": pl.Int64,
    "previous_observed_on": pl.Date,
    "new_people": pl.Int64,
    "lost_people": pl.Int64,
    "unidentified": pl.Int64,
    "self_key": pl.String,
    "has_invitations": pl.Boolean,
    "has_messages": pl.Boolean,
    "identity": pl.String,
    "invitations_since": pl.Datetime("us"),
}


def read_observations(
    con: duckdb.DuckDBPyConnection, account: str
) -> dict[tuple[str, dt.date], Observation]:
    rows = con.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM core.observations WHERE account = ? "
        "ORDER BY observed_on, kind",
        [account],
    ).fetchall()
    observations = [Observation(*row) for row in rows]
    return {o.key: o for o in observations}


def judged_sources(con: duckdb.DuckDBPyConnection) -> dict[str, dict[tuple, list[str]]]:
    """The export ids of every stored observation, by account and (kind, date)."""
    judged: dict[str, dict[tuple, list[str]]] = {}
    for account, kind, day, export_ids in con.execute(
        "SELECT account, kind, observed_on, export_ids FROM core.observations"
    ).fetchall():
        judged.setdefault(account, {})[(kind, day)] = sorted(export_ids)
    return judged


def waiting_accounts(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Accounts with an observation blocked or refused (judged again, or reported again, at
    each load) or a rebuild due."""
    rows = con.execute(
        "SELECT account FROM core.observations WHERE status IN ('blocked', 'refused') "
        "UNION SELECT account FROM core.rebuilds_due"
    ).fetchall()
    return {account for (account,) in rows}


def write_observations(
    con: duckdb.DuckDBPyConnection, account: str, observations: list[Observation]
) -> None:
    """Replace the rows of these observations (by kind and date), stamped as judged now."""
    if not observations:
        return
    frame = pl.DataFrame([asdict(o) for o in observations], schema=_SCHEMA).with_columns(
        pl.lit(account).alias("account")
    )
    with transaction(con):
        con.register("__observations", arrow(frame))
        try:
            con.execute(
                "DELETE FROM core.observations WHERE account = ? AND (kind, observed_on) IN "
                "(SELECT (kind, observed_on) FROM __observations)",
                [account],
            )
            con.execute(
                "INSERT INTO core.observations BY NAME "
                "SELECT *, now() AS judged_at FROM __observations"
            )
        finally:
            con.unregister("__observations")


def read_timeline(con: duckdb.DuckDBPyConnection, account: str) -> pl.DataFrame:
    return query_frame(
        con,
        "SELECT snapshot_date, connections_observed_on, followers_observed_on "
        "FROM core.snapshots WHERE account = ? ORDER BY snapshot_date",
        [account],
    )


def read_files(
    con: duckdb.DuckDBPyConnection, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], pl.DataFrame]:
    """Stored raw rows by (file kind, export id), as `warehouse.raw.read_raw` reads them."""
    return {(kind, export): read_raw(con, kind, export) for kind, export in sorted(wanted)}


def rebuild_due(con: duckdb.DuckDBPyConnection, account: str) -> bool:
    """Whether the account's snapshots were built by a previous version (migration 004)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM core.rebuilds_due WHERE account = ?", [account]
        ).fetchall()[0][0]
    )


def clear_rebuild_due(con: duckdb.DuckDBPyConnection, account: str) -> None:
    con.execute("DELETE FROM core.rebuilds_due WHERE account = ?", [account])
