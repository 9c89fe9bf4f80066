"""Lambda entry point of the MP4 export worker, invoked asynchronously by ``POST /clips/{clip_id}/mp4``.

The event is an :class:`~handlers.export.jobs.Mp4Job` (``{"clip_id", "rendition", "created_ms"}``).
The outcome goes into the clip's document, not into a reply (nobody waits for one): a malformed
event is logged and dropped, and ffmpeg's time limit is what is left of the invocation minus a
margin, so even a slow export ends as ``failed`` in the document instead of a silent timeout.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from handlers import logs
from handlers.config import Settings, load_settings
from handlers.export.jobs import Mp4Job, run_job, timeout_for
from handlers.storage.base import Storage

_ready: list[tuple[Settings, Storage]] = []
_lock = threading.Lock()


def ffmpeg_exe() -> str:
    """imageio-ffmpeg's binary, copied to /tmp and made executable when the archive lost its mode bits."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    if os.access(exe, os.X_OK):
        return exe
    copy = Path(tempfile.gettempdir()) / f"ffmpeg-{Path(exe).name}"
    if not os.access(copy, os.X_OK):
        partial = copy.with_suffix(".partial")
        shutil.copyfile(exe, partial)
        partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        partial.replace(copy)
    return str(copy)


def _environment() -> tuple[Settings, Storage]:
    if not _ready:
        with _lock:
            if not _ready:
                from handlers.storage import open_storage

                settings = load_settings(os.environ)
                _ready.append((settings, open_storage(settings.storage_url)))
    return _ready[0]


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Run one export job; returns a summary for the invocation's log."""
    try:
        job = Mp4Job.from_json(dict(event))
    except (TypeError, ValueError) as exc:
        logs.emit("ERROR", "mp4 job dropped", stream=sys.stderr, error=str(exc))
        return {"outcome": "dropped", "error": str(exc)}
    settings, storage = _environment()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    timeout = timeout_for(remaining() if callable(remaining) else None)
    result = run_job(job, settings, storage, ffmpeg=ffmpeg_exe(), timeout=timeout)
    return {"outcome": result.outcome, "clip_id": job.clip_id, "rendition": job.rendition, "error": result.error}


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # the init phase: a bad setting fails the cold start
    _environment()
