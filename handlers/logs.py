"""Structured logs: one JSON object per line on stdout, which Lambda ships to CloudWatch as is.

JSON lines keep CloudWatch Logs Insights queries simple (``filter status >= 500``) and carry the
request id so a client's report can be matched to its log line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

SERVICE = "ivs-clip-manifest"
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


def threshold(environ: dict[str, str] | None = None) -> int:
    """The lowest level written, from ``LOG_LEVEL`` (what the Pulumi program deploys); INFO by default."""
    name = (environ if environ is not None else os.environ).get("LOG_LEVEL", "").strip().upper()
    return LEVELS.get("WARNING" if name == "WARN" else name, LEVELS["INFO"])


def emit(level: str, message: str, *, stream: TextIO | None = None, **fields: Any) -> None:
    """Write one log line unless ``LOG_LEVEL`` is above ``level``; non-JSON values are written as ``str``."""
    if LEVELS.get(level, LEVELS["ERROR"]) < threshold():
        return
    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
        "level": level,
        "service": SERVICE,
        "message": message,
        **fields,
    }
    out = stream or sys.stdout
    out.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")
    out.flush()


def access(*, request_id: str, route: str, method: str, status: int, duration_ms: float, **fields: Any) -> None:
    """The access line of one request; server errors are logged at ERROR with their traceback."""
    level = "ERROR" if status >= 500 else "WARNING" if status >= 400 else "INFO"
    emit(
        level,
        "request",
        request_id=request_id,
        route=route,
        method=method,
        status=status,
        duration_ms=duration_ms,
        **fields,
    )


def info(message: str, **fields: Any) -> None:
    emit("INFO", message, **fields)
