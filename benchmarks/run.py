"""Benchmark of a snapshot load, stage by stage, against the floor of just reading the CSVs.

Generates exports in LinkedIn's formats with `lnw.samples.write_account_exports`, then loads
them with the functions the Dagster assets call (parsing, raw load, classification, the
snapshot write and history merge, the marts and publication assets themselves), then runs
the validations of the asset checks (``checks``: the GX suites and the metric identities),
timing each stage: wall time, CPU time, peak RSS, rows per second, and the ratio to the floor,
the time Polars needs to read the same CSV files (all columns as strings) in the same run.

Two parts:
- one snapshot of a large account (``--connections``, ``--followers``, ``--messages``);
- ``--weeks`` weekly snapshots of a smaller account, loaded in order: the 2nd and the last
  snapshot side by side, to show that the cost of a snapshot does not grow with the history.

Examples:
    uv run --frozen python benchmarks/run.py --preset small
    uv run --frozen python benchmarks/run.py --preset full
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PRESETS = {
    # Finishes in well under a minute on two cores.
    "small": {
        "connections": 3_000,
        "followers": 30_000,
        "messages": 10_000,
        "weeks": 12,
        "week_connections": 500,
        "week_followers": 2_000,
        "week_messages": 500,
    },
    "medium": {
        "connections": 10_000,
        "followers": 200_000,
        "messages": 50_000,
        "weeks": 52,
        "week_connections": 2_000,
        "week_followers": 10_000,
        "week_messages": 2_000,
    },
    # The targets: 30k connections, 1M followers, 300k messages; 52 weekly snapshots.
    "full": {
        "connections": 30_000,
        "followers": 1_000_000,
        "messages": 300_000,
        "weeks": 52,
        "week_connections": 5_000,
        "week_followers": 20_000,
        "week_messages": 5_000,
    },
}
FIRST_DAY = dt.date(2026, 1, 2)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class PeakRss:
    """Samples the resident set every few milliseconds while a stage runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            self._stop.wait(0.005)

    def __enter__(self) -> PeakRss:
        self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


@dataclass
class Stage:
    name: str
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss: int = 0
    rows: int = 0


@dataclass
class Timings:
    stages: dict[str, Stage] = field(default_factory=dict)

    def measure(self, name: str, work, rows_of=None):
        stage = self.stages.setdefault(name, Stage(name))
        with PeakRss() as rss:
            wall, cpu = time.perf_counter(), time.process_time()
            result = work()
            stage.wall += time.perf_counter() - wall
            stage.cpu += time.process_time() - cpu
        stage.peak_rss = max(stage.peak_rss, rss.peak)
        stage.rows += rows_of(result) if rows_of else 0
        return result


def read_floor(items, scratch: Path) -> tuple[float, float, int]:
    """Polars reading the same CSV files, all columns as strings: the floor of any load."""
    import polars as pl

    from inbox.members import archive_members

    files: list[tuple[Path, int]] = []
    for item in items:
        if item.kind == "follower_list":
            files.append((item.path, 0))
            continue
        for kind, member, data in archive_members(item):
            path = scratch / f"{item.export_id}-{Path(member).name}"
            path.write_bytes(data)
            # Connections.csv starts with LinkedIn's three-line "Notes:" preamble.
            files.append((path, 3 if kind == "connections" else 0))
    wall, cpu = time.perf_counter(), time.process_time()
    rows = sum(pl.read_csv(p, skip_rows=skip, infer_schema=False).height for p, skip in files)
    return time.perf_counter() - wall, time.process_time() - cpu, rows


def load_snapshot(
    home, account: str, day: dt.date, timings: Timings, scratch: Path, *, checks: bool = True
) -> dict:
    """One snapshot through every stage, with the functions the assets call."""
    import dagster as dg

    from inbox.archive import keep_in_archive
    from inbox.items import parse_item
    from pipelines.assets.marts import analytics_views, marts
    from pipelines.ingest import items_of_snapshot
    from pipelines.resources import LnwSettings
    from pipelines.snapshots import classify_snapshot
    from warehouse.database import connect, transaction
    from warehouse.history import merge_snapshot_into_history, write_relationship_snapshot
    from warehouse.raw import ExportRecord, load_export

    items = items_of_snapshot(home, account, day)
    salt = home.email_salt
    started = time.perf_counter()

    def parse():
        return [(item, item.export_id, parse_item(item, salt)) for item in items]

    parsed = timings.measure(
        "parse", parse, lambda r: sum(f.frame.height for _, _, files in r for f in files)
    )
    # Opening checks the migrations; closing checkpoints what the stages wrote into the
    # file: both are part of the load, timed as one stage.
    con = timings.measure("open + close", lambda: connect(home.warehouse))
    try:

        def load_raw(parsed):
            for item, export_id, files in parsed:
                archived = keep_in_archive(item, home.archive)
                record = ExportRecord(
                    export_id=export_id,
                    account=item.account,
                    snapshot_date=item.snapshot_date,
                    item_name=item.name,
                    item_kind=item.kind,
                    content_sha256=item.sha256,
                    archive_path=archived.relative_to(home.root).as_posix(),
                )
                load_export(con, record, files)
            return sum(f.frame.height for _, _, files in parsed for f in files)

        timings.measure("raw load", partial(load_raw, parsed), lambda rows: rows)
        # The ingest asset drops its parsed frames once they are stored: so does the benchmark,
        # or they would count in the peak RSS of every later stage.
        del parsed

        def transform():
            return classify_snapshot(con, account, day)

        build = timings.measure("transform", transform, lambda b: b.people.height)
        snapshot_rows = build.people.height
        write = partial(write_relationship_snapshot, con, account, day, build.people, **build.facts)
        del build
        # load_relationship_snapshot's one transaction, split in two to time the merge alone.
        with transaction(con):
            timings.measure("snapshot write", write, lambda _: snapshot_rows)
            # The snapshot asset's step ends with the write and drops the classified frame;
            # the merge runs without it.
            del write
            how = timings.measure(
                "history merge",
                lambda: merge_snapshot_into_history(con, account, day),
                lambda _: snapshot_rows,
            )
    finally:
        timings.measure("open + close", con.close)
    lnw = LnwSettings(home=str(home.root))
    timings.measure(
        "marts", lambda: list(marts(dg.build_asset_context(), lnw=lnw)), lambda _: snapshot_rows
    )
    timings.measure(
        "publish",
        lambda: list(analytics_views(dg.build_asset_context(), lnw=lnw)),
        lambda _: snapshot_rows,
    )
    end_to_end = time.perf_counter() - started
    if checks:
        results = timings.measure(
            "checks", lambda: run_checks(home, account, day), lambda _: snapshot_rows
        )
        failed = [name for name, ok in results.items() if not ok]
        if failed:
            print(f"  checks failed: {', '.join(failed)}", file=sys.stderr)
    # The floor is read after the load, in the same run: read before it, its freed frames
    # were still resident (the allocator returns them within a second) and counted in the
    # peak RSS of the parse.
    floor_wall, floor_cpu, csv_rows = read_floor(items, scratch)
    return {
        "floor_wall": floor_wall,
        "floor_cpu": floor_cpu,
        "csv_rows": csv_rows,
        "end_to_end": end_to_end,
        "merge": how,
        "history_rows": _history_rows(home),
    }


def run_checks(home, account: str, day: dt.date) -> dict[str, bool]:
    """The validations of the snapshot's asset checks, with the functions they call: the GX
    suite of each raw file and of the relationship snapshot (Data Docs written under the home,
    as in a run), and the metric identities. Each opens the warehouse and reads its rows as the
    check does. The history check and the partial-export gate, a few SQL counts each, need a
    partitioned check context and are left out."""
    from inbox.discovery import partition_key
    from pipelines.checks import metric_identities_hold, raw_suite, snapshot_suite
    from pipelines.resources import LnwSettings
    from quality.suites import RAW_RULES
    from warehouse.database import connect
    from warehouse.raw import snapshot_sources

    run_name = partition_key(account, day)
    passed: dict[str, bool] = {}
    con = connect(home.warehouse)
    try:
        sources = snapshot_sources(con, account, day)
        for kind, rules in RAW_RULES.items():
            if kind in sources:
                result = raw_suite(con, kind, sources[kind], day, run_name, home.root)
                passed[rules.suite_name] = result.passed
        result = snapshot_suite(con, account, day, run_name, home.root)
        passed["core_relationship_snapshots"] = result.passed
    finally:
        con.close()
    identities = metric_identities_hold(lnw=LnwSettings(home=str(home.root)))
    passed["metric identities"] = identities.passed
    return passed


def _history_rows(home) -> int:
    import duckdb

    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM core.relationship_history").fetchall()[0][0]
    finally:
        con.close()


def print_table(title: str, timings: Timings, info: dict) -> None:
    floor = info["floor_wall"]
    print(f"\n{title}")
    print(
        f"{'stage':<16}{'wall s':>9}{'cpu s':>9}{'peak RSS MiB':>14}{'rows':>11}"
        f"{'rows/s':>12}{'x floor':>9}"
    )
    rows = list(timings.stages.values())
    # End to end is the load, as it was measured before the checks stage existed; the checks
    # are added after it.
    load = [s for s in rows if s.name != "checks"]
    total = Stage(
        "end to end",
        wall=info["end_to_end"],
        cpu=sum(s.cpu for s in load),
        peak_rss=max(s.peak_rss for s in load),
        rows=info["csv_rows"],
    )
    extra = []
    if "checks" in timings.stages:
        checks = timings.stages["checks"]
        extra.append(
            Stage(
                "+ checks",
                wall=total.wall + checks.wall,
                cpu=total.cpu + checks.cpu,
                peak_rss=max(total.peak_rss, checks.peak_rss),
                rows=info["csv_rows"],
            )
        )
    floor_stage = Stage("floor (read)", floor, info["floor_cpu"], 0, info["csv_rows"])
    for s in [*rows, total, *extra, floor_stage]:
        rate = f"{s.rows / s.wall:,.0f}" if s.wall > 0 and s.rows else "-"
        rss = f"{s.peak_rss / 2**20:,.0f}" if s.peak_rss else "-"
        print(
            f"{s.name:<16}{s.wall:>9.3f}{s.cpu:>9.3f}{rss:>14}{s.rows:>11,}{rate:>12}"
            f"{s.wall / floor:>9.2f}"
        )


def warm_up(work: Path) -> None:
    """Load a tiny account once, untimed: the first call of each library pays its lazy
    imports (seconds, when Python may not cache bytecode), which is start-up, not load."""
    from inbox.home import Home
    from lnw.samples import write_account_exports

    home = Home(work / "warm-up").ensure()
    write_account_exports(
        home.inbox, "tiny", [FIRST_DAY], n_connections=12, n_followers=5, n_messages=5, seed=1
    )
    scratch = work / "floor-warm-up"
    scratch.mkdir()
    load_snapshot(home, "tiny", FIRST_DAY, Timings(), scratch)
    shutil.rmtree(home.root)


def _write_exports(*args, **kwargs) -> None:
    from lnw.samples import write_account_exports

    write_account_exports(*args, **kwargs)


def generate(*args, **kwargs) -> None:
    """Write the exports in a child process. Generating a million followers leaves about
    450 MiB of Python's freed memory resident in the process that did it; a load never
    generates its input, so that memory must not count in the peak RSS of the stages."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pool.submit(_write_exports, *args, **kwargs).result()


def one_large_snapshot(args, work: Path) -> None:
    from inbox.home import Home

    home = Home(work / "large").ensure()
    started = time.perf_counter()
    generate(
        home.inbox,
        "creator",
        [FIRST_DAY],
        n_connections=args.connections,
        n_followers=args.followers,
        n_messages=args.messages,
        seed=args.seed,
    )
    print(
        f"generated one snapshot: {args.connections:,} connections, {args.followers:,} "
        f"followers, {args.messages:,} messages in {time.perf_counter() - started:.1f} s"
    )
    scratch = work / "floor-large"
    scratch.mkdir()
    timings = Timings()
    info = load_snapshot(home, "creator", FIRST_DAY, timings, scratch, checks=not args.skip_checks)
    print_table("One snapshot (first load of the account)", timings, info)


def weekly_snapshots(args, work: Path) -> None:
    from inbox.home import Home

    home = Home(work / "weekly").ensure()
    days = [FIRST_DAY + dt.timedelta(weeks=w) for w in range(args.weeks)]
    started = time.perf_counter()
    generate(
        home.inbox,
        "weekly",
        days,
        n_connections=args.week_connections,
        n_followers=args.week_followers,
        n_messages=args.week_messages,
        seed=args.seed + 1,
        churn=args.churn,
    )
    print(
        f"\ngenerated {args.weeks} weekly snapshots: {args.week_connections:,} connections, "
        f"{args.week_followers:,} followers, {args.week_messages:,} messages at the start, in "
        f"{time.perf_counter() - started:.1f} s"
    )
    results = []
    for number, day in enumerate(days, start=1):
        scratch = work / f"floor-week-{number}"
        scratch.mkdir()
        timings = Timings()
        info = load_snapshot(home, "weekly", day, timings, scratch, checks=args.weekly_checks)
        shutil.rmtree(scratch)
        results.append((timings, info))
        if number % 10 == 0:
            print(f"  loaded {number}/{len(days)} snapshots", file=sys.stderr, flush=True)
    second, last = results[1], results[-1]
    print_table("Snapshot 2 of the weekly account", *second)
    print_table(f"Snapshot {len(days)} of the weekly account", *last)
    # The generated account grows (followers drift, messages.csv keeps every message), so
    # the last snapshot is larger than the 2nd: compare the cost per row of the snapshot,
    # as medians of three snapshots at each end to damp the noise of a shared machine.
    early, late = results[1:4], results[-3:]
    print(
        f"\nSnapshots {len(days) - 2}-{len(days)} vs 2-4 (medians), per row of the snapshot "
        "(the history grows, the snapshot too):"
    )
    print(f"  {'stage':<16}{'s, 2-4':>9}{'s, last 3':>11}{'wall':>8}{'per row':>9}")
    for name in second[0].stages:
        before = _median([t.stages[name].wall for t, _ in early])
        after = _median([t.stages[name].wall for t, _ in late])
        rows_before = _median([t.stages[name].rows for t, _ in early])
        rows_after = _median([t.stages[name].rows for t, _ in late])
        # Opening and closing the file count no rows: no cost per row.
        per_row = (
            f"{(after / rows_after) / (before / rows_before):>8.2f}x"
            if rows_before and rows_after
            else f"{'-':>9}"
        )
        print(f"  {name:<16}{before:>9.3f}{after:>11.3f}{after / before:>7.2f}x{per_row}")
    before = _median([i["end_to_end"] for _, i in early])
    after = _median([i["end_to_end"] for _, i in late])
    rows_before = _median([i["csv_rows"] for _, i in early])
    rows_after = _median([i["csv_rows"] for _, i in late])
    per_row = (after / rows_after) / (before / rows_before)
    print(
        f"  {'end to end':<16}{before:>9.3f}{after:>11.3f}{after / before:>7.2f}x{per_row:>8.2f}x"
    )
    floor_before = _median([i["floor_wall"] for _, i in early])
    floor_after = _median([i["floor_wall"] for _, i in late])
    print(
        f"  {'floor (read)':<16}{floor_before:>9.3f}{floor_after:>11.3f}"
        f"{floor_after / floor_before:>7.2f}x"
    )
    history = results[-1][1]
    print(f"  history rows after {len(days)} snapshots: {history['history_rows']:,}")


def _median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    for name in PRESETS["small"]:
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, help="overrides the preset")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--churn", type=float, default=0.03, help="weekly account: share of people changing"
    )
    parser.add_argument("--skip-large", action="store_true", help="only the weekly part")
    parser.add_argument("--skip-weekly", action="store_true", help="only the large snapshot")
    parser.add_argument(
        "--skip-checks", action="store_true", help="no checks stage for the large snapshot"
    )
    parser.add_argument(
        "--weekly-checks",
        action="store_true",
        help="the checks stage for every weekly snapshot too (GX costs seconds per snapshot)",
    )
    parser.add_argument("--workdir", help="where to write exports and warehouses (kept)")
    args = parser.parse_args(argv)
    for name, value in PRESETS[args.preset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    warnings.filterwarnings("ignore")
    import logging

    # The assets log one INFO line per call through Dagster; the table is the output here.
    logging.disable(logging.INFO)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="lnw-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.pop("LNW_ICP", None)
    print(f"lnw benchmark, preset {args.preset}, {os.cpu_count()} CPU(s), work dir {work}")
    try:
        warm_up(work)
        if not args.skip_large:
            one_large_snapshot(args, work)
        if not args.skip_weekly:
            weekly_snapshots(args, work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
