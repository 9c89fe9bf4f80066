"""Structured logs: one JSON object per line on stdout, which Lambda ships to CloudWatch as is.

JSON lines keep CloudWatch Logs Insights queries simple (``filter status >= 500``) and carry the
request id so a client's report can be matched to its log line.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

SERVICE = "ivs-clip-manifest"


def emit(level: str, message: str, *, stream: TextIO | None = None, **fields: Any) -> None:
    """Write one log line; values that are not JSON are written as their ``str``."""
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
