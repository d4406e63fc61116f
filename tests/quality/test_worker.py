"""The GX process of `lnw run` (quality.worker): the same reports as validating in place, and
loads that go on in place when it dies."""

import os
import signal

import polars as pl
import pytest

from quality import worker
from quality.validation import Batch, Rule

BATCH = Batch(
    suite="worker_test",
    frame=pl.DataFrame({"url": ["a", None, "c", None]}),
    expectations=[
        Rule(
            expectation="ExpectColumnValuesToNotBeNull",
            column="url",
            description="every row has a URL",
        )
    ],
)


def _summary(report):
    return report.rows, [(o.success, o.unexpected_count) for o in report.outcomes]


@pytest.fixture
def started():
    worker.start()
    yield
    worker.stop()


def test_a_report_from_the_process_equals_one_made_in_place(started):
    from_process = worker.submit(BATCH, run_name="t").report()
    worker.stop()
    in_place = worker.submit(BATCH, run_name="t").report()
    assert _summary(from_process) == _summary(in_place) == (4, [(False, 2)])


def test_a_killed_process_leaves_validation_to_the_caller(started):
    worker.submit(BATCH, run_name="warm").report()  # GX imported, process up
    (process,) = worker._POOL[0]._processes.values()
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    assert _summary(worker.submit(BATCH, run_name="t").report()) == (4, [(False, 2)])
    assert not worker._POOL


def test_work_given_for_the_wait_runs_once_while_the_process_imports_gx(started):
    done = []
    worker.while_waiting(lambda: done.append("warm-up"))
    worker.while_waiting(lambda: done.append("second"))
    # Asked for at once: the new process is still importing GX (seconds), so both run first.
    report = worker.submit(BATCH, run_name="t").report()
    worker.submit(BATCH, run_name="t").report()
    assert done == ["warm-up", "second"]
    assert _summary(report) == (4, [(False, 2)])
