"""Erasing one person from the warehouse (`lnw forget PROFILE_URL`).

A person is named by a profile URL in any form the inbox accepts; every stored URL of theirs
(percent-encoded or raw, any host, with or without a query) has the same person key. Their
raw rows go, rows without a URL (archives before 2024) with the name and company their URL
rows carry, and every core and marts row of their key; the accounts they were in are marked
for a rebuild, which builds the snapshots, history, metrics and the readers' copy again from
what is left. The file is then written anew: DuckDB leaves deleted rows in free blocks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from transforms.identity import canonical_profile_key

# Every column that holds a profile URL, by table (lists: recipient_urls).
URL_COLUMNS = {
    "raw.connections": ("profile_url",),
    "raw.invitations": ("inviter_url", "invitee_url"),
    "raw.messages": ("sender_url",),
    "raw.followers": ("profile_url",),
}
KEYED_TABLES = (
    "core.relationship_snapshots",
    "core.relationship_history",
    "marts.contact_relevance",
)


def person_key(url: str) -> str | None:
    """The person key of a profile URL; None when it is not a linkedin.com/in/ URL."""
    return canonical_profile_key(pl.Series([url], dtype=pl.String))[0]


@dataclass
class Forgotten:
    key: str
    rows: dict[str, int] = field(default_factory=dict)  # rows removed (or edited) by table
    accounts: set[str] = field(default_factory=set)
    names: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return any(self.rows.values())


def _matching(con: duckdb.DuckDBPyConnection, query: str, key: str) -> list[str]:
    values = pl.Series([v for (v,) in con.execute(query).fetchall() if v is not None])
    if values.is_empty():
        return []
    return values.filter(canonical_profile_key(values.cast(pl.String)) == key).to_list()


def forget_person(con: duckdb.DuckDBPyConnection, key: str) -> Forgotten:
    """Remove every row of the person from the warehouse, in the caller's transaction."""
    done = Forgotten(key)
    urls = set()
    for table, columns in URL_COLUMNS.items():
        for column in columns:
            urls |= set(_matching(con, f"SELECT DISTINCT {column} FROM {table}", key))
    urls |= set(_matching(con, "SELECT DISTINCT unnest(recipient_urls) FROM raw.messages", key))
    url_list = sorted(urls)
    # The names their URL rows carry find their rows without a URL (older archives).
    done.names = con.execute(
        "SELECT DISTINCT first_name, last_name, company FROM raw.connections "
        "WHERE list_contains(?, profile_url)",
        [url_list],
    ).fetchall()
    full_names = sorted({" ".join(p for p in n[:2] if p) for n in done.names} - {""})

    def remove(table: str, where: str, params: list, *, update: str = "") -> None:
        """Delete (or, with ``update``, edit) the rows of ``table`` matching ``where``."""
        accounts = con.execute(
            f"SELECT DISTINCT e.account FROM {table} JOIN raw.exports AS e USING (export_id) "
            f"WHERE {where}",
            params,
        ).fetchall()
        done.accounts |= {a for (a,) in accounts}
        if update:
            sql, label = f"UPDATE {table} SET {update} WHERE {where}", f"{table} (recipients)"
        else:
            sql, label = f"DELETE FROM {table} WHERE {where}", table
        changed = con.execute(sql, params if not update else [url_list, *params]).fetchall()
        done.rows[label] = done.rows.get(label, 0) + changed[0][0]

    for table, columns in URL_COLUMNS.items():
        for column in columns:
            remove(table, f"list_contains(?, {column})", [url_list])
    remove(
        "raw.messages",
        "list_has_any(recipient_urls, ?)",
        [url_list],
        update="recipient_urls = list_filter(recipient_urls, lambda u: NOT list_contains(?, u))",
    )
    for first, last, company in done.names:
        remove(
            "raw.connections",
            "profile_url IS NULL AND lower(first_name) IS NOT DISTINCT FROM lower(?) "
            "AND lower(last_name) IS NOT DISTINCT FROM lower(?) "
            "AND lower(company) IS NOT DISTINCT FROM lower(?)",
            [first, last, company],
        )
    if full_names:
        for column, side in (("inviter_name", "inviter_url"), ("invitee_name", "invitee_url")):
            remove(
                "raw.invitations", f"{side} IS NULL AND list_contains(?, {column})", [full_names]
            )
    for table in KEYED_TABLES:
        accounts = con.execute(
            f"SELECT DISTINCT account FROM {table} WHERE person_key = ?", [key]
        ).fetchall()
        done.accounts |= {a for (a,) in accounts}
        removed = con.execute(f"DELETE FROM {table} WHERE person_key = ?", [key]).fetchall()
        done.rows[table] = removed[0][0]
    # The row counts of the files the person was in, as the raw layer records them.
    con.execute(
        "UPDATE raw.export_files AS f SET row_count = c.n FROM ("
        "SELECT export_id, source_file, 'connections' AS kind, count(*) AS n "
        "FROM raw.connections GROUP BY ALL UNION ALL "
        "SELECT export_id, source_file, 'invitations', count(*) FROM raw.invitations "
        "GROUP BY ALL UNION ALL "
        "SELECT export_id, source_file, 'messages', count(*) FROM raw.messages GROUP BY ALL "
        "UNION ALL SELECT export_id, source_file, 'followers', count(*) FROM raw.followers "
        "GROUP BY ALL) AS c "
        "WHERE f.export_id = c.export_id AND f.source_file = c.source_file "
        "AND f.file_kind = c.kind"
    )
    for account in sorted(done.accounts):
        con.execute("DELETE FROM core.rebuilds_due WHERE account = ?", [account])
        con.execute("INSERT INTO core.rebuilds_due VALUES (?)", [account])
    return done


def rewrite_file(database: Path) -> None:
    """Write the warehouse anew from its live rows, and put it in place of the old file: the
    deleted rows' bytes stay in the old file's free blocks until then. Call it with the
    warehouse's lock held and no connection open."""
    fresh = database.with_name(database.name + ".rewrite")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(fresh))
    try:
        con.execute(f"ATTACH '{str(database).replace(chr(39), chr(39) * 2)}' AS old (READ_ONLY)")
        (catalog,) = con.execute("SELECT current_database()").fetchone()
        con.execute(f'COPY FROM DATABASE old TO "{catalog}"')
        con.execute("DETACH old")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(fresh, database)
    database.with_name(database.name + ".wal").unlink(missing_ok=True)
