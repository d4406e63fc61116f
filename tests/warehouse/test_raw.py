"""Raw rows come back in file order: classification keeps the first of a person's rows."""

import datetime as dt
import time

import polars as pl

from warehouse.database import connect
from warehouse.raw import read_raw


def _follower_rows(export_id: str, source_file: str, numbers: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "export_id": export_id,
            "source_file": source_file,
            "row_number": numbers,
            "profile_url": [f"https://www.linkedin.com/in/p{n}" for n in numbers],
            "full_name": [f"{source_file} row {n}" for n in numbers],
            "headline": None,
            "followed_at": dt.date(2026, 1, 2),
        },
        schema_overrides={"headline": pl.String},
    )


def test_rows_inserted_out_of_order_come_back_in_file_order(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    batches = [
        _follower_rows("e1", "b.csv", [2, 1]),
        _follower_rows("other", "a.csv", [1]),
        _follower_rows("e1", "a.csv", [3, 1, 2]),
    ]
    for rows in batches:
        con.register("rows", rows.to_arrow())
        con.execute("INSERT INTO raw.followers BY NAME SELECT * FROM rows")
        con.unregister("rows")

    rows = read_raw(con, "followers", "e1")

    assert rows["full_name"].to_list() == [
        "a.csv row 1",
        "a.csv row 2",
        "a.csv row 3",
        "b.csv row 1",
        "b.csv row 2",
    ]
    assert "source_file" not in rows.columns and "export_id" not in rows.columns


def test_rows_of_one_file_keep_their_order(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    rows = _follower_rows("e1", "followers.csv", list(range(1, 5001)))
    con.register("rows", rows.to_arrow())
    con.execute("INSERT INTO raw.followers BY NAME SELECT * FROM rows")

    assert read_raw(con, "followers", "e1")["row_number"].to_list() == list(range(1, 5001))


def test_message_times_read_back_in_utc_wherever_the_pipeline_runs(tmp_path, monkeypatch):
    # 23:30 UTC is the next morning in Tokyo: read back in the machine's zone, the message
    # would fall on another calendar day.
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        con = connect(tmp_path / "w.duckdb")
        con.execute(
            "INSERT INTO raw.messages VALUES ('e1', 'messages.csv', 1, 'c1', NULL, NULL, "
            "TIMESTAMPTZ '2026-01-01 23:30:00+00', false, false)"
        )
        sent = read_raw(con, "messages", "e1")["sent_at"]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()

    assert sent.dtype.time_zone == "UTC"
    assert sent.dt.date().to_list() == [dt.date(2026, 1, 1)]
