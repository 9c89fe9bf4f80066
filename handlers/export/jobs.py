"""MP4 export jobs: the job value, how a job is started, and the worker that runs one.

``POST /clips/{clip_id}/mp4`` marks the clip's ``mp4`` as ``pending`` and hands an :class:`Mp4Job`
to a :class:`Dispatcher`. In AWS that is :class:`LambdaDispatcher` (an asynchronous invoke of the
export function, so the 128 MB API function answers at once); locally and in tests it is
:class:`ThreadDispatcher`, which runs the same :func:`run_job` in a background thread.

:func:`run_job` reads the clip's current document, its media playlist for the rendition, exports the
requested window through ranged reads of the storage, uploads ``clips/<clip_id>.mp4`` and records
``ready`` (or ``failed`` with the reason). It only writes while the document still asks for this
export, so a deleted clip or a newer request is never overwritten by a stale job.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from handlers import logs
from handlers.clips.record import ClipRecord, Mp4State
from handlers.clips.store import ClipStore
from handlers.config import Settings
from handlers.export.disposition import content_disposition
from handlers.export.errors import ExportError
from handlers.export.export import ExportWindow, export_mp4
from handlers.export.playlist import find_rendition
from handlers.keys import is_clip_id
from handlers.storage.base import NotFound, Storage, StorageError

MP4_TYPE = "video/mp4"
#: ffmpeg is stopped this long before the worker's own deadline, so a slow export is recorded as failed.
DEADLINE_MARGIN_SECONDS = 20.0
DEFAULT_TIMEOUT_SECONDS = 300.0
MAX_ERROR_CHARS = 500
_RENDITION = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

Outcome = Literal["ready", "failed", "superseded", "gone"]


class DispatchError(RuntimeError):
    """The job could not be handed to the worker (the invoke failed); nothing will run it."""


@dataclass(frozen=True, slots=True)
class Mp4Job:
    """One export to run: which clip (and which instance of it, by creation time) and which rendition."""

    clip_id: str
    rendition: str
    created_ms: int

    def to_json(self) -> dict[str, Any]:
        return {"clip_id": self.clip_id, "rendition": self.rendition, "created_ms": self.created_ms}

    @classmethod
    def from_json(cls, data: Any) -> Mp4Job:
        """The job of an invoke payload; ``ValueError`` for anything else (the worker drops it)."""
        if not isinstance(data, dict):
            raise ValueError("the job is not a JSON object")
        clip_id, rendition, created = data.get("clip_id"), data.get("rendition"), data.get("created_ms")
        if not isinstance(clip_id, str) or not is_clip_id(clip_id):
            raise ValueError(f"clip_id {clip_id!r} is not a clip id")
        if not isinstance(rendition, str) or not _RENDITION.match(rendition):
            raise ValueError(f"rendition {rendition!r} is not a rendition name")
        if isinstance(created, bool) or not isinstance(created, int):
            raise ValueError(f"created_ms {created!r} is not an integer")
        return cls(clip_id, rendition, created)


def pending_state(rendition: str) -> Mp4State:
    return Mp4State("pending", rendition=rendition)


def is_pending_for(rendition: str) -> Callable[[Mp4State | None], bool]:
    """The condition a job's writes need: the document still waits for this rendition's export."""
    return lambda state: state is not None and state.status == "pending" and state.rendition == rendition


# Dispatchers ----------------------------------------------------------------------------------


class Dispatcher(Protocol):
    def submit(self, job: Mp4Job) -> None:
        """Start ``job`` without waiting for it; raises :class:`DispatchError` when it cannot."""
        ...


class LambdaDispatcher:
    """An asynchronous invoke (``InvocationType="Event"``) of the export function per job.

    Lambda queues the event and answers 202 at once; the worker records the outcome in the
    clip's document, which is what clients poll (``GET /clips/{clip_id}``).
    """

    def __init__(self, function_name: str, client: Any = None) -> None:
        self.function_name = function_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=3, read_timeout=10)
            self._client = boto3.session.Session().client("lambda", config=config)
        return self._client

    def submit(self, job: Mp4Job) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        payload = json.dumps(job.to_json(), separators=(",", ":")).encode()
        try:
            response = self.client.invoke(FunctionName=self.function_name, InvocationType="Event", Payload=payload)
        except (ClientError, BotoCoreError) as exc:
            raise DispatchError(f"could not start the export function {self.function_name}: {exc}") from exc
        status = response.get("StatusCode")
        if status != 202:
            raise DispatchError(f"the export function {self.function_name} answered {status}, not 202")


class ThreadDispatcher:
    """Runs jobs one after another in a daemon thread of this process (the local stack, tests).

    :meth:`join` waits until every submitted job has finished, so tests wait deterministically.
    """

    def __init__(self, run: Callable[[Mp4Job], object]) -> None:
        self.run = run
        self._queue: queue.Queue[Mp4Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Mp4Job) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="mp4-export", daemon=True)
                self._thread.start()
        self._queue.put(job)

    def join(self) -> None:
        self._queue.join()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self.run(job)
            except Exception:  # run_job records failures itself; this is a bug, logged, never fatal
                logs.emit("ERROR", "mp4 export crashed", clip_id=job.clip_id, traceback=traceback.format_exc())
            finally:
                self._queue.task_done()


def dispatcher_for(settings: Settings, storage: Storage) -> Dispatcher:
    """The export function when ``MP4_FUNCTION_NAME`` is set, else a background thread running the worker."""
    if settings.mp4_function_name:
        return LambdaDispatcher(settings.mp4_function_name)
    return ThreadDispatcher(lambda job: run_job(job, settings, storage))


# The worker -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobResult:
    outcome: Outcome
    record: ClipRecord | None = None
    error: str | None = None


def window_of(record: ClipRecord) -> ExportWindow:
    """The requested window, on the clip's media playlist: from ``start_offset``, for the requested length."""
    return ExportWindow(record.start_offset, round(record.requested.end_seconds - record.requested.start_seconds, 6))


def storage_reader(storage: Storage) -> Callable[[str, int | None, int | None], bytes]:
    """The export's ``read_range`` over the store: ranged GETs, a whole GET for an unranged segment."""

    def read(key: str, start: int | None, length: int | None) -> bytes:
        if start is None:
            return storage.get(key)
        if length is None:
            raise ExportError("read_failed", f"open-ended range of {key!r}")
        return storage.get_range(key, start, length)

    return read


def run_job(
    job: Mp4Job,
    settings: Settings,
    storage: Storage,
    *,
    ffmpeg: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    work_root: Path | None = None,
) -> JobResult:
    """Export, upload, record. Every failure ends as ``failed`` in the document, never an exception."""
    store = ClipStore(storage, settings.clips_prefix)
    wanted = is_pending_for(job.rendition)
    record = store.read_visible(job.clip_id)
    if record is None or record.created_ms != job.created_ms:
        return JobResult("gone")
    if not wanted(record.mp4):
        return JobResult("superseded", record)
    work = Path(tempfile.mkdtemp(prefix="mp4-", dir=work_root))
    try:
        size, duration = _export_and_upload(record, job.rendition, store, work, ffmpeg, timeout)
    except Exception as exc:  # recorded for the client; the log has the detail
        message = _message(exc)
        logs.emit("ERROR", "mp4 export failed", stream=sys.stderr, clip_id=job.clip_id, error=message)
        failed = Mp4State("failed", rendition=job.rendition, error=message)
        return JobResult("failed", store.update_mp4(job.clip_id, job.created_ms, failed, only_if=wanted), message)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ready = Mp4State("ready", key=store.mp4_key(job.clip_id), rendition=job.rendition, duration=duration, size=size)
    updated = store.update_mp4(job.clip_id, job.created_ms, ready, only_if=wanted)
    if updated is None and store.read_visible(job.clip_id) is None:
        storage.delete(store.mp4_key(job.clip_id))  # deleted while we exported: leave nothing behind
        return JobResult("gone")
    logs.emit("INFO", "mp4 exported", stream=sys.stderr, clip_id=job.clip_id, rendition=job.rendition, size=size)
    return JobResult("ready" if updated is not None else "superseded", updated)


def _export_and_upload(
    record: ClipRecord, rendition: str, store: ClipStore, work: Path, ffmpeg: str | None, timeout: float
) -> tuple[int, float]:
    storage = store.storage
    master = storage.get(record.key).decode("utf-8")
    variant = find_rendition(master, record.key, rendition)
    playlist = storage.get(variant.key).decode("utf-8")
    read = storage_reader(storage)
    result = export_mp4(playlist, variant.key, window_of(record), read, ffmpeg=ffmpeg, work_dir=work, timeout=timeout)
    disposition = content_disposition(record.title, record.clip_id)
    storage.put_file(store.mp4_key(record.clip_id), result.path, MP4_TYPE, disposition=disposition)
    return result.size, result.duration


def _message(exc: Exception) -> str:
    """What the document says went wrong: the export's own message, or the storage's, short."""
    if isinstance(exc, ExportError):
        text = f"{exc.code}: {exc.message}"
    elif isinstance(exc, NotFound):
        text = f"not_found: the object {exc.args[0] if exc.args else ''} is gone"
    elif isinstance(exc, StorageError):
        text = f"storage_unavailable: {exc}"
    else:
        text = f"internal_error: {type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def timeout_for(remaining_ms: int | None) -> float:
    """ffmpeg's time limit in a worker with ``remaining_ms`` left: its deadline minus a margin."""
    if remaining_ms is None:
        return DEFAULT_TIMEOUT_SECONDS
    return max(5.0, remaining_ms / 1000 - DEADLINE_MARGIN_SECONDS)
