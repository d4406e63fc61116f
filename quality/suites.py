"""The expectation suites of the raw and core layers, as data first, then as GX objects.

Each raw file kind lists the columns it must have, the profile-URL columns that must parse,
the date column that must parse and not lie after the snapshot, and the columns that identify
a person. A suite is validated in one batch of per-row facts computed once in Polars (where
they cost least), so that every rule is a cheap, vectorized GX expectation and GX fingerprints
no long string column (see quality.validation for what that costs). The required columns the
frame has reach GX as constant columns of the same names, so that a suite is one GX run: each
run costs a fixed 5 ms or so, and under the home's GX project a stored result and a Data Docs
page besides (about 20 ms a run measured, on a 5k-connection snapshot).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from quality.validation import Batch
from transforms.classify import RELATIONSHIPS

if TYPE_CHECKING:
    from great_expectations.expectations import ExpectTableColumnsToMatchSet

# A profile URL parses when it reaches a slug under linkedin.com/in/ (any subdomain, scheme
# optional): the same rule transforms.identity uses to make person keys.
PROFILE_URL_PATTERN = r"(?i)^\s*(?:https?://)?(?:[a-z0-9-]+\.)*linkedin\.com/in/[^/?#\s]+"

# Derived column: 1 for a row with none of the kind's person columns (a deactivated member in
# Connections.csv, an empty line of a scraper's list), else 0. Its mean is the blank share.
BLANK_PERSON = "blank_person"
# Derived column for timestamps: the calendar date (UTC) the event happened.
EVENT_DATE = "event_date"


@dataclass(frozen=True)
class RawRules:
    kind: str
    required: tuple[str, ...]
    url_columns: tuple[str, ...]
    date_column: str
    date_is_timestamp: bool
    # Null dates are a parse failure for LinkedIn's own files; scrapers often leave them out.
    date_required: bool
    person_columns: tuple[str, ...]
    max_blank_share: float | None = None
    # Share of (non-blank) rows allowed without a profile URL, when the file has URLs at all.
    max_missing_url_share: float | None = None

    @property
    def suite_name(self) -> str:
        return f"raw_{self.kind}"

    @property
    def fact_columns(self) -> tuple[str, ...]:
        """The columns `raw_facts` reads."""
        return tuple(dict.fromkeys((*self.url_columns, self.date_column, *self.person_columns)))


# Bounds: real archives have 1-3 % deactivated members (linkedin-formats.md section 4);
# Connections.csv leaves URLs out only for blank people, and scrapers write one per row, so a
# few percent missing means a damaged file (a spreadsheet re-save, a truncated scrape).
RAW_RULES = {
    "connections": RawRules(
        kind="connections",
        required=(
            "first_name",
            "last_name",
            "profile_url",
            "company",
            "position",
            "connected_on",
        ),
        url_columns=("profile_url",),
        date_column="connected_on",
        date_is_timestamp=False,
        date_required=True,
        person_columns=("first_name", "last_name", "profile_url", "company", "position"),
        max_blank_share=0.10,
        max_missing_url_share=0.05,
    ),
    "followers": RawRules(
        kind="followers",
        required=("profile_url", "full_name", "headline", "followed_at"),
        url_columns=("profile_url",),
        date_column="followed_at",
        date_is_timestamp=False,
        date_required=False,
        person_columns=("profile_url", "full_name"),
        max_blank_share=0.05,
        max_missing_url_share=0.02,
    ),
    "invitations": RawRules(
        kind="invitations",
        required=("direction", "sent_at", "inviter_url", "invitee_url"),
        url_columns=("inviter_url", "invitee_url"),
        date_column="sent_at",
        date_is_timestamp=True,
        date_required=True,
        person_columns=(),
    ),
    "messages": RawRules(
        kind="messages",
        required=("conversation_id", "sender_url", "sent_at"),
        url_columns=("sender_url",),
        date_column="sent_at",
        date_is_timestamp=True,
        date_required=True,
        person_columns=(),
    ),
}

# Invitation and message times are exported in UTC or US Pacific time while the file's date
# is the member's local date: a day of slack keeps an evening export in Asia valid.
TIMESTAMP_SLACK = dt.timedelta(days=1)
# The suite parameter holding the latest date a raw file may hold.
LATEST_DATE = "latest_date"


def unparsed_column(url_column: str) -> str:
    return f"unparsed_{url_column}"


def missing_column(url_column: str) -> str:
    return f"missing_{url_column}"


def raw_batch(
    rows: pl.DataFrame,
    rules: RawRules,
    snapshot_date: dt.date,
    columns: list[str] | None = None,
) -> Batch:
    """The raw suite of a file of the snapshot: per-row facts computed once in Polars, which
    GX checks with cheap expectations (no regex, no string of every row to fingerprint).
    ``columns``: the file's columns when ``rows`` holds only its `RawRules.fact_columns`."""
    facts = raw_facts(rows, rules)
    names = [f.meta.output_name() for f in facts]
    file_columns = rows.columns if columns is None else columns
    markers, present = required_columns(rules.required, file_columns, names)
    frame = rows.select(*facts, *markers)
    return Batch(
        rules.suite_name,
        frame,
        [present, *raw_expectations(rules, frame.select(names))],
        {LATEST_DATE: latest_date_allowed(rules, snapshot_date)},
    )


def required_columns(
    required: tuple[str, ...], columns: list[str], facts: list[str]
) -> tuple[list[pl.Expr], ExpectTableColumnsToMatchSet]:
    """The expectation that the frame has every ``required`` column, and what makes it
    checkable on the facts: for each required column the frame has (``columns``) and the
    facts lack, a constant boolean column of that name, one value per row. GX hashes every
    column of a batch; a constant boolean costs it next to nothing, the strings would not.
    ``exact_match=False`` (GX 1.24) fails exactly when a required column is missing, and
    names it in the result's ``details.mismatched.missing``; other columns are allowed."""
    import great_expectations.expectations as gxe

    markers = [
        pl.repeat(True, pl.len()).alias(c) for c in required if c in columns and c not in facts
    ]
    expectation = gxe.ExpectTableColumnsToMatchSet(
        column_set=list(required), exact_match=False, description="required columns present"
    )
    return markers, expectation


def latest_date_allowed(rules: RawRules, snapshot_date: dt.date) -> dt.datetime:
    """The snapshot's date (a day later for timestamps), as pandas holds dates: midnight."""
    latest = snapshot_date + TIMESTAMP_SLACK if rules.date_is_timestamp else snapshot_date
    return dt.datetime.combine(latest, dt.time())


def raw_facts(rows: pl.DataFrame, rules: RawRules) -> list[pl.Expr]:
    """Per-row facts of a raw file, on ``rows``; with the required columns' constants, the
    only columns handed to GX:

    - ``unparsed_<url column>``: the URL where it does not parse to a profile, else null
      (so the bad values themselves are GX's sample);
    - the date column (for timestamps, ``event_date``, the UTC calendar date);
    - ``blank_person``: 1 for a row with none of the person columns, else 0;
    - ``missing_<url column>``: 1 for a person without URL, 0 with one, null for a blank row
      (GX leaves nulls out of its shares: the share is of people).
    """
    facts = []
    for column in rules.url_columns:
        if column in rows.columns:
            url = pl.col(column)
            parses = url.str.contains(PROFILE_URL_PATTERN)
            facts.append(pl.when(parses.not_()).then(url).alias(unparsed_column(column)))
    if rules.date_column in rows.columns:
        date = pl.col(rules.date_column)
        facts.append(date.dt.date().alias(EVENT_DATE) if rules.date_is_timestamp else date)
    person_columns = [c for c in rules.person_columns if c in rows.columns]
    if rules.person_columns and person_columns == list(rules.person_columns):
        blank = pl.all_horizontal(pl.col(c).is_null() for c in person_columns)
        facts.append(blank.cast(pl.Int8).alias(BLANK_PERSON))
        url = rules.url_columns[0]
        if url in rows.columns:
            missing = pl.when(blank.not_()).then(pl.col(url).is_null().cast(pl.Int8))
            facts.append(missing.alias(missing_column(url)))
    return facts


def raw_expectations(rules: RawRules, facts: pl.DataFrame) -> list:
    """The row expectations of a raw file, on the frame of its `raw_facts`: whether the export
    has URLs at all decides whether the missing-URL share applies (exports before 2024 have
    no URL column). The latest date allowed is the parameter `LATEST_DATE`
    (`latest_date_allowed` of the snapshot)."""
    import great_expectations.expectations as gxe

    expectations: list = []
    for column in rules.url_columns:
        if unparsed_column(column) in facts.columns:
            expectations.append(
                gxe.ExpectColumnValuesToBeNull(
                    column=unparsed_column(column),
                    description="profile URLs parse to a linkedin.com/in/ slug",
                )
            )
    date_column = EVENT_DATE if rules.date_is_timestamp else rules.date_column
    if date_column in facts.columns:
        if rules.date_required:
            expectations.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=date_column, description="dates parse (no empty or unreadable date)"
                )
            )
        # The latest date, not a row-by-row comparison: GX compares dates one Python object
        # at a time (4.8 s of 12.7 s on a 1M-row follower list), its maximum is one vectorized
        # pass. pandas holds dates as midnight timestamps (see quality.validation). GX fails
        # the maximum of an empty column, and scrapers' follower lists often have no follow
        # dates at all.
        if facts[date_column].null_count() < facts.height:
            expectations.append(
                gxe.ExpectColumnMaxToBeBetween(
                    column=date_column,
                    max_value={"$PARAMETER": LATEST_DATE},
                    description="dates not after the snapshot date",
                )
            )
    # Shares as `mostly` of a set membership, not as a column mean: GX's pandas mean first
    # looks for Decimal objects one row at a time (0.3 s per 1M rows); `isin` is vectorized,
    # and the failure says how many rows.
    if rules.max_blank_share is not None and BLANK_PERSON in facts.columns:
        expectations.append(
            gxe.ExpectColumnValuesToBeInSet(
                column=BLANK_PERSON,
                value_set=[0],
                mostly=1 - rules.max_blank_share,
                description=f"at most {rules.max_blank_share:.0%} blank-person rows",
            )
        )
    missing = missing_column(rules.url_columns[0])
    # An export without any URL (before 2024) leaves every missing_ fact at 1 for people.
    has_urls = missing in facts.columns and (facts[missing] == 0).any()
    if rules.max_missing_url_share is not None and has_urls:
        expectations.append(
            gxe.ExpectColumnValuesToBeInSet(
                column=missing,
                value_set=[0],
                mostly=1 - rules.max_missing_url_share,
                description=f"at most {rules.max_missing_url_share:.0%} of people without URL",
            )
        )
    return expectations


CORE_SNAPSHOT_COLUMNS = ("person_key", "relationship", "is_connection")
# Classes that need a follower list, and the one that stands for "follow status unknown".
_FOLLOW_CLASSES = ("mutual", "connection_only", "follower_only")
DUPLICATE_PERSON_KEY = "duplicate_person_key"
HAS_PERSON_KEY = "has_person_key"


def allowed_relationships(has_follower_list: bool) -> list[str]:
    """A snapshot with a follower list knows who follows; one without cannot say mutual,
    connection_only or follower_only, and says `connection` instead."""
    if has_follower_list:
        return [r for r in RELATIONSHIPS if r != "connection"]
    return [r for r in RELATIONSHIPS if r not in _FOLLOW_CLASSES]


def core_snapshot_batch(people: pl.DataFrame, has_follower_list: bool) -> Batch:
    """One row per person per snapshot, in an allowed relationship class. The person keys
    reach GX as facts (whether a row has one, the key where it is a duplicate, else null):
    GX's uniqueness check and batch fingerprint both hash every key."""
    import great_expectations.expectations as gxe

    facts, expectations = [], []
    if "person_key" in people.columns:
        key = pl.col("person_key")
        facts += [
            key.is_not_null().alias(HAS_PERSON_KEY),
            pl.when(key.is_duplicated() & key.is_not_null()).then(key).alias(DUPLICATE_PERSON_KEY),
        ]
        expectations += [
            gxe.ExpectColumnValuesToBeInSet(
                column=HAS_PERSON_KEY, value_set=[True], description="every row a person"
            ),
            gxe.ExpectColumnValuesToBeNull(
                column=DUPLICATE_PERSON_KEY, description="one row per person per snapshot"
            ),
        ]
    if "relationship" in people.columns:
        facts.append(pl.col("relationship"))
        expectations.append(
            gxe.ExpectColumnValuesToBeInSet(
                column="relationship",
                value_set=allowed_relationships(has_follower_list),
                description="relationship in the allowed set",
            )
        )
    names = [f.meta.output_name() for f in facts]
    markers, present = required_columns(CORE_SNAPSHOT_COLUMNS, people.columns, names)
    return Batch(
        "core_relationship_snapshots", people.select(*facts, *markers), [present, *expectations]
    )
