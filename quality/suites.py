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

from quality.validation import MISSING_REQUIRED, Batch, Rule
from transforms.classify import RELATIONSHIPS

# A profile URL parses when it reaches a slug under linkedin.com/in/ (any subdomain, scheme
# optional): the same rule transforms.identity uses to make person keys.
EMAIL_NOT_SHOWN = "(an email address, not shown)"
PROFILE_URL_PATTERN = r"(?i)^\s*(?:https?://)?(?:[a-z0-9-]+\.)*linkedin\.com/in/[^/?#\s]+"


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


@dataclass(frozen=True)
class RawFile:
    """One export file of a kind, as its suite validates it: its rows (at least the kind's
    `RawRules.fact_columns`), every column it was read with, and the date its observation
    is of (no date in it may be later)."""

    label: str  # how the results name it: the observation's date and the file
    rows: pl.DataFrame
    columns: list[str]
    observed_on: dt.date


# Which file (or snapshot) of a batch a row is about.
FILE_NUMBER = "file_number"
# Facts of a file's rows: null where the row is sound, else what is wrong with it.
UNREADABLE_DATE = "unreadable_date"
LATE_DATE = "late_date"
# Facts of a whole file, on one row of its own per file (null on the file's data rows).
BLANK_SHARE = "blank_person_share"
MISSING_URL_SHARE = "missing_url_share"


def raw_batch(rules: RawRules, files: list[RawFile], *, each_file: bool = False) -> Batch:
    """The raw suite of ``files`` (the new files of one kind an account's load reads) as one
    GX batch of facts computed once in Polars: for each file its rows' facts (an unparsed
    URL, an unreadable or late date), and one row of its own facts (its missing required
    columns, its shares of blank rows and of people without URL), so that every rule holds
    for the batch exactly when it holds for each file, and one expectation per rule judges
    them all. ``each_file``: one expectation per rule and file instead (a GX row condition
    selecting the file's rows), which says which files fail; GX's cost grows with the number
    of expectations (about 35 ms each on 90,000 rows), so a load asks for it only when the
    whole batch fails."""
    frames = [_file_facts(rules, file, number) for number, file in enumerate(files)]
    stacked = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    scopes = _scopes(files, each_file)
    expectations = [e for scope in scopes for e in _raw_expectations(rules, stacked, scope)]
    rows = sum(file.rows.height for file in files)
    return Batch(rules.suite_name, stacked, expectations, rows=rows)


def _scopes(files: list, each_file: bool) -> list[dict]:
    if each_file and len(files) > 1:
        return [_only(number, file.label) for number, file in enumerate(files)]
    # A batch of one file names it; a batch of several, judged as one, names none.
    return [{"observation": files[0].label}] if len(files) == 1 else [{}]


def _only(number: int, label: str) -> dict:
    """Keyword arguments that restrict an expectation to one file of a stacked batch."""
    return {"only": (FILE_NUMBER, number), "observation": label}


def latest_date_allowed(rules: RawRules, observed_on: dt.date) -> dt.date:
    """The observation's date (a day later for timestamps)."""
    return observed_on + TIMESTAMP_SLACK if rules.date_is_timestamp else observed_on


def _file_facts(rules: RawRules, file: RawFile, number: int) -> pl.DataFrame:
    """The facts of one file: its rows' (null where sound) and one row of its own."""
    rows = file.rows
    facts = []
    for column in rules.url_columns:
        if column in rows.columns:
            url = pl.col(column)
            parses = url.str.contains(PROFILE_URL_PATTERN)
            # GX keeps a sample of the values that fail, in the results kept for the Data
            # Docs: an address in a URL column (a shifted column, a scraper's contact field)
            # would be an email kept in the clear.
            shown = pl.when(url.str.contains("@")).then(pl.lit(EMAIL_NOT_SHOWN)).otherwise(url)
            facts.append(pl.when(parses.not_()).then(shown).alias(unparsed_column(column)))
    if rules.date_column in rows.columns:
        date = pl.col(rules.date_column)
        day = date.dt.date() if rules.date_is_timestamp else date
        if rules.date_required:
            row = (
                pl.format("row {}", pl.col("row_number"))
                if "row_number" in rows.columns
                else (pl.lit("a row"))
            )
            facts.append(pl.when(day.is_null()).then(row).alias(UNREADABLE_DATE))
        bound = latest_date_allowed(rules, file.observed_on)
        late = pl.format("{} (at most {})", day.cast(pl.String), pl.lit(bound.isoformat()))
        facts.append(pl.when(day > bound).then(late).alias(LATE_DATE))
    frame = (
        rows.select(*facts, pl.lit(number, pl.Int32).alias(FILE_NUMBER))
        if facts
        else (pl.DataFrame({FILE_NUMBER: [number] * rows.height}, schema={FILE_NUMBER: pl.Int32}))
    )
    missing = [c for c in rules.required if c not in file.columns]
    own = {FILE_NUMBER: number, MISSING_REQUIRED: ", ".join(missing) or None}
    person_columns = [c for c in rules.person_columns if c in rows.columns]
    if rules.person_columns and person_columns == list(rules.person_columns) and rows.height:
        blank = rows.select(pl.all_horizontal(pl.col(c).is_null() for c in person_columns))
        blank = blank.to_series()
        if rules.max_blank_share is not None:
            own[BLANK_SHARE] = blank.mean()
        url = rules.url_columns[0]
        people = rows.filter(~blank)
        # An export without any URL (before 2024) gives weak keys, not an error.
        if rules.max_missing_url_share is not None and url in rows.columns and people.height:
            without = people[url].is_null()
            if not without.all():
                own[MISSING_URL_SHARE] = without.mean()
    summary = pl.DataFrame([own]).cast({FILE_NUMBER: pl.Int32}, strict=False)
    return pl.concat([frame, summary], how="diagonal_relaxed")


def _raw_expectations(rules: RawRules, facts: pl.DataFrame, scope: dict) -> list:
    """One expectation per rule whose fact the batch has, limited to ``scope``."""

    def has(column: str) -> bool:
        return column in facts.columns and facts[column].null_count() < facts.height

    expectations = [
        Rule(
            "ExpectColumnValuesToBeNull",
            column=MISSING_REQUIRED,
            description="required columns present",
            **scope,
        )
    ]
    for column in rules.url_columns:
        if unparsed_column(column) in facts.columns:
            expectations.append(
                Rule(
                    "ExpectColumnValuesToBeNull",
                    column=unparsed_column(column),
                    description="profile URLs parse to a linkedin.com/in/ slug",
                    **scope,
                )
            )
    if UNREADABLE_DATE in facts.columns:
        expectations.append(
            Rule(
                "ExpectColumnValuesToBeNull",
                column=UNREADABLE_DATE,
                description="dates parse (no empty or unreadable date)",
                **scope,
            )
        )
    if LATE_DATE in facts.columns:
        expectations.append(
            Rule(
                "ExpectColumnValuesToBeNull",
                column=LATE_DATE,
                description="dates not after the observation's date",
                **scope,
            )
        )
    # Shares are the files' own facts, one value per file: GX's mean would scan rows for
    # Decimal objects one at a time (0.3 s per 1M rows), and a share of the whole batch
    # would let one bad file hide among good ones.
    if rules.max_blank_share is not None and has(BLANK_SHARE):
        expectations.append(
            Rule(
                "ExpectColumnValuesToBeBetween",
                column=BLANK_SHARE,
                max_value=rules.max_blank_share,
                description=f"at most {rules.max_blank_share:.0%} blank-person rows",
                **scope,
            )
        )
    if rules.max_missing_url_share is not None and has(MISSING_URL_SHARE):
        expectations.append(
            Rule(
                "ExpectColumnValuesToBeBetween",
                column=MISSING_URL_SHARE,
                max_value=rules.max_missing_url_share,
                description=f"at most {rules.max_missing_url_share:.0%} of people without URL",
                **scope,
            )
        )
    return expectations


CORE_SNAPSHOT_COLUMNS = ("person_key", "relationship", "is_connection")
# Classes that need a follower list, and the one that stands for "follow status unknown".
_FOLLOW_CLASSES = ("mutual", "connection_only", "follower_only")
DUPLICATE_PERSON_KEY = "duplicate_person_key"
ROW_WITHOUT_PERSON = "row_without_person"
LISTED_RELATIONSHIP = "relationship_with_a_follower_list"
UNLISTED_RELATIONSHIP = "relationship_without_a_follower_list"


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


def core_snapshot_batch(snapshots: list[SnapshotRows], *, each_file: bool = False) -> Batch:
    """One row per person per snapshot, in an allowed relationship class, for every snapshot
    a load classifies, as one GX batch (``each_file``: one expectation per rule and
    snapshot). The person keys reach GX as facts (a row without one, the key where it is a
    duplicate in its snapshot): GX's uniqueness check and batch fingerprint both hash every
    key."""
    frames = []
    for number, snapshot in enumerate(snapshots):
        people = snapshot.people
        facts = [pl.lit(number, pl.Int32).alias(FILE_NUMBER)]
        if "person_key" in people.columns:
            key = pl.col("person_key")
            facts += [
                pl.when(key.is_null()).then(pl.lit("a row")).alias(ROW_WITHOUT_PERSON),
                pl.when(key.is_duplicated() & key.is_not_null())
                .then(key)
                .alias(DUPLICATE_PERSON_KEY),
            ]
        if "relationship" in people.columns:
            column = LISTED_RELATIONSHIP if snapshot.has_follower_list else UNLISTED_RELATIONSHIP
            facts.append(pl.col("relationship").alias(column))
        missing = [c for c in CORE_SNAPSHOT_COLUMNS if c not in people.columns]
        own = pl.DataFrame(
            [{FILE_NUMBER: number, MISSING_REQUIRED: ", ".join(missing) or None}]
        ).cast({FILE_NUMBER: pl.Int32}, strict=False)
        frames.append(pl.concat([people.select(facts), own], how="diagonal_relaxed"))
    stacked = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    expectations = []
    for scope in _scopes(snapshots, each_file):
        expectations.append(
            Rule(
                "ExpectColumnValuesToBeNull",
                column=MISSING_REQUIRED,
                description="required columns present",
                **scope,
            )
        )
        if ROW_WITHOUT_PERSON in stacked.columns:
            expectations += [
                Rule(
                    "ExpectColumnValuesToBeNull",
                    column=ROW_WITHOUT_PERSON,
                    description="every row a person",
                    **scope,
                ),
                Rule(
                    "ExpectColumnValuesToBeNull",
                    column=DUPLICATE_PERSON_KEY,
                    description="one row per person per snapshot",
                    **scope,
                ),
            ]
        for column, listed in ((LISTED_RELATIONSHIP, True), (UNLISTED_RELATIONSHIP, False)):
            if column in stacked.columns:
                expectations.append(
                    Rule(
                        "ExpectColumnValuesToBeInSet",
                        column=column,
                        value_set=allowed_relationships(listed),
                        description="relationship in the allowed set",
                        **scope,
                    )
                )
    rows = sum(snapshot.people.height for snapshot in snapshots)
    return Batch("core_relationship_snapshots", stacked, expectations, rows=rows)
