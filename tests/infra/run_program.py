"""Run the program on mocks with the config given as JSON (argv[1]); print what it declared as JSON.

For configurations other than the session's: Pulumi's runtime state is per process (pitfall 6).
Usage: python -m tests.infra.run_program '{"createIvsChannel": true}'
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pulumi

from tests.infra import harness


def _plain(value: Any) -> Any:
    """Archives become the sorted list of their entry names, file assets their path; the rest is JSON."""
    if isinstance(value, pulumi.AssetArchive):
        return {"assets": sorted(value.assets)}
    if isinstance(value, pulumi.FileAsset):
        return {"path": value.path}
    raise TypeError(f"cannot serialise {type(value).__name__}")


def main(argv: list[str]) -> int:
    mocks = harness.install(json.loads(argv[1]))
    recorded = harness.run(mocks)
    report = {
        "resources": [{"typ": r.typ, "name": r.name, "inputs": r.inputs} for r in recorded.resources],
        "calls": [{"token": c.token, "args": c.args} for c in recorded.calls],
        "exports": recorded.exports,
        "secret_exports": sorted(recorded.secret_exports),
        "retained": sorted(recorded.retained),
    }
    json.dump(report, sys.stdout, default=_plain, sort_keys=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
