"""``python -m bench``: the engine bench, then the listing benches when they are present."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def _optional(module: str, function: str) -> None:
    """Run ``bench.<module>.<function>()`` (it returns lines to print), or say why it was skipped."""
    print()
    try:
        run: Callable[[], list[str]] = getattr(importlib.import_module(f"bench.{module}"), function)
    except (ImportError, AttributeError) as exc:
        print(f"== bench.{module}: skipped: {exc} ==")
        return
    for line in run():
        print(line)


def main() -> int:
    from bench.engine import run_engine_bench

    def emit(line: str) -> None:
        print(line, flush=True)

    passed = run_engine_bench(emit)
    _optional("listing", "run_recordings_listing_bench")
    _optional("clips_listing", "run_clips_listing_bench")
    _optional("ranged", "run")
    _optional("mp4", "run")
    _optional("channels", "run")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
