"""Background jobs: they run, a failing one is logged and does not stop others, stop ends them."""

from __future__ import annotations

import io
import threading

import pytest

from devserver.tasks import BackgroundTasks, PeriodicJob


def test_periodic_job_runs_repeatedly() -> None:
    tasks = BackgroundTasks(errors=io.StringIO())
    runs = threading.Semaphore(0)
    tasks.every(PeriodicJob("tick", 0.01, runs.release))
    try:
        assert all(runs.acquire(timeout=5) for _ in range(3))
    finally:
        assert tasks.stop()


def test_failing_job_is_logged_and_keeps_running() -> None:
    errors = io.StringIO()
    tasks = BackgroundTasks(errors=errors)
    calls = threading.Semaphore(0)

    def flaky() -> None:
        calls.release()
        raise RuntimeError("sweep failed")

    tasks.every(PeriodicJob("sweep", 0.01, flaky, run_now=True))
    try:
        assert calls.acquire(timeout=5) and calls.acquire(timeout=5)  # ran again after failing
    finally:
        assert tasks.stop()
    assert "background job 'sweep' failed" in errors.getvalue()
    assert "RuntimeError: sweep failed" in errors.getvalue()


def test_queued_jobs_run_in_order_and_a_failure_does_not_stop_the_worker() -> None:
    tasks = BackgroundTasks(errors=io.StringIO())
    done: list[int] = []

    def fail() -> None:
        raise ValueError("export failed")

    tasks.submit("one", lambda: done.append(1))
    tasks.submit("bad", fail)
    tasks.submit("two", lambda: done.append(2))
    tasks.join_queue()
    assert done == [1, 2]
    assert tasks.stop()


def test_stop_ends_the_threads_and_refuses_new_jobs() -> None:
    tasks = BackgroundTasks(errors=io.StringIO())
    tasks.every(PeriodicJob("idle", 3600, lambda: None))
    tasks.submit("noop", lambda: None)
    assert tasks.stop(timeout=5)
    assert not [t for t in threading.enumerate() if t.name.startswith("devserver-") and t.is_alive()]
    with pytest.raises(RuntimeError):
        tasks.submit("late", lambda: None)
