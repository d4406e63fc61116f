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

# Scheme optional, any subdomain of linkedin.com, then /in/<slug>; the slug stops at / ? # or
# whitespace. The prefix cannot contain "/in/" twice (host labels have no slash), so removing
# it and cutting at the first stop character reads the same slug as one capturing regex, at a
# third of the cost: Polars' str.extract pays for capture groups on every row (0.87 s against
# 0.3 s per million URLs).
_PROFILE_PREFIX = r"(?i)^(?:https?://)?(?:[a-z0-9-]+\.)*linkedin\.com/in/"
_SLUG_STOP = r"[/?#\s]"
_SLUG_CHAR = r"[^/?#\s]"
WEAK_KEY_PREFIX = "name:"
# A run of percent escapes, decoded together: the bytes of one character can span several.
_ESCAPE_RUN = r"(?:%[0-9A-Fa-f]{2})+"


def percent_decode(values: pl.Series) -> pl.Series:
    """Percent-decode the values that need it, as urllib's unquote does (invalid UTF-8 becomes
    U+FFFD, a stray % stays). Polars has no URL decoder; the distinct runs of escapes (``%C3%A7``
    is one run) are far fewer than the encoded values, so only they go through Python."""
    rows = values.str.contains(_ESCAPE_RUN).arg_true()
    if rows.is_empty():
        return values
    encoded = values.gather(rows)
    runs = encoded.str.extract_all(_ESCAPE_RUN).explode().drop_nulls().unique()
    # Replaced whole: the longest run that starts at a place wins (runs are maximal, so it is
    # the one unquote decodes), and a decoded "%" is never read again.
    runs = runs[runs.str.len_bytes().arg_sort(descending=True)].to_list()
    decoded = encoded.str.replace_many(runs, [unquote(run) for run in runs], leftmost=True)
    return values.clone().scatter(rows, decoded)


def nfc(values: pl.Series) -> pl.Series:
    """Unicode NFC of each value. ASCII text is already NFC, so only the other values pay for
    Polars' normalize (about 1.3 s per million values, when most names and slugs are ASCII)."""
    non_ascii = (values.str.len_bytes() != values.str.len_chars()).arg_true()
    if non_ascii.is_empty():
        return values
    return values.clone().scatter(non_ascii, values.gather(non_ascii).str.normalize("NFC"))


def _nfc(text: pl.Expr) -> pl.Expr:
    return text.map_batches(nfc, return_dtype=pl.String, is_elementwise=True)


def canonical_profile_key(urls: pl.Series) -> pl.Series:
    """Profile URLs to person keys; null where the value is not a linkedin.com/in/ URL."""
    url = pl.col("url").str.strip_chars()
    is_profile = url.str.contains(_PROFILE_PREFIX + _SLUG_CHAR)
    slug = url.str.replace(_PROFILE_PREFIX, "").str.replace(f"(?s){_SLUG_STOP}.*", "")
    slugs = urls.rename("url").to_frame().select(pl.when(is_profile).then(slug)).to_series()
    return nfc(percent_decode(slugs).str.to_lowercase()).alias("person_key")


def normalize_name(text: pl.Expr) -> pl.Expr:
    """Names and companies as compared: NFC, lower-case, single spaces, trimmed."""
    return _single_spaces(_nfc(text).str.to_lowercase()).str.strip_chars()


def _single_spaces(text: pl.Expr) -> pl.Expr:
    """Every run of whitespace as one space. Single spaces, most of them, are left alone: a
    replacement costs even where it changes nothing."""
    return text.str.replace_all(r"\s\s+|[^\S ]", " ")


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
    name = _single_spaces(joined).str.strip_chars()
    # NFC last, on the one expression: Polars does not share a Python function's result
    # between two uses of it, and would normalize every name twice.
    return _nfc(pl.when(name != "").then(name))


def link_weak_keys(
    people: pl.DataFrame, known: pl.DataFrame, *, match_company: bool = True
) -> pl.DataFrame:
    """Give weak-keyed rows of ``people`` the key of the one person in ``known`` with the same
    normalized name (and company, with ``match_company``).

    Before 2024 neither Connections.csv nor Invitations.csv had URLs, so the same person is
    ``name:ana pereira|acme`` there and ``ana-pereira-1a2b`` in a later export; an invitation
    names no company at all. ``known`` holds ``person_key``, ``full_name`` and ``company``.
    A name shared by two known people stays unlinked: guessing would merge two people.
    """
    weak = pl.col("person_key").str.starts_with(WEAK_KEY_PREFIX)
    # Exports since 2024 have URLs: nothing to link, and normalizing the names of a million
    # known people would be the whole cost.
    if not people.select(weak.any()).item():
        return people
    fields = ["__name", "__company"] if match_company else ["__name"]

    def normalized(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            normalize_name(pl.col("full_name")).alias("__name"),
            normalize_name(pl.col("company")).fill_null("").alias("__company"),
        )

    candidates = (
        normalized(known.select("person_key", "full_name", "company"))
        .filter(pl.col("__name").is_not_null())
        .unique(["person_key", *fields])
    )
    unambiguous = candidates.filter(pl.len().over(fields) == 1).select(
        *fields, pl.col("person_key").alias("__linked")
    )
    company = people["company"] if "company" in people.columns else None
    work = normalized(
        people.with_columns(
            company if company is not None else pl.lit(None, pl.String).alias("company")
        )
    )
    linked = work.join(unambiguous, on=fields, how="left").with_columns(
        pl.when(weak & pl.col("__linked").is_not_null())
        .then(pl.col("__linked"))
        .otherwise(pl.col("person_key"))
        .alias("person_key")
    )
    return linked.select(people.columns)
