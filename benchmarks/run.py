"""Benchmark of an account's load, phase by phase, against the floor of just reading the CSVs.

Generates exports in LinkedIn's formats (`lnw.samples.write_account_exports`, in a child
process), then loads them in this process with the function every load calls
(`pipelines.loading.load_account`, whose phases it times), then the metrics and the
publication (the `marts` and `analytics_views` assets themselves). Prints each phase's wall
time and its ratio to the floor: the time Polars needs to read the same CSV files (all
columns as strings) in the same run; and the peak resident memory.

Two parts:
- one snapshot of a large account (``--connections``, ``--followers``, ``--messages``): the
  issue's target is at most 15x the floor end to end, peak RSS under 1.5 GiB. Then what
  DuckDB alone takes to store the tables that load wrote, and their readers' copy, from
  memory by its fastest path: the part of the end to end no other code can remove;
- ``--weeks`` weekly snapshots of a smaller account, loaded one week at a time: the 2nd-4th
  and the last three side by side, to show that a snapshot's cost does not grow with the
  history.

Examples:
    uv run --locked python benchmarks/run.py --preset small
    uv run --locked python benchmarks/run.py --preset full
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from harness import Account, generate

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
    """Samples this process's resident set every few milliseconds while work runs."""

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


def read_floor(home) -> tuple[float, int]:
    """Polars reading the inbox's CSV files, all columns as strings: the floor of any load."""
    import polars as pl

    from inbox.discovery import scan_inbox
    from inbox.members import archive_members

    scratch = Path(tempfile.mkdtemp(prefix="lnw-floor-"))
    files: list[tuple[Path, int]] = []
    for item in scan_inbox(home.inbox).items:
        if item.kind == "follower_list":
            files.append((item.path, 0))
            continue
        for kind, member, data in archive_members(item):
            path = scratch / f"{item.export_id}-{Path(member).name}"
            path.write_bytes(data)
            # Connections.csv starts with LinkedIn's three-line "Notes:" preamble.
            files.append((path, 3 if kind == "connections" else 0))
    started = time.perf_counter()
    rows = sum(pl.read_csv(p, skip_rows=skip, infer_schema=False).height for p, skip in files)
    took = time.perf_counter() - started
    shutil.rmtree(scratch)
    return took, rows


def load_once(home, account: str, *, kept: bool = False) -> dict[str, float]:
    """Load the account and refresh the metrics; wall seconds per phase."""
    import dagster as dg

    from pipelines.assets.marts import analytics_views, marts
    from pipelines.loading import LoadSettings, load_account
    from pipelines.resources import LnwSettings
    from warehouse.lock import kept_open, open_warehouse

    lnw = LnwSettings(home=str(home.root))
    settings = LoadSettings(carry_days=35, max_loss=0.2)
    started = time.perf_counter()
    # As `lnw run` loads one account: an opening of the warehouse per phase (lnw/run.py says
    # why); kept open, as for several accounts, with ``kept``.
    with kept_open(home.warehouse) if kept else contextlib.nullcontext():
        load = load_account(home, lambda: open_warehouse(home.warehouse), account, settings)
        began = time.perf_counter()
    phases = dict(load.timings)
    if kept:
        phases["close (checkpoint)"] = time.perf_counter() - began
    phases["load (all)"] = time.perf_counter() - started
    if load.blocked:
        raise SystemExit(f"the load was blocked: {load.blocked}")
    instance = dg.DagsterInstance.ephemeral()
    for name, asset in (("marts", marts), ("publish", analytics_views)):
        began = time.perf_counter()
        list(asset(dg.build_asset_context(instance=instance), lnw=lnw))
        phases[name] = time.perf_counter() - began
    phases["end to end"] = time.perf_counter() - started
    return phases


def warm_up(work: Path) -> None:
    """Import and JIT what a first load pays once per process (GX, Polars' regex engines),
    so that the phases time the work, not the imports."""

    home = _new_home(work / "warm-up")
    generate(home.inbox, [Account("me", (FIRST_DAY,), 20, 30, 10, seed=1)], workers=1)
    load_once(home, "me")
    shutil.rmtree(home.root)


def _new_home(root: Path):
    """An empty home: one left in a kept --workdir by an earlier run would skip every
    export as already loaded."""
    from inbox.home import Home

    shutil.rmtree(root, ignore_errors=True)
    return Home(root).ensure()


def print_phases(title: str, phases: dict[str, float], floor: float, rows: int, rss) -> None:
    print(f"\n{title}: {rows:,} CSV rows, Polars read floor {floor:.2f} s")
    width = max(len(name) for name in phases)
    for name, seconds in phases.items():
        print(f"  {name:<{width}}  {seconds:7.2f} s  {seconds / floor:6.1f}x floor")
    if rss is not None:
        print(f"  peak RSS {rss / 1024**3:.2f} GiB")


def one_large_snapshot(args, work: Path) -> None:

    home = _new_home(work / "large")
    account = Account("big", (FIRST_DAY,), args.connections, args.followers, args.messages, 2026)
    took = generate(home.inbox, [account], workers=1)
    print(f"generated one snapshot of {args.connections:,} connections, {args.followers:,} "
          f"followers, {args.messages:,} messages in {took:.0f} s")  # fmt: skip
    floor, rows = read_floor(home)
    with PeakRss() as rss:
        phases = load_once(home, "big")
    print_phases("one large snapshot", phases, floor, rows, rss.peak)
    stored, published = storage_floor(home, work / "storage-floor")
    print(
        f"  DuckDB alone storing the same tables from memory: {stored:.2f} s "
        f"({stored / floor:.1f}x floor), their readers' copy {published:.2f} s "
        f"({published / floor:.1f}x); together {(stored + published) / floor:.1f}x floor"
    )


# What a load writes: the raw rows, the snapshot, its history and its scores.
STORED_TABLES = (
    "raw.connections",
    "raw.invitations",
    "raw.messages",
    "raw.followers",
    "core.relationship_snapshots",
    "core.relationship_history",
    "marts.contact_relevance",
)


def storage_floor(home, scratch: Path) -> tuple[float, float]:
    """The least DuckDB takes to store what the warehouse keeps of the load just made, with
    nothing else to do: each table the load wrote, held in memory first (untimed), written
    into a new file by one CREATE TABLE AS (DuckDB's fastest path: compressed straight into
    the file, no write-ahead log) and checkpointed; then the readers' copy of it, as
    `publish_read_copy` writes it but without the views. Seconds of each."""
    import duckdb

    from warehouse.database import (
        READER_LATEST_SNAPSHOT_TABLES,
        READER_STORAGE_VERSION,
        READER_TABLES,
    )

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    loaded = duckdb.connect(str(home.warehouse), read_only=True)
    copied = set(READER_TABLES) | set(READER_LATEST_SNAPSHOT_TABLES)
    held = {t: loaded.sql(f"FROM {t}").to_arrow_table() for t in {*STORED_TABLES, *copied}}
    loaded.close()
    con = duckdb.connect(str(scratch / "writer.duckdb"))
    for schema in ("raw", "core", "marts"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table, rows in held.items():
        con.register(f"held_{table.replace('.', '_')}", rows)
    for table in held:
        if table not in STORED_TABLES:  # small: not timed
            con.execute(f"CREATE TABLE {table} AS FROM held_{table.replace('.', '_')}")
    con.execute("CHECKPOINT")
    started = time.perf_counter()
    for table in STORED_TABLES:
        con.execute(f"CREATE TABLE {table} AS FROM held_{table.replace('.', '_')}")
    con.execute("CHECKPOINT")
    stored = time.perf_counter() - started
    for table in held:
        con.unregister(f"held_{table.replace('.', '_')}")
    del held
    started = time.perf_counter()
    con.execute(
        f"ATTACH '{scratch / 'copy.duckdb'}' AS copy (STORAGE_VERSION '{READER_STORAGE_VERSION}')"
    )
    for schema in ("main", "raw", "core", "marts"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS copy.{schema}")
    # One snapshot: all of it is the latest.
    for table in sorted(copied):
        con.execute(f"CREATE TABLE copy.{table} AS FROM {table}")
    con.execute("DETACH copy")
    published = time.perf_counter() - started
    con.close()
    shutil.rmtree(scratch)
    return stored, published


def weekly_snapshots(args, work: Path) -> None:

    weeks = [FIRST_DAY + dt.timedelta(weeks=w) for w in range(args.weeks)]
    staging = work / "weekly-exports"
    account = Account(
        "weekly", tuple(weeks), args.week_connections, args.week_followers, args.week_messages,
        2027, churn=0.0,
    )  # fmt: skip
    took = generate(staging, [account], workers=1)
    print(f"\ngenerated {args.weeks} weekly snapshots in {took:.0f} s")
    home = _new_home(work / "weekly")
    (home.inbox / "weekly").mkdir(parents=True)
    items = sorted((staging / "weekly").iterdir(), key=lambda p: p.name)
    per_week = []
    for day in weeks:
        stamps = (day.isoformat(), f"{day.month:02d}-{day.day:02d}-{day.year}")
        for path in items:
            if any(s in path.name for s in stamps):
                os.link(path, home.inbox / "weekly" / path.name)
        per_week.append(load_once(home, "weekly"))
    early, late = per_week[1:4], per_week[-3:]
    print(f"weekly snapshots: median of snapshots 2-4 against the last three ({args.weeks})")
    for name in per_week[0]:
        a = sorted(p.get(name, 0.0) for p in early)[1]
        b = sorted(p.get(name, 0.0) for p in late)[1]
        ratio = f"{b / a:.2f}x" if a else "-"
        print(f"  {name:<22} {a:7.3f} s  {b:7.3f} s  {ratio}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    for name in PRESETS["small"]:
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, help="overrides the preset")
    parser.add_argument("--skip-large", action="store_true", help="only the weekly part")
    parser.add_argument("--skip-weekly", action="store_true", help="only the large snapshot")
    parser.add_argument("--workdir", help="where to write exports and warehouses (kept)")
    args = parser.parse_args(argv)
    for name, value in PRESETS[args.preset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    warnings.filterwarnings("ignore")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="lnw-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    warm_up(work)
    if not args.skip_large:
        one_large_snapshot(args, work)
    if not args.skip_weekly:
        weekly_snapshots(args, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
