"""What the benchmarks share: generating inboxes in LinkedIn's formats in parallel, and
running a command in a fresh process session while sampling the CPU time and resident
memory of every process it starts."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
PEER = ROOT.parent / "shared" / "peers" / "pandas_peer.py"


@dataclass(frozen=True)
class Account:
    """One account to generate: its snapshot dates and sizes (`write_account_exports`)."""

    name: str
    dates: tuple[dt.date, ...]
    connections: int
    followers: int
    messages: int
    seed: int
    churn: float = 0.03
    archive_for: frozenset[dt.date] | None = None
    follower_list_for: frozenset[dt.date] | None = None


def _write(inbox: str, account: Account) -> None:
    from lnw.samples import write_account_exports

    write_account_exports(
        Path(inbox),
        account.name,
        list(account.dates),
        n_connections=account.connections,
        n_followers=account.followers,
        n_messages=account.messages,
        seed=account.seed,
        churn=account.churn,
        archive_for=account.archive_for,
        follower_list_for=account.follower_list_for,
    )


def generate(inbox: Path, accounts: list[Account], workers: int = 2) -> float:
    """Write the accounts' exports into ``inbox`` (two processes: the generator is Python);
    returns the seconds it took. The processes are spawned: a fork of a process whose Polars
    threads have run (run.py's, after its imports) hangs in the child's first Polars query."""
    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        list(pool.map(_write, [str(inbox)] * len(accounts), accounts))
    return time.perf_counter() - started


def fresh_home(inbox: Path, home: Path) -> Path:
    """A new home whose inbox holds hard links to ``inbox``'s files (no copy of gigabytes)."""
    shutil.rmtree(home, ignore_errors=True)
    (home / "inbox").parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(inbox, home / "inbox", copy_function=os.link)
    return home


class SessionSampler:
    """CPU time and resident memory of every process of a session (a command and all it
    starts), read from /proc every half second."""

    def __init__(self, session: int) -> None:
        self.session = session
        self.cpu_ticks: dict[int, int] = {}
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            # Every half second: a /proc walk costs CPU the measured processes would miss.
            self._stop.wait(0.5)

    def sample(self) -> None:
        total_rss = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
                with open(f"/proc/{entry.name}/statm") as statm:
                    rss = int(statm.read().split()[1]) * PAGE
            except OSError:
                continue  # ended meanwhile
            # Fields after the command: state ppid pgrp session ... utime(12) stime(13).
            if int(fields[3]) != self.session:
                continue
            self.cpu_ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
            total_rss += rss
        self.peak_rss = max(self.peak_rss, total_rss)

    def __enter__(self) -> SessionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_ticks.values()) / CLOCK_TICKS


@dataclass(frozen=True)
class Measured:
    wall: float
    cpu: float
    peak_rss: int
    exit_code: int
    output: str


def measure(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` in its own session, from process start to exit."""
    environment = {**os.environ, **(env or {})}
    for name in ("LNW_HOME", "DAGSTER_HOME", "LNW_ICP"):
        if env is None or name not in env:
            environment.pop(name, None)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    with SessionSampler(process.pid) as sampler:
        output, _ = process.communicate()
        sampler.sample()
    return Measured(
        time.perf_counter() - started,
        sampler.cpu_seconds,
        sampler.peak_rss,
        process.returncode,
        output,
    )


def lnw(*args: str) -> list[str]:
    """The installed `lnw` command of this environment."""
    return [str(Path(sys.executable).with_name("lnw")), *args]


def peer(home: Path) -> list[str]:
    """The reference script of ../shared/peers (its README says how to run it)."""
    return [sys.executable, str(PEER), "run", "--home", str(home)]


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("-|-".join("-" * w for w in widths))
    for row in rows:
        lines.append(" | ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)
