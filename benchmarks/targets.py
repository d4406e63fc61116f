"""`lnw run` against the reference script of ../shared/peers, side by side on the same
generated inboxes, from process start to exit.

Cases (each generated once, then hard-linked into one home for `lnw run` and one for the
script):

- ``teams``: 5 accounts x 3 monthly snapshots of about 29,000 connections, 41,000 followers
  and 6,000 conversations each; the target is `lnw run` in at most 0.4x the script's wall;
- ``small``: one account, 3 snapshots of about 600 people; the target is `lnw run` in at
  most 7 s, start-up included.

`lnw run` runs with its defaults (one process), and with ``--workers 2`` too for teams.

Examples:
    uv run --locked python benchmarks/targets.py --case small
    uv run --locked python benchmarks/targets.py --case teams
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from harness import Account, fresh_home, generate, lnw, measure, peer, table

FIRST = dt.date(2026, 8, 3)
MONTHLY = tuple(FIRST + dt.timedelta(weeks=4 * k) for k in range(3))
CASES = {
    # About 29,000 connections and 41,000 followers a snapshot; messages.csv of about 6,000
    # conversations (the generator's conversations average 4-5 messages).
    "teams": [
        Account(f"member-{n}", MONTHLY, 29_000, 41_000, 27_000, seed=100 + n) for n in range(5)
    ],
    # About 600 people: 250 connections, 400 followers, 300 messages.
    "small": [Account("me", MONTHLY, 250, 400, 300, seed=7)],
}
TARGETS = {"teams": "lnw run at most 0.4x the script", "small": "lnw run at most 7 s"}


def run_case(name: str, scratch: Path, repeats: int) -> None:
    inbox = scratch / f"{name}-inbox"
    if not inbox.exists():
        took = generate(inbox, CASES[name])
        print(f"{name}: generated in {took:.0f} s")
    rows = []
    ways = [("lnw run", lnw("run")), ("reference script", None)]
    if name == "teams":
        ways.insert(1, ("lnw run --workers 2", lnw("run", "--workers", "2")))
    results: dict[str, list] = {}
    for attempt in range(repeats):
        for label, command in ways:
            home = fresh_home(inbox, scratch / f"{name}-{attempt}-{label.replace(' ', '_')}")
            argv = peer(home) if command is None else [*command, "--home", str(home)]
            measured = measure(argv)
            if measured.exit_code not in (0, 2):
                raise SystemExit(f"{label} failed ({measured.exit_code}):\n{measured.output}")
            results.setdefault(label, []).append(measured)
    script = min(m.wall for m in results["reference script"])
    for label, measured in results.items():
        best = min(measured, key=lambda m: m.wall)
        rows.append(
            [
                label,
                f"{best.wall:.1f}",
                f"{best.cpu:.1f}",
                f"{best.peak_rss / 1024**2:,.0f}",
                f"{best.wall / script:.2f}x",
                ", ".join(f"{m.wall:.1f}" for m in measured),
            ]
        )
    print(f"\n{name} ({TARGETS[name]}; best of {repeats}):")
    print(table(rows, ["way", "wall s", "CPU s", "peak RSS MiB", "x script", "all walls s"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each way (best kept)")
    parser.add_argument("--scratch", type=Path, help="where inboxes and homes go (reused)")
    args = parser.parse_args()
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="lnw-targets-"))
    scratch.mkdir(parents=True, exist_ok=True)
    for name in CASES if args.case == "all" else [args.case]:
        run_case(name, scratch, args.repeats)


if __name__ == "__main__":
    main()
