"""One JSON line per request, so a developer can grep (or ``jq``) what the browser and players did."""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class AccessLog:
    """Writes ``{"time", ...fields}`` lines to ``stream`` (stderr when ``None``); thread-safe."""

    stream: TextIO | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def write(self, **fields: Any) -> None:
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **fields})
        out = self.stream or sys.stderr
        with self._lock:
            print(line, file=out, flush=True)
