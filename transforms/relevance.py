"""Relevance to the member's ideal customer profile (ICP).

A contact's text is its position (connections) or headline (followers). Keywords match
case-insensitively on word boundaries. An excluded keyword makes the score 0; otherwise the
score is the largest weight among matched include keywords (1 when unweighted), or 1 for a
target company, capped at 1. A contact is relevant when its score reaches the threshold.

Target companies are keywords too, matched the same way in the contact's company; followers
have no company column, so their headline ("CTO at Acme, Inc.") stands in for it. Keywords
listed only under ``weights`` are include keywords with that weight.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class IdealCustomerProfile:
    include_titles: tuple[str, ...]
    exclude_titles: tuple[str, ...] = ()
    include_companies: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD
    # The include_companies entries as written (trimmed): the names the target lists show.
    target_companies: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = "ICP file") -> IdealCustomerProfile:
        """Validate a parsed YAML mapping; errors say which key is wrong and why."""
        known = {"include_titles", "exclude_titles", "include_companies", "weights", "threshold"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown keys {unknown}; expected some of {sorted(known)}")

        def keywords(key: str) -> tuple[str, ...]:
            value = data.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{source}: {key} must be a list of strings")
            return tuple(v.strip().lower() for v in value if v.strip())

        weights = data.get("weights") or {}
        if not isinstance(weights, dict) or not all(
            isinstance(v, int | float) and 0 <= v <= 1 for v in weights.values()
        ):
            raise ValueError(f"{source}: weights must map keywords to numbers between 0 and 1")
        threshold = data.get("threshold", DEFAULT_THRESHOLD)
        if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
            raise ValueError(f"{source}: threshold must be a number in (0, 1], got {threshold!r}")
        profile = cls(
            include_titles=keywords("include_titles"),
            exclude_titles=keywords("exclude_titles"),
            include_companies=keywords("include_companies"),
            weights={str(k).strip().lower(): float(v) for k, v in weights.items()},
            threshold=float(threshold),
            target_companies=tuple(
                dict.fromkeys(v.strip() for v in data.get("include_companies") or [] if v.strip())
            ),
        )
        if not (profile.include_titles or profile.weights or profile.include_companies):
            raise ValueError(f"{source}: include_titles, weights or include_companies is needed")
        return profile

    @property
    def fingerprint(self) -> str:
        """Changes whenever any rule changes, so marts know when to recompute."""
        rules = {
            "include": sorted(self.include_titles),
            "exclude": sorted(self.exclude_titles),
            "companies": sorted(self.include_companies),
            "weights": sorted(self.weights.items()),
            "threshold": self.threshold,
        }
        return hashlib.sha256(json.dumps(rules).encode()).hexdigest()[:16]


def _keyword_pattern(keyword: str) -> str:
    """The keyword as a regex that only matches whole words.

    A ``\\b`` goes only beside a word character: ``\\bacme, inc\\.\\b`` would need a word
    character after the final dot and so never matches "Acme, Inc." at the end of a company.
    """
    start = r"\b" if re.match(r"\w", keyword) else ""
    end = r"\b" if re.search(r"\w$", keyword) else ""
    return f"{start}{pl.escape_regex(keyword)}{end}"


# What a word character is for Polars' regex engine (Unicode \w), spelled for RE2, DuckDB's
# engine, whose \b knows ASCII letters only: "ller" must not match "Müller" in either.
_WORD = r"\pL\pM\p{Nd}\p{Pc}"


def sql_keyword_pattern(keyword: str) -> str:
    """The keyword as a case-insensitive RE2 pattern for DuckDB's `regexp_matches`, matching
    where `_keyword_pattern` matches in Polars: whole words only, in any case."""
    start = f"(?:^|[^{_WORD}])" if re.match(r"\w", keyword) else ""
    end = f"(?:$|[^{_WORD}])" if re.search(r"\w$", keyword) else ""
    return f"(?i){start}{pl.escape_regex(keyword)}{end}"


def target_company_rows(icp: IdealCustomerProfile) -> pl.DataFrame:
    """marts.target_companies: each target company as written, and its SQL pattern."""
    return pl.DataFrame(
        {
            "target_company": list(icp.target_companies),
            "pattern": [sql_keyword_pattern(c.lower()) for c in icp.target_companies],
        },
        schema={"target_company": pl.String, "pattern": pl.String},
    )


def _matches(text: pl.Expr, keyword: str) -> pl.Expr:
    return text.str.contains(f"(?i){_keyword_pattern(keyword)}").fill_null(False)


def _any_match(text: pl.Expr, keywords: tuple[str, ...]) -> pl.Expr:
    if not keywords:
        return pl.lit(False)
    alternatives = "|".join(_keyword_pattern(k) for k in keywords)
    return text.str.contains(f"(?i)(?:{alternatives})").fill_null(False)


def score_relevance(people: pl.DataFrame, icp: IdealCustomerProfile) -> pl.DataFrame:
    """Add ``relevance_score`` (0..1) and ``is_relevant`` to a relationship snapshot."""
    text = pl.coalesce(pl.col("position"), pl.col("headline"))
    # Followers carry no company column; their headline often names the employer.
    company_text = pl.coalesce(pl.col("company"), pl.col("headline"))
    include_weights = {k: 1.0 for k in icp.include_titles} | icp.weights
    title_score = pl.max_horizontal(
        pl.lit(0.0),
        *[
            pl.when(_matches(text, k)).then(pl.lit(w)).otherwise(0.0)
            for k, w in include_weights.items()
        ],
    )
    company_score = (
        pl.when(_any_match(company_text, icp.include_companies)).then(1.0).otherwise(0.0)
    )
    score = (
        pl.when(_any_match(text, icp.exclude_titles))
        .then(0.0)
        .otherwise(pl.min_horizontal(pl.lit(1.0), pl.max_horizontal(title_score, company_score)))
    )
    return people.with_columns(score.cast(pl.Float64).alias("relevance_score")).with_columns(
        (pl.col("relevance_score") >= icp.threshold).alias("is_relevant")
    )
