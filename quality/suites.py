"""The expectation suites of the raw and core layers, as data first, then as GX objects.

Each raw file kind lists the columns it must have, the profile-URL columns that must parse,
the date column that must parse and not lie after the observation, and the columns that
identify a person. A suite is validated in one batch of per-row facts computed once in Polars
(where they cost least), so that every rule is a cheap, vectorized GX expectation and GX
fingerprints no long string column (see quality.validation for what that costs). Every file
of a kind that one account's load reads is in one batch: its expectations carry a row
condition that selects its rows, so that a suite costs one GX run per load, not one per file
and snapshot, and each file is still judged on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from quality.validation import MISSING_REQUIRED, Batch
from transforms.classify import RELATIONSHIPS

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


def unparsed_column(url_column: str) -> str:
    return f"unparsed_{url_column}"


def missing_column(url_column: str) -> str:
    return f"missing_{url_column}"


@dataclass(frozen=True)
class RawFile:
    """One export file of a kind, as its suite validates it: its rows (at least the kind's
    `RawRules.fact_columns`), every column it was read with, and the date its observation
    is of (no date in it may be later)."""

    label: str  # how the results name it: the observation's date and the file
    rows: pl.DataFrame
    columns: list[str]
    observed_on: dt.date


# The fact naming which file of a batch a row comes from; expectations select their file
# with a GX row condition on it.
FILE_NUMBER = "file_number"


def raw_batch(rules: RawRules, files: list[RawFile]) -> Batch:
    """The raw suite of ``files`` (every new file of one kind an account's load reads) as one
    GX batch: per-row facts computed once in Polars and stacked, and each file's expectations
    restricted to its rows by a row condition, so that one GX run judges each file on its
    own (a share of blank rows is a file's share, not the batch's)."""
    frames, expectations = [], []
    for number, file in enumerate(files):
        facts = raw_facts(file.rows, rules)
        names = [f.meta.output_name() for f in facts]
        missing = [c for c in rules.required if c not in file.columns]
        frame = file.rows.select(
            *facts,
            pl.lit(", ".join(missing) or None, pl.String).alias(MISSING_REQUIRED),
            pl.lit(number, pl.Int32).alias(FILE_NUMBER),
        )
        frames.append(frame)
        selected = _only(number, file.label) if len(files) > 1 else {"meta": _meta(file.label)}
        expectations += [
            _required_columns_present(selected),
            *raw_expectations(rules, frame.select(names), file.observed_on, selected),
        ]
    stacked = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    return Batch(rules.suite_name, stacked, expectations)


def _meta(label: str) -> dict:
    return {"observation": label}


def _only(number: int, label: str) -> dict:
    """Keyword arguments that restrict an expectation to one file of a stacked batch."""
    from great_expectations.expectations.row_conditions import Column

    return {"row_condition": Column(FILE_NUMBER) == number, "meta": _meta(label)}


def _required_columns_present(selected: dict):
    """A file lacking a required column names them in `MISSING_REQUIRED` (one value for
    every row of the file): the expectation holds when it is empty."""
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToBeNull(
        column=MISSING_REQUIRED, description="required columns present", **selected
    )


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


def raw_expectations(
    rules: RawRules, facts: pl.DataFrame, observed_on: dt.date, selected: dict | None = None
) -> list:
    """The row expectations of a raw file, on the frame of its `raw_facts`: whether the export
    has URLs at all decides whether the missing-URL share applies (exports before 2024 have
    no URL column). No date may be later than `latest_date_allowed` of ``observed_on``.
    ``selected``: keyword arguments restricting each expectation to the file's rows."""
    selected = selected or {}
    import great_expectations.expectations as gxe

    expectations: list = []
    for column in rules.url_columns:
        if unparsed_column(column) in facts.columns:
            expectations.append(
                gxe.ExpectColumnValuesToBeNull(
                    column=unparsed_column(column),
                    description="profile URLs parse to a linkedin.com/in/ slug",
                    **selected,
                )
            )
    date_column = EVENT_DATE if rules.date_is_timestamp else rules.date_column
    if date_column in facts.columns:
        if rules.date_required:
            expectations.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=date_column,
                    description="dates parse (no empty or unreadable date)",
                    **selected,
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
                    max_value=latest_date_allowed(rules, observed_on),
                    description="dates not after the observation's date",
                    **selected,
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
                **selected,
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
                **selected,
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


@dataclass(frozen=True)
class SnapshotRows:
    """One classified snapshot, as the core suite validates it."""

    label: str  # the snapshot's date
    people: pl.DataFrame  # at least CORE_SNAPSHOT_COLUMNS
    has_follower_list: bool


def core_snapshot_batch(snapshots: list[SnapshotRows]) -> Batch:
    """One row per person per snapshot, in an allowed relationship class, for every snapshot
    a load classifies, as one GX batch (each snapshot's expectations on its own rows). The
    person keys reach GX as facts (whether a row has one, the key where it is a duplicate,
    else null): GX's uniqueness check and batch fingerprint both hash every key."""
    import great_expectations.expectations as gxe

    frames, expectations = [], []
    for number, snapshot in enumerate(snapshots):
        people = snapshot.people
        selected = (
            _only(number, snapshot.label) if len(snapshots) > 1 else {"meta": _meta(snapshot.label)}
        )
        missing = [c for c in CORE_SNAPSHOT_COLUMNS if c not in people.columns]
        facts = [
            pl.lit(", ".join(missing) or None, pl.String).alias(MISSING_REQUIRED),
            pl.lit(number, pl.Int32).alias(FILE_NUMBER),
        ]
        expectations.append(_required_columns_present(selected))
        if "person_key" in people.columns:
            key = pl.col("person_key")
            facts += [
                key.is_not_null().alias(HAS_PERSON_KEY),
                pl.when(key.is_duplicated() & key.is_not_null())
                .then(key)
                .alias(DUPLICATE_PERSON_KEY),
            ]
            expectations += [
                gxe.ExpectColumnValuesToBeInSet(
                    column=HAS_PERSON_KEY,
                    value_set=[True],
                    description="every row a person",
                    **selected,
                ),
                gxe.ExpectColumnValuesToBeNull(
                    column=DUPLICATE_PERSON_KEY,
                    description="one row per person per snapshot",
                    **selected,
                ),
            ]
        if "relationship" in people.columns:
            facts.append(pl.col("relationship"))
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column="relationship",
                    value_set=allowed_relationships(snapshot.has_follower_list),
                    description="relationship in the allowed set",
                    **selected,
                )
            )
        frames.append(people.select(*facts))
    stacked = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    return Batch("core_relationship_snapshots", stacked, expectations)
