"""Personal data kept out of the warehouse: emails become salted hashes at the door."""

from __future__ import annotations

import hashlib

import polars as pl


def salted_email_hash(emails: pl.Series, salt: str) -> pl.Series:
    """SHA-256 of salt + lower-cased email; the salt lives in the home, not in the warehouse,
    so a copied warehouse file cannot be matched against a list of known addresses."""
    present = emails.drop_nulls().unique()
    if present.is_empty():
        return pl.Series(emails.name, [None] * len(emails), dtype=pl.String)
    digests = pl.Series(
        [
            hashlib.sha256((salt + e.strip().lower()).encode("utf-8")).hexdigest()
            for e in present.to_list()
        ],
        dtype=pl.String,
    )
    return emails.replace_strict(present, digests, default=None, return_dtype=pl.String)
