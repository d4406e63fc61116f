"""What the quality checks cost next to the load they guard: one snapshot with a 1,000,000-row
follower list, loaded by the real `ingest_snapshot` job, with the duration of every step.

    uv run --frozen python benchmarks/check_cost.py [--followers 1000000] [--home DIR]

Load steps: raw_exports (parse and store every item), core/relationship_snapshots,
core/relationship_history, then the `refresh_marts` job (metrics, published copy). Check
steps: every asset check step of the two jobs (`raw_checks`: the raw GX suites and the
connection cap; `relationship_snapshot_checks`: the core GX suite and the partial-export gate;
the history and metric-identity checks). Great Expectations' import is paid once per process
and is reported apart. Issue #6's goal: checks at most a third of the load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import polars as pl

DAY = dt.date(2026, 11, 20)
GOAL = 1 / 3


def write_follower_list(path: Path, rows: int) -> None:
    """A scraper's list (PhantomBuster's columns); one row in a hundred without a follow date."""
    index = pl.int_range(0, rows, eager=True)
    frame = pl.DataFrame(
        {
            "profileUrl": "https://www.linkedin.com/in/follower-" + index.cast(pl.String),
            "firstName": "First" + (index % 997).cast(pl.String),
            "lastName": "Last" + (index % 991).cast(pl.String),
            "occupation": pl.Series(["Founder at Acme", "Head of Sales", "Student"] * rows)[:rows],
            "followedAt": pl.Series([None, "2026-03-04"] * rows, dtype=pl.String)[:rows],
        }
    )
    frame.write_csv(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=5_000)
    parser.add_argument("--home", help="a fresh folder (default: a temporary one)")
    args = parser.parse_args()
    root = Path(args.home or tempfile.mkdtemp(prefix="lnw-check-cost-"))
    os.environ["LNW_HOME"] = str(root)
    os.environ["DAGSTER_HOME"] = str(root / "dagster")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from inbox.home import Home
    from lnw.samples import write_account_exports
    from pipelines.definitions import defs

    home = Home(root).ensure()
    write_account_exports(
        home.inbox,
        "me",
        [DAY],
        n_connections=args.connections,
        n_followers=0,
        n_messages=500,
        seed=7,
        follower_list_for=set(),
    )
    write_follower_list(home.inbox / "me" / f"followers_{DAY}.csv", args.followers)

    started = time.perf_counter()
    import great_expectations  # noqa: F401  (paid once per process, reported apart)

    gx_import = time.perf_counter() - started
    key = f"me:{DAY}"
    instance = dg.DagsterInstance.get()
    instance.add_dynamic_partitions("snapshots", [key])
    started = time.perf_counter()
    result = defs.resolve_job_def("ingest_snapshot").execute_in_process(
        partition_key=key,
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    wall = time.perf_counter() - started
    # The snapshot is queryable only once its metrics are computed and published.
    started = time.perf_counter()
    marts = defs.resolve_job_def("refresh_marts").execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    marts_wall = time.perf_counter() - started

    durations = {
        event.step_key: event.event_specific_data.duration_ms / 1000
        for event in result.all_events
        if event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE")
    }
    checks = {
        e.check_name + " on " + e.asset_key.to_user_string(): e.passed
        for e in result.get_asset_check_evaluations()
    }
    load_steps = {"raw_exports", "core__relationship_snapshots", "core__relationship_history"}
    load = sum(s for k, s in durations.items() if k in load_steps)
    check = sum(s for k, s in durations.items() if k not in load_steps)
    print(f"follower list: {args.followers:,} rows; connections: {args.connections:,}")
    print(f"run {'succeeded' if result.success else 'FAILED'} in {wall:.1f} s wall")
    for step, seconds in sorted(durations.items(), key=lambda item: -item[1]):
        kind = "load " if step in load_steps else "check"
        print(f"  {kind} {seconds:7.2f} s  {step}")
    print(f"GX import (once per process): {gx_import:.1f} s")
    print(
        f"load steps: {load:.2f} s; check steps: {check:.2f} s; checks / load = {check / load:.2f}"
        f" (goal: at most {GOAL:.2f})"
    )
    marts_steps = {
        event.step_key: event.event_specific_data.duration_ms / 1000
        for event in marts.all_events
        if event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE")
    }
    marts_load = sum(s for k, s in marts_steps.items() if "metric_identities" not in k)
    marts_check = sum(s for k, s in marts_steps.items() if "metric_identities" in k)
    print(
        f"refresh_marts ({marts_wall:.1f} s wall): load steps {marts_load:.2f} s, "
        f"metric identities check {marts_check:.2f} s"
    )
    print(
        f"whole snapshot (ingest + marts): load {load + marts_load:.2f} s, checks "
        f"{check + marts_check:.2f} s; checks / load = "
        f"{(check + marts_check) / (load + marts_load):.2f}"
    )
    for name, passed in checks.items():
        print(f"  {'passed' if passed else 'FAILED'}  {name}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
