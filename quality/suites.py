"""The expectation suites of the raw and core layers, as data first, then as GX objects.

Each raw file kind lists the columns it must have, the profile-URL columns that must parse,
the date column that must parse and not lie after the snapshot, and the columns that identify
a person. Frames are validated with a few derived columns (computed in Polars, where they
cost least) so the shares the design bounds become plain GX expectations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

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


def raw_frame_for_validation(frame: pl.DataFrame, rules: RawRules) -> pl.DataFrame:
    """The columns the raw suite reads, plus its derived ones; nothing else is handed to
    pandas, so the hand-over copies no column the suite does not use."""
    present = [c for c in (*rules.required, *rules.url_columns) if c in frame.columns]
    derived = []
    if rules.person_columns and all(c in frame.columns for c in rules.person_columns):
        blank = pl.all_horizontal(pl.col(c).is_null() for c in rules.person_columns)
        derived.append(blank.cast(pl.Int8).alias(BLANK_PERSON))
    if rules.date_is_timestamp and rules.date_column in frame.columns:
        derived.append(pl.col(rules.date_column).dt.date().alias(EVENT_DATE))
    return frame.select(*dict.fromkeys(present), *derived)


def raw_expectations(rules: RawRules, frame: pl.DataFrame, snapshot_date: dt.date) -> list:
    """The GX expectations of a raw file of the snapshot. ``frame`` is what
    `raw_frame_for_validation` returns: whether the export has URLs at all decides whether
    the missing-URL share applies (exports before 2024 have no URL column)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    expectations: list = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=list(rules.required),
            exact_match=False,
            description="required columns present",
        )
    ]
    for column in rules.url_columns:
        expectations.append(
            gxe.ExpectColumnValuesToMatchRegex(
                column=column,
                regex=PROFILE_URL_PATTERN,
                description="profile URLs parse to a linkedin.com/in/ slug",
            )
        )
    date_column = EVENT_DATE if rules.date_is_timestamp else rules.date_column
    latest = snapshot_date + TIMESTAMP_SLACK if rules.date_is_timestamp else snapshot_date
    if rules.date_required:
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column=date_column, description="dates parse (no empty or unreadable date)"
            )
        )
    # The latest date, not a row-by-row comparison: GX compares dates one Python object at a
    # time (4.8 s of 12.7 s on a 1M-row follower list), its maximum is one vectorized pass.
    # pandas holds dates as midnight timestamps (see quality.validation). GX fails the maximum
    # of an empty column, and scrapers' follower lists often have no follow dates at all.
    dated = date_column in frame.columns and frame[date_column].null_count() < frame.height
    if dated or date_column not in frame.columns:
        expectations.append(
            gxe.ExpectColumnMaxToBeBetween(
                column=date_column,
                max_value=dt.datetime.combine(latest, dt.time()),
                description=f"dates not after the snapshot date ({snapshot_date})",
            )
        )
    if rules.max_blank_share is not None and BLANK_PERSON in frame.columns:
        expectations.append(
            gxe.ExpectColumnMeanToBeBetween(
                column=BLANK_PERSON,
                max_value=rules.max_blank_share,
                description=f"at most {rules.max_blank_share:.0%} blank-person rows",
            )
        )
    url = rules.url_columns[0]
    has_urls = url in frame.columns and frame[url].null_count() < frame.height
    if rules.max_missing_url_share is not None and has_urls and BLANK_PERSON in frame.columns:
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column=url,
                mostly=1 - rules.max_missing_url_share,
                row_condition=Column(BLANK_PERSON) == 0,
                description=f"at most {rules.max_missing_url_share:.0%} of people without URL",
            )
        )
    return expectations


CORE_SNAPSHOT_COLUMNS = ("person_key", "relationship", "is_connection")
# Classes that need a follower list, and the one that stands for "follow status unknown".
_FOLLOW_CLASSES = ("mutual", "connection_only", "follower_only")


def allowed_relationships(has_follower_list: bool) -> list[str]:
    """A snapshot with a follower list knows who follows; one without cannot say mutual,
    connection_only or follower_only, and says `connection` instead."""
    if has_follower_list:
        return [r for r in RELATIONSHIPS if r != "connection"]
    return [r for r in RELATIONSHIPS if r not in _FOLLOW_CLASSES]


def core_snapshot_expectations(has_follower_list: bool) -> list:
    """One row per person per snapshot, in an allowed relationship class."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=list(CORE_SNAPSHOT_COLUMNS),
            exact_match=False,
            description="required columns present",
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", description="every row a person"),
        gxe.ExpectColumnValuesToBeUnique(
            column="person_key", description="one row per person per snapshot"
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="relationship",
            value_set=allowed_relationships(has_follower_list),
            description="relationship in the allowed set",
        ),
    ]
