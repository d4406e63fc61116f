"""Benchmark of many accounts: `lnw run` in one process against `lnw run --workers N`.

Generates ``--accounts`` accounts of ``--snapshots`` weekly snapshots each in LinkedIn's
formats, hard-links the same inbox into two homes, and runs `lnw run` on each from process
start to exit: once with its default (the accounts one after another in one process), once
with ``--workers`` step processes at once. For each it prints wall and CPU time, peak
resident memory of all its processes together, CSV rows loaded per second, and the time the
warehouse lock was held and waited for (``LNW_LOCK_TRACE``): the held share of the one-
process run cannot overlap, which bounds the speed-up (Amdahl), and so do the cores the one-
process run leaves idle. It then checks that both warehouses hold the same snapshots and
history.

Examples:
    uv run --locked python benchmarks/accounts.py --preset small
    uv run --locked python benchmarks/accounts.py --preset full     # 200 accounts x 4
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

from harness import Account, fresh_home, generate, lnw, measure

PRESETS = {
    # Well under a minute of loading on two cores.
    "small": {"accounts": 8, "snapshots": 2, "connections": 500, "followers": 2_000},
    "medium": {"accounts": 40, "snapshots": 4, "connections": 5_000, "followers": 20_000},
    # The target: 200 accounts of 5,000 connections and 20,000 followers, 4 snapshots.
    "full": {"accounts": 200, "snapshots": 4, "connections": 5_000, "followers": 20_000},
}
FIRST_DAY = dt.date(2026, 1, 2)


def accounts(args: argparse.Namespace) -> list[Account]:
    days = tuple(FIRST_DAY + dt.timedelta(weeks=w) for w in range(args.snapshots))
    return [
        Account(
            f"account-{number:04d}",
            days,
            args.connections,
            args.followers,
            args.messages,
            seed=args.seed + number,
            churn=args.churn,
        )
        for number in range(args.accounts)
    ]


def lock_trace(path: Path) -> tuple[float, float]:
    """Seconds the warehouse lock was waited for and held, summed over every holder."""
    waited = held = 0.0
    if path.exists():
        for line in path.read_text().splitlines():
            _, wait, hold = line.split()
            waited += float(wait)
            held += float(hold)
    return waited, held


def warehouse_facts(home: Path) -> tuple[int, int, list]:
    """CSV rows stored, snapshots written, and a count and order-free checksum of the
    history and the snapshots (fetched as tuples, 200 accounts' rows would take gigabytes)."""
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT (SELECT count(*) FROM raw.connections) + (SELECT count(*) FROM "
            "raw.followers) + (SELECT count(*) FROM raw.invitations) + (SELECT count(*) "
            "FROM raw.messages), (SELECT count(*) FROM core.snapshots)"
        ).fetchone()
        content = [
            con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {table} AS t").fetchall()
            for table in ("core.relationship_history", "core.relationship_snapshots")
        ]
        return rows[0], rows[1], content
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    for name in PRESETS["small"]:
        parser.add_argument(f"--{name}", type=int, help="overrides the preset")
    parser.add_argument("--messages", type=int, default=200, help="messages per account")
    parser.add_argument("--churn", type=float, default=0.03, help="share changing per week")
    parser.add_argument("--workers", type=int, default=2, help="step processes at once")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, help="where exports and warehouses go (kept)")
    args = parser.parse_args(argv)
    for name, value in PRESETS[args.preset].items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="lnw-accounts-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"lnw accounts benchmark, preset {args.preset}, {os.cpu_count()} CPU(s), work {work}")
    try:
        inbox = work / "inbox"
        if not inbox.exists():
            took = generate(inbox, accounts(args))
            print(f"generated {args.accounts} accounts in {took:.0f} s")
        results = {}
        for label, extra in (("one process", []), (f"{args.workers} workers", args.workers)):
            home = fresh_home(inbox, work / label.replace(" ", "-"))
            trace = work / f"{label.replace(' ', '-')}.lock-trace"
            trace.unlink(missing_ok=True)
            command = lnw("run", "--home", str(home))
            if extra:
                command += ["--workers", str(extra)]
            print(f"loading with {label} ...", file=sys.stderr, flush=True)
            measured = measure(command, env={"LNW_LOCK_TRACE": str(trace)})
            if measured.exit_code not in (0, 2):
                raise SystemExit(f"{label} failed ({measured.exit_code}):\n{measured.output}")
            results[label] = (measured, lock_trace(trace), warehouse_facts(home))
        report(args, results)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def report(args: argparse.Namespace, results: dict) -> None:
    snapshots = args.accounts * args.snapshots
    print(f"\n{args.accounts} accounts x {args.snapshots} weekly snapshots, {snapshots} in all")
    print(
        f"{'way':<12}{'wall s':>8}{'cpu s':>8}{'peak RSS MiB':>14}{'CSV rows':>12}"
        f"{'rows/s':>10}{'s/account':>11}{'lock held s':>13}{'waited s':>10}"
    )
    for label, (m, (waited, held), (rows, written, _)) in results.items():
        print(
            f"{label:<12}{m.wall:>8.1f}{m.cpu:>8.1f}{m.peak_rss / 2**20:>14,.0f}{rows:>12,}"
            f"{rows / m.wall:>10,.0f}{m.wall / args.accounts:>11.2f}{held:>13.1f}{waited:>10.1f}"
        )
        if written < snapshots:
            print(f"  only {written} of {snapshots} snapshots written")
    (one, (_, held), facts_one), (many, _, facts_many) = results.values()
    print(f"speed-up with {args.workers} workers: {one.wall / many.wall:.2f}x")
    # What the one-process run spent holding the warehouse cannot overlap: Amdahl's bound.
    share = held / one.wall
    bound = 1 / (share + (1 - share) / args.workers)
    print(
        f"warehouse held {share:.0%} of the one-process run: at most {bound:.2f}x with "
        f"{args.workers} workers on idle cores; cores used: {one.cpu / one.wall:.2f} and "
        f"{many.cpu / many.wall:.2f}"
    )
    # The other bound: the one-process run already keeps part of the other cores busy (its
    # validation process, DuckDB's and Polars' threads), and workers share the same cores.
    cores = len(os.sched_getaffinity(0))
    used = one.cpu / one.wall
    print(
        f"the one-process run used {used:.2f} of {cores} cores: at most {cores / used:.2f}x "
        f"with any number of workers on this machine, with no more CPU time"
    )
    same = facts_one[2] == facts_many[2]
    print(f"same snapshots and history in both warehouses: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
