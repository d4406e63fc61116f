"""Great Expectations in a process of its own, beside `lnw run`'s.

Importing GX takes about 3 s of one core (scipy, altair, sqlalchemy and GX's own thousand
modules), more than `lnw run` needs for everything else on a small inbox. Started when the
command starts, a second process imports GX on the second core while the first imports
Dagster, scans the inbox and parses and stores the first account's files; later its
validations run while the first process stores raw rows (DuckDB, on the other core).
Batches go to it as plain data (`quality.validation.Rule`, a Polars frame) and its reports
come back as they are. Once the loads are validated it is idle, and draws half of the
report's charts (`beside`, `report.render.draw_beside`).

Without `start()` (a Dagster step process, the UI, the daemon, a test), validations run in
the calling process, when their report is asked for.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from quality.validation import Batch, ValidationReport, validate_batch

_POOL: list[ProcessPoolExecutor] = []
T = TypeVar("T")
# Work this process does the first time it would otherwise sit waiting for a report.
_WHILE_WAITING: list[Callable[[], None]] = []


def _import_gx() -> None:
    import threading

    # Off while GX imports: the 480,000 objects of its modules are no garbage, and the
    # collector walking them over and over made the import take 1.8 s instead of 1.45 s
    # (lnw.cli.entry does the same for `lnw` itself).
    gc.disable()
    from tqdm import tqdm

    from quality.validation import _context

    # GX draws progress bars with tqdm, whose default lock includes a multiprocessing one,
    # a semaphore the resource tracker would call leaked when `stop` ends this process.
    tqdm.set_lock(threading.RLock())
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()
    _context()
    gc.freeze()
    gc.enable()


def _end_with(parent: int) -> None:
    """End this process once ``parent`` is gone (killed, or crashed without `stop`): the
    pool's queue never reports it, since this process holds both its ends."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def start() -> None:
    """Start the validation process, which imports GX at once. Spawned, not forked: a fork
    of a process whose Polars or DuckDB threads are running can deadlock in the child."""
    if _POOL:
        return
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_import_gx
    )
    pool.submit(int)  # launches the process now, not at the first validation
    _POOL.append(pool)


def while_waiting(work: Callable[[], None]) -> None:
    """Have ``work`` done the first time a report is asked for before the validation
    process has it (on a small inbox, it is still importing GX): the idle core of this
    process then does what a later step would have done on the critical path."""
    _WHILE_WAITING.append(work)


def stop() -> None:
    """End the validation process now, whatever it is doing: nobody will collect its work.
    Asked to shut down alone, it would outlive `lnw`'s quick exit (`lnw.cli.entry`) waiting
    on its queue, whose write end it holds itself, and keep `lnw`'s output pipe open."""
    _WHILE_WAITING.clear()
    while _POOL:
        pool = _POOL.pop()
        # No public way to reach the processes before Python 3.14's terminate_workers().
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        # Now the pool sees its process gone and closes its queues (their semaphores too,
        # which the resource tracker would otherwise report as leaked).
        pool.shutdown(wait=True, cancel_futures=True)
        del pool, processes
        # `lnw` exits without the interpreter's teardown: the queues' finalizers, which tell
        # the resource tracker their semaphores are gone, must run now.
        gc.collect()


class Pending:
    """A validation submitted: its report when asked for."""

    def __init__(self, batch: Batch, run_name: str) -> None:
        self.batch, self.run_name = batch, run_name
        self._future: Future[ValidationReport] | None = None
        if _POOL:
            try:
                # Pickled here, not by the pool's feeder thread: with a frame pickled in that
                # thread while another ran a Polars query calling Python (the keys' NFC), a
                # load hung once, every thread waiting on Polars' own threads. Polars is then
                # used only by threads that do it anyway.
                payload = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
                self._future = _POOL[0].submit(_validate_pickled, payload, run_name)
            except BrokenProcessPool:
                stop()  # it died (killed, out of memory): validate here from now on

    def report(self) -> ValidationReport:
        if self._future is not None:
            while _WHILE_WAITING and not self._future.done():
                # Only a head start: the step that needs it meets and reports any error.
                with contextlib.suppress(Exception):
                    _WHILE_WAITING.pop(0)()
            try:
                return self._future.result()
            except BrokenProcessPool:
                stop()
        return validate_batch(self.batch, run_name=self.run_name)


def _validate_pickled(payload: bytes, run_name: str) -> ValidationReport:
    return validate_batch(pickle.loads(payload), run_name=run_name)


def beside(work: Callable[..., T], *args) -> Future[T] | None:
    """Have the validation process do ``work(*args)`` (a function of a module, and arguments
    that pickle), after the validations already submitted; None when it does not run. For
    CPU work of this process's that can go beside it once the loads are validated (the
    report's charts)."""
    if not _POOL:
        return None
    try:
        return _POOL[0].submit(work, *args)
    except BrokenProcessPool:
        stop()
        return None


def submit(batch: Batch, *, run_name: str) -> Pending:
    """Validate ``batch`` in the validation process if it runs; else when its report is
    asked for, in this process."""
    return Pending(batch, run_name)
