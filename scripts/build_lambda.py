"""Build ``build/deps``: the Lambda runtime dependencies, for Lambda's platform, without bytecode.

Run it before ``pulumi preview``/``up`` (``make build-lambda``). The Pulumi program packs this tree
with the handler sources and refuses to deploy when it is missing or was built for another
architecture, Python version or requirements file (it checks ``build/deps.json``, written here).

``--no-compile`` keeps the tree byte-identical between runs (bytecode would differ each time), so
an unchanged requirements file gives an unchanged archive and an empty preview.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.archive import (  # noqa: E402  (the project root has to be on sys.path first)
    PLATFORMS,
    REQUIREMENTS,
    BuildInfo,
    build_info_path,
    requirements_digest,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arch",
        choices=sorted(PLATFORMS),
        default=os.environ.get("LAMBDA_ARCH", "arm64"),
        help="the stack's lambdaArchitecture (default: $LAMBDA_ARCH or arm64)",
    )
    parser.add_argument(
        "--python-version",
        default=os.environ.get("LAMBDA_PYTHON_VERSION", "3.12"),
        help="the stack's lambdaRuntime version (default: $LAMBDA_PYTHON_VERSION or 3.12)",
    )
    parser.add_argument("--target", type=Path, default=ROOT / "build" / "deps")
    return parser.parse_args(argv)


def pip_command(target: Path, platform: str, python_version: str) -> list[str]:
    return [
        sys.executable, "-m", "pip", "install", "--quiet",
        "--target", str(target),
        "--platform", platform,
        "--implementation", "cp",
        "--python-version", python_version,
        "--only-binary=:all:",
        "--no-compile",
        "-r", str(ROOT / REQUIREMENTS),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = BuildInfo(args.arch, args.python_version, requirements_digest(ROOT))
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != args.python_version:
        # pip evaluates environment markers against this interpreter, not --python-version.
        print(f"note: pip runs on Python {running}; markers are evaluated for it, not {args.python_version}")
    shutil.rmtree(args.target, ignore_errors=True)
    build_info_path(args.target).unlink(missing_ok=True)
    subprocess.run(pip_command(args.target, info.platform, args.python_version), check=True)
    build_info_path(args.target).write_text(info.to_json())
    print(f"built {args.target} for {info.platform}, Python {args.python_version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
