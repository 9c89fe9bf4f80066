"""Background jobs for the dev server: periodic ones (an expiry sweep) and queued ones (an export).

In AWS these are scheduled or queue-driven Lambdas; locally they run in daemon threads owned by
the server, so a failing job is logged and retried next time instead of taking the server down,
and :meth:`BackgroundTasks.stop` ends them all on shutdown.
"""

from __future__ import annotations

import queue
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

Job = Callable[[], None]


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A job run every ``interval`` seconds (first run after one interval, or at once with ``run_now``)."""

    name: str
    interval: float
    job: Job
    run_now: bool = False


@dataclass
class BackgroundTasks:
    """Owns the job threads; ``submit`` queues one-off jobs for ``workers`` threads."""

    workers: int = 1
    errors: TextIO | None = None  # where failures are logged (stderr by default)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _queue: queue.Queue[tuple[str, Job] | None] = field(default_factory=queue.Queue, repr=False)
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _started_workers: bool = False

    def every(self, periodic: PeriodicJob) -> None:
        """Start running ``periodic`` in its own thread until :meth:`stop`."""
        self._start(f"periodic:{periodic.name}", self._periodic_loop, periodic)

    def submit(self, name: str, job: Job) -> None:
        """Queue ``job`` for the worker threads (started on first use)."""
        if self._stop.is_set():
            raise RuntimeError("background tasks are stopped")
        with self._lock:
            if not self._started_workers:
                self._started_workers = True
                for index in range(self.workers):
                    self._start(f"worker-{index}", self._worker_loop)
        self._queue.put((name, job))

    def join_queue(self) -> None:
        """Wait until every queued job has run (tests, and draining before a controlled stop)."""
        self._queue.join()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask every thread to end and wait up to ``timeout``; says whether all ended."""
        self._stop.set()
        with self._lock:
            threads = list(self._threads)
            for _ in range(sum(1 for t in threads if t.name.startswith("devserver-worker-"))):
                self._queue.put(None)
        for thread in threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in threads)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _start(self, name: str, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=f"devserver-{name}", daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _periodic_loop(self, periodic: PeriodicJob) -> None:
        if periodic.run_now:
            self._run(periodic.name, periodic.job)
        while not self._stop.wait(periodic.interval):
            self._run(periodic.name, periodic.job)

    def _worker_loop(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if not self._stop.is_set():
                    self._run(*item)
            finally:
                self._queue.task_done()

    def _run(self, name: str, job: Job) -> None:
        try:
            job()
        except Exception:
            out = self.errors or sys.stderr
            print(f"background job {name!r} failed:\n{traceback.format_exc()}", file=out, end="", flush=True)
