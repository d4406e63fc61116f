"""Who is who: the canonical person key shared by every export file.

A person's key is their profile slug, lower-case, percent-decoded and NFC-normalized:
Connections.csv percent-encodes non-ASCII slugs (``fran%C3%A7ois``) while Invitations.csv,
messages.csv and scraper lists write them raw (``françois``), and scrapers add ``http``,
country hosts, trailing slashes and ``?trk=`` queries. Rows without a URL (older exports) get a
weak key from name and company, prefixed ``name:`` so it can never collide with a slug.
"""

from __future__ import annotations

from urllib.parse import unquote

import polars as pl

# Scheme optional, any subdomain of linkedin.com, then /in/<slug>; the slug stops at / ? or #.
_PROFILE_SLUG = r"(?i)^(?:https?://)?(?:[a-z0-9-]+\.)*linkedin\.com/in/([^/?#\s]+)"
WEAK_KEY_PREFIX = "name:"


def percent_decode(values: pl.Series) -> pl.Series:
    """Percent-decode the values that need it; Polars has no URL decoder, so only the distinct
    encoded values go through Python (about one slug in ten in real exports)."""
    encoded = values.filter(values.str.contains("%", literal=True)).unique()
    if encoded.is_empty():
        return values
    decoded = pl.Series([unquote(v) for v in encoded.to_list()], dtype=pl.String)
    return values.replace(encoded, decoded)


def canonical_profile_key(urls: pl.Series) -> pl.Series:
    """Profile URLs to person keys; null where the value is not a linkedin.com/in/ URL."""
    slugs = urls.str.strip_chars().str.extract(_PROFILE_SLUG, 1)
    return percent_decode(slugs).str.to_lowercase().str.normalize("NFC").alias("person_key")


def normalize_name(text: pl.Expr) -> pl.Expr:
    """Names and companies as compared: NFC, lower-case, single spaces, trimmed."""
    return (
        text.str.normalize("NFC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    )


def weak_person_key(full_name: pl.Expr, company: pl.Expr) -> pl.Expr:
    """The fallback key for rows without a URL: normalized name and company."""
    return pl.when(full_name.is_not_null()).then(
        pl.concat_str(
            [
                pl.lit(WEAK_KEY_PREFIX),
                normalize_name(full_name),
                pl.lit("|"),
                normalize_name(company).fill_null(""),
            ]
        )
    )


def full_name(first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """First and last name as one trimmed, NFC string; null when both are empty."""
    joined = pl.concat_str([first.fill_null(""), last.fill_null("")], separator=" ")
    name = joined.str.replace_all(r"\s+", " ").str.strip_chars().str.normalize("NFC")
    return pl.when(name != "").then(name)
