"""Personal data kept out of the warehouse: emails become salted hashes at the door."""

from __future__ import annotations

import hashlib

import polars as pl

# How the kept copy of an archive (inbox.archive) writes a hash in place of an email, so that
# reading the copy again gives the same hash, whatever the home's salt.
HASHED_PREFIX = "salted:"


def salted_email_hash(emails: pl.Series, salt: str) -> pl.Series:
    """SHA-256 of salt + lower-cased email; the salt lives in the home, not in the warehouse,
    so a copied warehouse file cannot be matched against a list of known addresses. A value
    the kept copy already hashed (``salted:<hash>``) is that hash."""
    present = emails.drop_nulls().unique()
    if present.is_empty():
        return pl.Series(emails.name, [None] * len(emails), dtype=pl.String)
    digests = pl.Series(
        [
            e.removeprefix(HASHED_PREFIX)
            if e.startswith(HASHED_PREFIX)
            else hashlib.sha256((salt + e.strip().lower()).encode("utf-8")).hexdigest()
            for e in present.to_list()
        ],
        dtype=pl.String,
    )
    return emails.replace_strict(present, digests, default=None, return_dtype=pl.String)
