"""`lnw`: the pipeline for people who do not want to open the UI.

Runs the same Dagster definitions in-process, with Dagster's storage inside the home, so the
runs made here show in the UI. Heavy libraries are imported inside the commands that need
them: `lnw sql` should not pay for Dagster.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

import settings
from inbox.home import Home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lnw", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def with_home(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--home", help="project home (default: $LNW_HOME or ./data)")
        return sub

    init = commands.add_parser("init", help="make a new, empty home folder")
    init.add_argument("dir", metavar="DIR", help="the folder to make (it may exist, empty)")
    demo = with_home(commands.add_parser("demo", help="write sample exports and run everything"))
    demo.add_argument("--seed", type=int, default=2026, help="sample data seed")
    run = with_home(commands.add_parser("run", help="load new inbox items, refresh metrics"))
    run.add_argument("--icp", help="ideal customer profile YAML (default: $LNW_ICP)")
    run.add_argument(
        "--accept-partial",
        action="append",
        default=[],
        metavar="ACCOUNT:DATE",
        help="load this snapshot although it loses more connections or followers than "
        "LNW_MAX_LOSS allows (repeatable; also $LNW_ACCEPT_PARTIAL)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="load N accounts at once, each in a process of its own (default 1: one after "
        "another in this process, which already keeps two cores mostly busy and was the "
        "faster on two cores; more workers pay off with more cores)",
    )
    sql = with_home(commands.add_parser("sql", help="read-only SQL on the published warehouse"))
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sql.add_argument(
        "--warehouse",
        action="store_true",
        help="query the whole warehouse (raw rows, every snapshot) instead of the published "
        "copy; fails while a run is writing it",
    )
    sql.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="show the first N rows (default: 50 in a table on a terminal, else all; 0: all)",
    )
    sql.add_argument("query")
    export = with_home(
        commands.add_parser(
            "export", help="write the analytics views as Parquet or CSV files, for other tools"
        )
    )
    export.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    export.add_argument("--out", help="the folder to write (default: <home>/export)")
    export.add_argument(
        "views",
        nargs="*",
        metavar="VIEW",
        help="views to export, e.g. reach or analytics.reach (default: every analytics view)",
    )
    backfill = with_home(
        commands.add_parser("backfill", help="re-run every snapshot of one account")
    )
    backfill.add_argument("account", help="the account (inbox folder name) to rebuild")
    backfill.add_argument("--icp", help="ideal customer profile YAML (default: $LNW_ICP)")
    docs = with_home(
        commands.add_parser("docs", help="build and open the Data Docs (validation results)")
    )
    docs.add_argument(
        "--no-open", action="store_true", help="only build them and print where they are"
    )
    report = with_home(commands.add_parser("report", help="an offline HTML report with charts"))
    report.add_argument("--out", help="the HTML file to write (default: <home>/report.html)")
    forget = with_home(
        commands.add_parser(
            "forget", help="erase one person from the warehouse, readers' copy and archive"
        )
    )
    forget.add_argument("profile_url", metavar="PROFILE_URL", help="their LinkedIn profile URL")
    ui = with_home(commands.add_parser("ui", help="the Dagster UI on 127.0.0.1"))
    ui.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.command not in ("demo", "run", "backfill"):
        gc.enable()  # off while `lnw` starts (entry); the loads turn it on in lnw.run._instance
    if getattr(args, "workers", 1) < 1:
        parser.error("--workers must be at least 1")
    if (getattr(args, "limit", None) or 0) < 0:
        parser.error("--limit must be 0 (every row) or more")

    # Every setting is checked before any work starts: a typo is one sentence, never a
    # traceback after the snapshots have loaded, and a mistyped --home makes no new home.
    settings.owner_only()
    try:
        home = _checked_settings(args)
    except settings.SettingError as exc:
        print(f"lnw: {exc}", file=sys.stderr)
        return 1
    if args.command == "init":
        return _init(home)
    # Each command imports only what it needs: `lnw sql` should not pay for Dagster.
    if args.command in ("demo", "run", "backfill"):
        from quality import worker

        # Loads in this process validate in a GX process started now, which imports GX on
        # another core meanwhile; with --workers, each step process has GX preloaded.
        if getattr(args, "workers", 1) == 1:
            worker.start()
            # The report is the one step of the metrics refresh that imports a library of
            # its own (matplotlib); the load's wait for GX is when this process is idle.
            from report.render import warm_up

            worker.while_waiting(warm_up)
        try:
            return _load_command(args, home)
        finally:
            worker.stop()
    if args.command in ("sql", "report", "export", "docs"):
        from lnw.query import export_views, open_data_docs, print_query, run_report
    if args.command == "docs":
        return open_data_docs(home, open_browser=not args.no_open)
    if args.command == "sql":
        return print_query(home, args.query, args.format, whole=args.warehouse, limit=args.limit)
    if args.command == "export":
        return export_views(home, args.views, args.format, args.out)
    if args.command == "report":
        return run_report(home, args.out)
    if args.command == "forget":
        from lnw.forget import run_forget

        return run_forget(home, args.profile_url)
    from lnw.ui import run_ui

    return run_ui(home, args.port)


def _load_command(args: argparse.Namespace, home: Home) -> int:
    from lnw.run import run_backfill, run_demo, run_pipeline

    if args.command == "demo":
        return run_demo(home, args.seed)
    if args.command == "run":
        return run_pipeline(home, args.icp, args.accept_partial, args.workers)
    return run_backfill(home, args.account, args.icp)


def _checked_settings(args: argparse.Namespace) -> Home:
    """The home, once every setting the command uses is valid (else SettingError)."""
    if args.command == "init":
        root = Path(args.dir).expanduser().resolve()
        if root.exists() and not root.is_dir():
            raise settings.SettingError(
                "DIR", str(root), "it is a file, not a folder", "Choose another path."
            )
        return Home(root)
    if args.command == "demo":
        home = Home.resolve(args.home)
    else:
        home = Home(settings.existing_home(args.home))
    settings.check_environment()
    if args.command in ("run", "backfill", "report", "demo"):
        chosen, setting = settings.icp_choice(getattr(args, "icp", None))
        if chosen is not None:
            settings.read_icp(chosen, setting)
        elif home.icp.exists():
            settings.read_icp(home.icp, "ICP file")
    if args.command == "run":
        settings.accepted_partial(args.accept_partial)
    return home


def _init(home: Home) -> int:
    existed = home.root.exists()
    home.ensure()
    print(f"lnw: {'home ready' if existed else 'new home'} {home.root}")
    print(
        f"lnw: put LinkedIn exports in {home.inbox} (a folder per account, or directly in it "
        f"for the account `me`), then run `lnw run --home {home.root}`"
    )
    return 0


def entry() -> None:
    """The `lnw` console script: `main`, then an exit that skips the interpreter's teardown.

    With Dagster, Great Expectations, Polars and DuckDB loaded, Python spent 1 to 3 s
    tearing their modules down after `lnw run` had printed its summary (measured on the small
    inbox of benchmarks/targets.py). Everything is written by then: the warehouse and
    Dagster's storage are closed (its SQLite connections here), and the output is flushed.

    Python's cyclic garbage collector is off while a load command starts: importing
    Dagster, the definitions and what they use makes hundreds of thousands of objects that
    live as long as the process, and the collector walked them again and again. It runs
    again once Dagster's instance is open, with them set aside (`lnw.run._instance`)."""
    gc.disable()
    code = main()
    if (storage := sys.modules.get("pipelines.dagster_storage")) is not None:
        storage.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
