"""`lnw sql`, `lnw export` and `lnw report`: reading the published warehouse (or the writer's
file)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from inbox.home import Home
from lnw.run import EXIT_FAILED, EXIT_OK

# Rows a table shows on a terminal unless --limit says otherwise: a screenful to read, the
# rest a note away (csv and json, written for programs, hold every row).
TERMINAL_ROWS = 50
# Longer texts are cut in a table (never in csv or json): one headline must not push every
# other column off the screen.
CELL_CHARS = 60


def print_query(
    home: Home, query: str, output: str, whole: bool = False, limit: int | None = None
) -> int:
    import duckdb

    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        print(f"lnw sql: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    if not statements:
        print(
            "lnw sql: the query is empty (nothing but spaces or comments); give a statement, "
            'e.g. lnw sql "select * from analytics.reach"',
            file=sys.stderr,
        )
        return EXIT_FAILED
    if len(statements) > 1 and output != "table":
        print(
            f"lnw sql: {len(statements)} statements given; --format {output} writes the "
            "result of one: run them one at a time (the table format shows each)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    source = home.warehouse if whole else home.published
    if not source.exists():
        print(
            f"lnw sql: no {'warehouse' if whole else 'published warehouse'} in {home.root} "
            "yet; run `lnw run` (or `lnw demo`)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    from warehouse.lock import warehouse_lock

    busy = (
        f"lnw sql: {source} is in use by a run; query the published copy (without "
        "--warehouse) or retry when the run ends"
    )
    if limit is None and output == "table" and sys.stdout.isatty():
        limit = TERMINAL_ROWS
    results = []
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
            print(f"{busy} ({_one_line(exc)})", file=sys.stderr)
            return EXIT_FAILED
        held.callback(con.close)
        for number, statement in enumerate(statements, 1):
            try:
                relation = con.sql(statement)
                results.append(None if relation is None else relation.pl())
            except duckdb.Error as exc:
                hint = ""
                if isinstance(exc, duckdb.CatalogException) and not whole:
                    hint = (
                        "\n(the published copy holds the analytics views, the history and the "
                        "latest snapshot; for raw rows and past snapshots add --warehouse)"
                    )
                which = f"statement {number} of {len(statements)}: " if len(statements) > 1 else ""
                print(f"lnw sql: {which}{exc}{hint}", file=sys.stderr)
                return EXIT_FAILED
    for number, (statement, frame) in enumerate(zip(statements, results, strict=True), 1):
        if output == "table":
            if len(statements) > 1:
                print(("" if number == 1 else "\n") + f"-- {_first_line(statement.query)}")
            print(table(frame, limit))
            continue
        if frame is None:
            continue
        if limit:
            frame = frame.head(limit)
        if output == "csv":
            sys.stdout.write(frame.write_csv())
        else:
            sys.stdout.write(frame.write_json() + "\n")
    return EXIT_OK


def table(frame, limit: int | None) -> str:
    """A result as a plain text table: headers on one line whatever their length (tabulate
    never wraps), numbers right-aligned, long texts cut, `N rows`, and a note when only the
    first rows are shown."""
    from tabulate import tabulate

    if frame is None:
        return "(done: the statement returns no rows)"
    shown = frame if limit is None or limit <= 0 else frame.head(limit)
    numeric = [dtype.is_numeric() for dtype in frame.dtypes]
    rows = [[_cell(v) for v in row] for row in shown.iter_rows()]
    text = tabulate(
        rows,
        headers=frame.columns,
        tablefmt="simple",
        disable_numparse=True,
        missingval="NULL",
        colalign=["right" if n else "left" for n in numeric] or None,
    )
    count = f"{frame.height:,} row{'s' if frame.height != 1 else ''}"
    if shown.height < frame.height:
        count += (
            f" (the first {shown.height:,} shown: --limit N shows more, --limit 0 all, "
            "--format csv writes every row)"
        )
    return f"{text}\n{count}" if frame.columns else count


def _cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def _first_line(statement: str) -> str:
    line = " ".join(statement.split()).rstrip(";").strip()
    return line if len(line) <= 90 else line[:89] + "…"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def export_views(home: Home, views: list[str], output: str, out: str | None) -> int:
    """`lnw export`: each analytics view of the published copy as one Parquet or CSV file,
    for spreadsheets and BI tools that read neither DuckDB file format."""
    import duckdb

    if not home.published.exists():
        print(
            f"lnw export: no published warehouse in {home.root} yet; run `lnw run` (or `lnw demo`)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    folder = Path(out).expanduser().resolve() if out else home.root / "export"
    con = duckdb.connect(str(home.published), read_only=True)
    try:
        known = [
            name
            for (name,) in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE schema_name = 'analytics' "
                "AND NOT internal ORDER BY view_name"
            ).fetchall()
        ]
        wanted = [v.removeprefix("analytics.") for v in views] or known
        unknown = [v for v in wanted if v not in known]
        if unknown:
            print(
                f"lnw export: no view {', '.join('analytics.' + v for v in unknown)}; the "
                f"views are {', '.join(known)}",
                file=sys.stderr,
            )
            return EXIT_FAILED
        folder.mkdir(parents=True, exist_ok=True)
        options = "FORMAT parquet" if output == "parquet" else "FORMAT csv, HEADER true"
        for view in dict.fromkeys(wanted):
            target = folder / f"{view}.{output}"
            # Written beside and renamed: a reader never sees half a file.
            partial = target.with_name(f".{target.name}.partial")
            con.execute(
                f"COPY (SELECT * FROM analytics.{view}) TO '{_sql_text(partial)}' ({options})"
            )
            partial.replace(target)
            rows = con.execute(f"SELECT count(*) FROM analytics.{view}").fetchall()[0][0]
            print(f"analytics.{view}: {rows:,} rows -> {target}")
    finally:
        con.close()
    return EXIT_OK


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def open_data_docs(home: Home, open_browser: bool = True) -> int:
    """`lnw docs`: the Data Docs site brought up to date with every stored validation result,
    then opened in the browser (it loads nothing from the network)."""
    from quality.data_docs import DATA_DOCS_SITE, VALIDATION_RESULTS, build_site

    results = home.root / VALIDATION_RESULTS
    if not results.exists():
        print(
            f"lnw docs: no validation results in {home.root} yet; run `lnw run` (or `lnw demo`)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    index = build_site(results, home.root / DATA_DOCS_SITE)
    print(f"Data Docs: {index}")
    if open_browser:
        import webbrowser

        if not webbrowser.open(index.as_uri()):
            print("lnw docs: no browser found here; open the file above in one", file=sys.stderr)
    return EXIT_OK


def run_report(home: Home, out: str | None) -> int:
    from report.render import ReportError, write_report

    try:
        path = write_report(home, Path(out) if out else None)
    except ReportError as exc:
        print(f"lnw report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Report written to {path} (open it in a browser; it works offline)")
    return EXIT_OK
