"""One time budget per request, shared by every storage call it makes.

API Gateway gives up on an integration after 30 s and answers with its own 503, which carries
none of our JSON. A request that spends its budget must therefore fail on its own terms first:
each storage call waits at most for what is left of the request's budget (the lesser of
:data:`MAX_REQUEST_SECONDS` and the Lambda's remaining time), then raises :class:`StorageError`,
so a stalled S3 becomes a ``storage_unavailable`` answer instead of a gateway timeout, however
many retries botocore had left.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from handlers.storage.base import Listing, Storage, StorageError

#: Under API Gateway's 30 s integration limit, with room to answer.
MAX_REQUEST_SECONDS = 25.0
#: Kept back from the Lambda's remaining time to write the answer and the log line.
SAFETY_SECONDS = 1.0

T = TypeVar("T")
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("storage_deadline", default=None)
_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="storage-call")


def request_seconds(context: Any) -> float:
    """The budget of one invocation: 25 s, or less when the Lambda has less time left."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return MAX_REQUEST_SECONDS
    return max(0.0, min(MAX_REQUEST_SECONDS, remaining() / 1000 - SAFETY_SECONDS))


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Storage calls inside the block (and in threads started with :func:`carry`) share ``seconds``."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left in the current request's budget (``None`` outside any request)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def carry(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` bound to the caller's budget, for thread pools (threads do not inherit context)."""
    context = contextvars.copy_context()
    # One copy per call: a context can be entered by one thread at a time.
    return lambda *args, **kwargs: context.copy().run(fn, *args, **kwargs)


def bounded(call: Callable[[], T], what: str) -> T:
    """``call()``, but never waiting past the request's budget."""
    left = remaining()
    if left is None:
        return call()
    if left <= 0:
        raise StorageError(f"{what}: the request's time budget is spent")
    future = _pool.submit(call)
    try:
        return future.result(timeout=left)
    except FutureTimeout:
        raise StorageError(f"{what}: no answer within the request's time budget") from None


class BudgetedStorage:
    """A :class:`Storage` whose calls respect the request's budget (see module doc)."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner

    def __repr__(self) -> str:
        return f"BudgetedStorage({self.inner!r})"

    def get(self, key: str) -> bytes:
        return bounded(lambda: self.inner.get(key), f"get {key}")

    def put(self, key: str, body: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        return bounded(lambda: self.inner.put(key, body, content_type, if_absent=if_absent), f"put {key}")

    def list(
        self, prefix: str = "", *, delimiter: str | None = None, token: str | None = None, limit: int = 1000
    ) -> Listing:
        return bounded(lambda: self.inner.list(prefix, delimiter=delimiter, token=token, limit=limit), f"list {prefix}")

    def get_range(self, key: str, start: int, length: int) -> bytes:
        return bounded(lambda: self.inner.get_range(key, start, length), f"get {key} bytes {start}+{length}")

    def get_tail(self, key: str, length: int) -> tuple[bytes, int]:
        return bounded(lambda: self.inner.get_tail(key, length), f"get {key} last {length} bytes")

    def copy(self, source_key: str, key: str, content_type: str) -> None:
        bounded(lambda: self.inner.copy(source_key, key, content_type), f"copy {source_key} to {key}")

    def delete(self, key: str) -> None:
        bounded(lambda: self.inner.delete(key), f"delete {key}")

    def put_file(self, key: str, path: Path, content_type: str, *, disposition: str | None = None) -> None:
        bounded(lambda: self.inner.put_file(key, path, content_type, disposition=disposition), f"put {key} from file")

    def delete_many(self, keys: Sequence[str]) -> None:
        """Batched where the inner store batches (S3 ``DeleteObjects``), as :func:`delete_keys` expects."""
        batched = getattr(self.inner, "delete_many", None)
        if callable(batched):
            bounded(lambda: batched(keys), f"delete {len(keys)} keys")
            return
        for key in keys:
            self.delete(key)
