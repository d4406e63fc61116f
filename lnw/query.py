"""`lnw sql` and `lnw report`: reading the published warehouse (or the writer's file)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from inbox.home import Home
from lnw.run import EXIT_FAILED, EXIT_OK


def print_query(home: Home, query: str, output: str, whole: bool = False) -> int:
    import duckdb

    source = home.warehouse if whole else home.published
    if not source.exists():
        print(
            f"lnw sql: no {'warehouse' if whole else 'published warehouse'} in {home.root} "
            "yet; run `lnw run` (or `lnw demo`)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    import polars as pl

    from warehouse.lock import warehouse_lock

    busy = (
        f"lnw sql: {source} is in use by a run; query the published copy (without "
        "--warehouse) or retry when the run ends"
    )
    with ExitStack() as held:
        if whole:
            # The writer's file is read under its OS lock, without waiting: a reader holding
            # it would make the next writer fail, and a run may hold it for minutes.
            try:
                held.enter_context(warehouse_lock(source, wait=False))
            except BlockingIOError:
                print(busy, file=sys.stderr)
                return EXIT_FAILED
        try:
            con = duckdb.connect(str(source), read_only=True)
        except duckdb.Error as exc:
            print(f"{busy} ({exc})", file=sys.stderr)
            return EXIT_FAILED
        held.callback(con.close)
        try:
            frame = con.sql(query).pl()
        except duckdb.Error as exc:
            hint = ""
            if isinstance(exc, duckdb.CatalogException) and not whole:
                hint = (
                    "\n(the published copy holds the analytics views, the history and the "
                    "latest snapshot; for raw rows and past snapshots add --warehouse)"
                )
            print(f"lnw sql: {exc}{hint}", file=sys.stderr)
            return EXIT_FAILED
    if output == "csv":
        sys.stdout.write(frame.write_csv())
    elif output == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            tbl_width_chars=200,
            fmt_str_lengths=60,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
        ):
            print(frame)
    return EXIT_OK


def run_report(home: Home, out: str | None, icp: str | None) -> int:
    from report.render import ReportError, write_report

    try:
        path = write_report(home, Path(out) if out else None, icp)
    except ReportError as exc:
        print(f"lnw report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Report written to {path} (open it in a browser; it works offline)")
    return EXIT_OK
