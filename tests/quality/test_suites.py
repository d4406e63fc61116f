"""The GX suites of the raw and core layers: each expectation fails on the bad data it exists
for and passes on good data (validated in an ephemeral GX context: nothing written)."""

import datetime as dt

import polars as pl

from quality.suites import RAW_RULES, RawFile, SnapshotRows, core_snapshot_batch, raw_batch
from quality.validation import ValidationReport, validate_batch

DAY = dt.date(2026, 11, 20)
URL = "https://www.linkedin.com/in/"


def connections(n: int = 40, **columns) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "row_number": range(1, n + 1),
            "first_name": [f"First{i}" for i in range(n)],
            "last_name": [f"Last{i}" for i in range(n)],
            "profile_url": [f"{URL}person-{i}" for i in range(n)],
            "email_hash": [None] * n,
            "company": ["Acme"] * n,
            "position": ["CEO"] * n,
            "connected_on": [dt.date(2026, 1, 1)] * n,
        },
        schema_overrides={"email_hash": pl.String},
    )
    return frame.with_columns(**{k: pl.Series(v, dtype=frame[k].dtype) for k, v in columns.items()})


def followers(urls: list[str | None], names: list[str | None] | None = None) -> pl.DataFrame:
    n = len(urls)
    return pl.DataFrame(
        {
            "row_number": range(1, n + 1),
            "profile_url": urls,
            "full_name": names or [f"Name {i}" for i in range(n)],
            "headline": ["Founder"] * n,
            "followed_at": [None] * n,
        },
        schema_overrides={"followed_at": pl.Date, "profile_url": pl.String},
    )


def one_file(kind: str, rows: pl.DataFrame, columns: list[str] | None = None):
    file = RawFile("2026-11-20 export", rows, rows.columns if columns is None else columns, DAY)
    return raw_batch(RAW_RULES[kind], [file])


def validate_raw(kind: str, rows: pl.DataFrame) -> ValidationReport:
    return validate_batch(one_file(kind, rows), run_name="me load")


def failed(report: ValidationReport) -> dict[str, list[str]]:
    return {o.description.split(" (")[0]: o.sample for o in report.failures}


def test_good_connections_meet_every_expectation():
    report = validate_raw("connections", connections())
    assert report.success, report.summary()
    assert len(report.outcomes) == 6


def test_a_missing_required_column_fails_the_raw_suite_and_is_named():
    report = validate_raw("connections", connections().drop("position"))
    assert list(failed(report)) == ["required columns present"]
    assert report.failures[0].missing_columns == ["position"]
    assert report.summary().endswith("required columns present: missing position")


def test_required_columns_outside_the_facts_are_checked_from_the_files_columns():
    # The checks read only the fact columns of a stored file, and pass the file's columns:
    # `headline` is required of a follower list but is no fact.
    rules = RAW_RULES["followers"]
    rows = followers([f"{URL}a", f"{URL}b"])
    facts_only = rows.select(rules.fact_columns)

    def validate(columns: list[str]) -> ValidationReport:
        return validate_batch(one_file("followers", facts_only, columns), run_name="me load")

    assert validate(rows.columns).success
    report = validate([c for c in rows.columns if c != "headline"])
    assert [o.missing_columns for o in report.failures] == [["headline"]]
    assert report.rows == 2


def test_a_url_that_is_not_a_profile_fails_and_is_shown():
    urls = [f"{URL}person-{i}" for i in range(39)] + ["https://www.linkedin.com/company/acme"]
    report = validate_raw("connections", connections(profile_url=urls))
    assert failed(report) == {
        "profile URLs parse to a linkedin.com/in/ slug": ["https://www.linkedin.com/company/acme"]
    }
    (outcome,) = report.failures
    assert outcome.unexpected_count == 1


def test_an_email_in_a_url_column_fails_but_is_never_kept_in_the_results():
    import json

    urls = [f"{URL}person-{i}" for i in range(39)] + ["mailto:ana.hidden@example.org"]
    report = validate_raw("connections", connections(profile_url=urls))
    assert failed(report) == {
        "profile URLs parse to a linkedin.com/in/ slug": ["(an email address, not shown)"]
    }
    assert "ana.hidden@example.org" not in json.dumps(report.result, default=str)


def test_an_empty_connection_date_fails_as_unparsed():
    dates = [dt.date(2026, 1, 1)] * 39 + [None]
    report = validate_raw("connections", connections(connected_on=dates))
    assert list(failed(report)) == ["dates parse"]


def test_a_connection_dated_after_the_snapshot_fails_with_the_date():
    dates = [dt.date(2026, 1, 1)] * 39 + [dt.date(2026, 12, 15)]
    report = validate_raw("connections", connections(connected_on=dates))
    assert failed(report) == {
        "dates not after the observation's date": ["2026-12-15 (at most 2026-11-20)"]
    }
    assert validate_raw("connections", connections(connected_on=[DAY] * 40)).success


def test_too_many_blank_person_rows_fail_a_few_pass():
    def with_blanks(count: int) -> pl.DataFrame:
        blank = [None] * count + ["x"] * (40 - count)
        return connections(
            first_name=blank,
            last_name=blank,
            profile_url=[None] * count + [f"{URL}p{i}" for i in range(40 - count)],
            company=blank,
            position=blank,
        )

    assert validate_raw("connections", with_blanks(2)).success  # 5 %: deactivated members
    report = validate_raw("connections", with_blanks(8))  # 20 %
    assert list(failed(report)) == ["at most 10% blank-person rows"]
    assert "at most 10% blank-person rows: observed 20%" in report.summary()


def test_people_without_url_fail_only_when_the_export_has_urls():
    missing = [None] * 4 + [f"{URL}p{i}" for i in range(36)]  # 10 % of named people
    report = validate_raw("connections", connections(profile_url=missing))
    assert list(failed(report)) == ["at most 5% of people without URL"]
    # Exports from before 2024 have no URL column at all: people get weak keys, not an error.
    assert validate_raw("connections", connections(profile_url=[None] * 40)).success


def test_follower_lists_bound_rows_without_url():
    urls = [f"{URL}f{i}" for i in range(100)]
    assert validate_raw("followers", followers(urls)).success
    report = validate_raw("followers", followers(urls[:90] + [None] * 10))
    assert list(failed(report)) == ["at most 2% of people without URL"]


def test_message_times_may_run_a_day_ahead_of_the_file_date_not_more():
    def messages(sent: dt.datetime) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "row_number": [1],
                "conversation_id": ["c1"],
                "sender_url": [f"{URL}ann"],
                "recipient_urls": [[f"{URL}bo"]],
                "sent_at": [sent],
                "is_draft": [False],
                "is_sponsored": [False],
            },
            schema_overrides={"sent_at": pl.Datetime("us", "UTC")},
        )

    assert validate_raw("messages", messages(dt.datetime(2026, 11, 21, 8, 0))).success
    report = validate_raw("messages", messages(dt.datetime(2026, 11, 23, 8, 0)))
    assert list(failed(report)) == ["dates not after the observation's date"]


def core(keys: list[str], relationships: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"person_key": keys, "relationship": relationships, "is_connection": [True] * len(keys)}
    )


def validate_core(frame: pl.DataFrame, has_follower_list: bool) -> ValidationReport:
    batch = core_snapshot_batch([SnapshotRows("2026-11-20", frame, has_follower_list)])
    return validate_batch(batch, run_name="me load")


def test_core_snapshots_have_one_row_per_person():
    assert validate_core(core(["ann", "bo"], ["mutual", "follower_only"]), True).success
    report = validate_core(core(["ann", "bo", "ann"], ["mutual"] * 3), True)
    assert failed(report) == {"one row per person per snapshot": ["ann", "ann"]}


def test_a_core_snapshot_without_a_required_column_fails_naming_it():
    report = validate_core(core(["ann"], ["mutual"]).drop("is_connection"), True)
    assert [o.missing_columns for o in report.failures] == [["is_connection"]]


def test_core_relationships_must_be_in_the_allowed_set():
    report = validate_core(core(["ann", "bo"], ["mutual", "friend"]), True)
    assert failed(report) == {"relationship in the allowed set": ["friend"]}
    # Without a follower list nobody can be known to follow: `connection`, not `mutual`.
    assert validate_core(core(["ann"], ["connection"]), False).success
    assert not validate_core(core(["ann"], ["mutual"]), False).success
    assert not validate_core(core(["ann"], ["connection"]), True).success


def test_a_validation_writes_nothing_and_carries_gx_s_own_result(tmp_path, monkeypatch):
    # Loads validate in several processes at once: no GX file store, no file at all.
    monkeypatch.chdir(tmp_path)
    report = validate_batch(
        one_file("followers", followers([f"{URL}a", "not a url"])), run_name="me load"
    )
    assert not report.success and list(tmp_path.iterdir()) == []
    assert report.data_docs is None  # until a load keeps the result
    assert report.result["suite_name"] == "raw_followers" and report.result["success"] is False
    assert report.result["meta"]["run_id"]["run_name"] == "me load"
    failed_urls = [r for r in report.result["results"] if not r["success"]]
    assert "not a url" in failed_urls[0]["result"]["partial_unexpected_list"]


def test_blank_rows_are_not_counted_as_people_without_url():
    blank = [None] * 3 + ["x"] * 37  # 7.5 % deactivated members: within their own bound
    rows = connections(
        first_name=blank,
        last_name=blank,
        profile_url=[None] * 3 + [f"{URL}p{i}" for i in range(37)],
        company=blank,
        position=blank,
    )
    assert validate_raw("connections", rows).success


def test_files_of_one_batch_are_judged_each_on_its_own():
    # A tenth of blank rows in one file is too many, even beside a long clean file.
    clean = connections(400)
    blank = [None] * 8 + ["x"] * 32
    damaged = connections(
        first_name=blank,
        last_name=blank,
        profile_url=[None] * 8 + [f"{URL}p{i}" for i in range(32)],
        company=blank,
        position=blank,
    )
    later = dt.date(2026, 12, 1)
    files = [
        RawFile("2026-11-20 clean.zip", clean, clean.columns, DAY),
        RawFile("2026-12-01 damaged.zip", damaged, damaged.columns, later),
    ]
    # Judged as a whole, the batch fails: one bad file is not diluted by a long good one.
    whole = validate_batch(raw_batch(RAW_RULES["connections"], files), run_name="me load")
    assert [o.description for o in whole.failures] == ["at most 10% blank-person rows"]
    # File by file, the same rules say which file fails.
    batch = raw_batch(RAW_RULES["connections"], files, each_file=True)
    report = validate_batch(batch, run_name="me load")
    assert report.of("2026-11-20 clean.zip").success
    damaged_report = report.of("2026-12-01 damaged.zip")
    assert [o.description for o in damaged_report.failures] == ["at most 10% blank-person rows"]
    assert "2026-12-01 damaged.zip: at most 10% blank-person rows: observed 20%" in (
        report.summary()
    )


def test_each_file_of_a_batch_is_bounded_by_its_own_date():
    early, late = dt.date(2026, 10, 1), dt.date(2026, 11, 20)
    rows = connections(connected_on=[dt.date(2026, 11, 1)] * 40)
    batch = raw_batch(
        RAW_RULES["connections"],
        [RawFile("early", rows, rows.columns, early), RawFile("late", rows, rows.columns, late)],
        each_file=True,
    )
    report = validate_batch(batch, run_name="me load")
    assert not report.of("early").success and report.of("late").success


def test_a_batch_judged_as_a_whole_costs_one_expectation_per_rule_whatever_its_files():
    files = [RawFile(f"file {i}", connections(), connections().columns, DAY) for i in range(4)]
    whole = raw_batch(RAW_RULES["connections"], files)
    one = raw_batch(RAW_RULES["connections"], files[:1])
    assert len(whole.expectations) == len(one.expectations) == 6
    assert len(raw_batch(RAW_RULES["connections"], files, each_file=True).expectations) == 24
    report = validate_batch(whole, run_name="me load")
    assert report.success and report.rows == 160
    assert report.of("file 2") is report  # no file fails when the whole batch passes
