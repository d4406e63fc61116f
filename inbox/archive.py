"""The kept copy of each loaded item under ``archive/``: what the pipeline reads, no more.

The item in the inbox is the member's own copy and stays there. The home keeps, under the
item's content hash, the files the pipeline read from it with only the columns it reads:
message bodies, subjects, `TO` lists and invitation notes are never written, a conversation
title only says whether the conversation is sponsored (the one thing read from it), and
emails are their salted hashes (``salted:<hash>``, which the parser takes as the hash it is).
Reading the copy again (in a new home, after a parser fix) gives the same rows. A follower
analytics workbook holds daily totals, no person: it is kept as it came, once measured.

A refused item leaves nothing here: the copy is written only once every file of the item
has parsed.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl

from inbox.discovery import InboxItem
from transforms import connections, followers, invitations, messages
from transforms.csv_reader import CsvTable, read_export_csv
from transforms.privacy import HASHED_PREFIX, salted_email_hash

SPONSORED = "Sponsored Conversation"
# Per file kind: the parser's columns and the ones it cannot lack.
_READ = {
    "connections": (connections.COLUMNS, connections.REQUIRED),
    "invitations": (invitations.COLUMNS, invitations.REQUIRED),
    "messages": (messages.COLUMNS, messages.REQUIRED),
    "followers": (followers.COLUMNS, followers.REQUIRED),
}
# Read by the parsers only to be dropped, or reduced to the one fact used.
_NEVER_KEPT = {"invitations": {"message"}}


def read_for_kind(kind: str, data: bytes, source: str) -> CsvTable:
    """The file read as its parser reads it: the parser and the kept copy share this one read
    (reading a million-row follower list twice cost 0.3 s and 100,000 page faults)."""
    columns, required = _READ[kind]
    return read_export_csv(data, source=source, columns=columns, required=required)


def minimized_csv(kind: str, table: CsvTable, email_salt: str) -> bytes:
    """The file as the pipeline reads it (``table``, from `read_for_kind`): its columns under
    their first header name, in the file's own encoding (so a spreadsheet re-save still reads
    as one)."""
    columns, _ = _READ[kind]
    frame = table.frame.drop("row_number", *_NEVER_KEPT.get(kind, ()))
    if kind == "connections":
        hashed = salted_email_hash(frame["email"], email_salt)
        frame = frame.with_columns(
            pl.when(hashed.is_not_null()).then(HASHED_PREFIX + hashed).alias("email")
        )
    if kind == "messages":
        title = pl.col("conversation_title")
        frame = frame.with_columns(
            pl.when(title == SPONSORED).then(title).alias("conversation_title")
        )
    frame = frame.rename({name: columns[name][0] for name in frame.columns})
    # Polars writes the CSV: Python's csv module took six times what the parse itself takes.
    if table.encoding == "utf-8":
        # Written straight to bytes: a Python string, then its encoding, were two more copies
        # of the file (0.8 s instead of 0.2 s for a million-row follower list).
        out = io.BytesIO()
        frame.write_csv(out, null_value="", quote_style="necessary")
        return out.getvalue()
    return frame.write_csv(null_value="", quote_style="necessary").encode(table.encoding)


def keep_in_archive(
    item: InboxItem, archive: Path, files: list[tuple[str, str, bytes]], workbook: bytes = b""
) -> Path:
    """Write the item's kept copy: ``files`` are (kind, member name, minimized bytes); a
    workbook is kept whole. Written under a temporary name and renamed."""
    archive.mkdir(parents=True, exist_ok=True)
    suffix = {"follower_list": ".csv", "follower_analytics": ".xlsx"}.get(item.kind, ".zip")
    target = archive / f"{item.sha256}{suffix}"
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    if item.kind == "follower_analytics":
        partial.write_bytes(workbook)
    elif item.kind == "follower_list":
        partial.write_bytes(files[0][2] if files else b"")
    else:
        # An archive with nothing the pipeline reads is kept as an empty zip: the inbox
        # sensor takes a kept item as taken in. Deflate's fastest level: the default (6)
        # took 0.19 s for an archive of 29,000 connections and 6,000 conversations, level 1
        # 0.08 s, for a file 17% larger.
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bundle:
            for _, member, data in files:
                entry = zipfile.ZipInfo(member, (1980, 1, 1, 0, 0, 0))
                bundle.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    partial.replace(target)
    return target


def _forget_in_csv(
    kind: str, data: bytes, key: str, names: list[tuple[str | None, ...]]
) -> tuple[bytes, int]:
    """The kept file without the person's rows (and without them in recipient lists)."""
    from transforms.csv_reader import decode_export
    from transforms.identity import canonical_profile_key

    text, encoding, _ = decode_export(data, "kept copy")
    frame = pl.read_csv(text.encode(), infer_schema=False)
    columns = _READ[kind][0]
    header = {columns[name][0]: name for name in columns}
    by_name = {header[c]: c for c in frame.columns if c in header}

    def is_them(column: str) -> pl.Expr:
        urls = frame[by_name[column]]
        return pl.lit(canonical_profile_key(urls).eq(key).fill_null(False))

    url_names = {"profile_url", "inviter_url", "invitee_url", "sender_url"}
    drop = pl.lit(False)
    for name in url_names & set(by_name):
        drop = drop | is_them(name)
    if kind == "connections" and names and {"first_name", "last_name"} <= set(by_name):
        for first, last, company in names:
            same = pl.col(by_name["profile_url"]).is_null() if "profile_url" in by_name else True
            for name, value in (("first_name", first), ("last_name", last), ("company", company)):
                if name in by_name:
                    column = pl.col(by_name[name]).str.to_lowercase()
                    same = same & (column.is_null() if value is None else column == value.lower())
            drop = drop | same
    kept = frame.filter(~drop)
    removed = frame.height - kept.height
    if "recipient_urls" in by_name:
        column = by_name["recipient_urls"]
        values = kept[column].to_list()
        every = sorted({u.strip() for v in values if v for u in v.split(",") if u.strip()})
        keys = canonical_profile_key(pl.Series(every, dtype=pl.String)).to_list()
        theirs = {url for url, k in zip(every, keys, strict=True) if k == key}
        if theirs:
            lists = []
            for value in values:
                urls = [u.strip() for u in (value or "").split(",") if u.strip()]
                left = [u for u in urls if u not in theirs]
                removed += len(urls) - len(left)
                lists.append(",".join(left) if value is not None else None)
            kept = kept.with_columns(pl.Series(column, lists, dtype=pl.String))
    if not removed:
        return data, 0
    return kept.write_csv(null_value="", quote_style="necessary").encode(encoding), removed


def forget_in_archive(archive: Path, key: str, names: list[tuple[str | None, ...]]) -> int:
    """Remove the person (``key``, and the ``names`` of their rows without a URL) from every
    kept copy; returns how many rows went. Each changed file is replaced whole."""
    from inbox.discovery import file_stem_kind

    removed = 0
    for path in sorted(archive.glob("*")) if archive.exists() else []:
        if path.suffix == ".csv":
            data, gone = _forget_in_csv("followers", path.read_bytes(), key, names)
            if gone:
                partial = path.with_name(path.name + ".partial")
                partial.write_bytes(data)
                partial.replace(path)
                removed += gone
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as bundle:
                members = [(m, bundle.read(m)) for m in bundle.namelist()]
            rewritten, gone_here = [], 0
            for member, data in members:
                kind = file_stem_kind(member)
                if kind is not None:
                    data, gone = _forget_in_csv(kind, data, key, names)
                    gone_here += gone
                rewritten.append((member, data))
            if gone_here:
                partial = path.with_name(path.name + ".partial")
                with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
                    for member, data in rewritten:
                        entry = zipfile.ZipInfo(member, (1980, 1, 1, 0, 0, 0))
                        bundle.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
                partial.replace(path)
                removed += gone_here
    return removed
