"""The ICP's company rule in SQL (analytics.target_company_contacts) matches where the Polars
scorer matches: DuckDB's regular expressions know word boundaries in ASCII only, so the SQL
pattern spells them out."""

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.relevance import _keyword_pattern, sql_keyword_pattern

ALPHABET = st.sampled_from(list("acmeü É.,&-_ 1"))
CON = duckdb.connect()


def polars_matches(text: str, keyword: str) -> bool:
    pattern = f"(?i){_keyword_pattern(keyword)}"
    return bool(pl.Series([text]).str.contains(pattern)[0])


def duckdb_matches(text: str, keyword: str) -> bool:
    query = "SELECT regexp_matches(?, ?)"
    return CON.execute(query, [text, sql_keyword_pattern(keyword)]).fetchall()[0][0]


@settings(max_examples=200, deadline=None)
@given(st.text(ALPHABET, max_size=12), st.text(ALPHABET, min_size=1, max_size=5))
def test_sql_and_polars_agree_on_every_text(text, keyword):
    keyword = keyword.strip().lower()
    if keyword:
        assert duckdb_matches(text, keyword) == polars_matches(text, keyword)


def test_known_cases():
    assert duckdb_matches("CTO at Acme, Inc.", "acme, inc.")
    assert not duckdb_matches("Acmeü Corp", "acme")
    assert not duckdb_matches("Müller", "ller")
    assert duckdb_matches("ACME", "acme")
