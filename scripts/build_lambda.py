"""Build ``build/deps``: the Lambda runtime dependencies, for Lambda's platform, without bytecode.

Run it before ``pulumi preview``/``up`` (``make build-lambda``). The Pulumi program packs this tree
with the handler sources and refuses to deploy when it is missing or was built for another
architecture, Python version or requirements file (it checks ``build/deps.json``, written here).

``--no-compile`` keeps the tree byte-identical between runs (bytecode would differ each time), and
console scripts (``bin/``, whose shebang names the builder's interpreter) are dropped, so an
unchanged requirements file gives an unchanged archive and an empty preview on any machine.

``--stack dev`` takes the architecture and Python version from ``Pulumi.dev.yaml`` (defaults from
``infra/config.py``), which is what CI does; ``--print-target`` only prints them, as
``architecture=…``/``python-version=…``/``region=…`` lines for ``$GITHUB_OUTPUT``. pip evaluates environment
markers against the interpreter it runs on, so ``--pip-python`` can name the runtime's Python.
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
from infra.config import stack_file_settings  # noqa: E402

PROJECT = "ivs-clip-manifest"


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
    parser.add_argument("--stack", help="take --arch and --python-version from Pulumi.<stack>.yaml")
    parser.add_argument("--print-target", action="store_true", help="print architecture/python-version, build nothing")
    parser.add_argument(
        "--no-export", dest="with_export", action="store_false", help="skip the MP4 export worker's deps (ffmpeg)"
    )
    parser.add_argument(
        "--pip-python", default=sys.executable, help="the interpreter that runs pip (default: this one)"
    )
    args = parser.parse_args(argv)
    args.region = os.environ.get("AWS_REGION", "")
    args.export_target = "build/deps-export"
    if args.stack:
        stack_file = ROOT / f"Pulumi.{args.stack}.yaml"
        args.arch, args.python_version, args.region = stack_target(stack_file)
        exported = stack_file_settings(stack_file, PROJECT)
        args.with_export = args.with_export and exported.mp4_export
        args.export_target = exported.mp4_export_deps_dir
    return args


def stack_target(stack_file: Path) -> tuple[str, str, str]:
    """(architecture, Python version, region) of a stack, from its file and the defaults in code."""
    import yaml

    settings = stack_file_settings(stack_file, PROJECT)
    region = str((yaml.safe_load(stack_file.read_text()).get("config") or {}).get("aws:region", ""))
    return settings.lambda_architecture, settings.lambda_runtime.removeprefix("python"), region


def pip_command(target: Path, platform: str, python_version: str, python: str = sys.executable) -> list[str]:
    return [
        python, "-m", "pip", "install", "--quiet",
        "--target", str(target),
        "--platform", platform,
        "--implementation", "cp",
        "--python-version", python_version,
        "--only-binary=:all:",
        "--no-compile",
        "-r", str(ROOT / REQUIREMENTS),
    ]  # fmt: skip


def strip_scripts(target: Path) -> None:
    """Drop ``bin/`` and its RECORD lines: the scripts' shebang (and so their hash) names the builder's Python."""
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("../../bin/")))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.print_target:
        print(f"architecture={args.arch}\npython-version={args.python_version}\nregion={args.region}")
        return 0
    info = BuildInfo(args.arch, args.python_version, requirements_digest(ROOT))
    version = [args.pip_python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    running = subprocess.run(version, check=True, capture_output=True, text=True).stdout.strip()
    if running != args.python_version:
        # pip evaluates environment markers against its interpreter, not --python-version.
        print(f"note: pip runs on Python {running}; markers are evaluated for it, not {args.python_version}")
    shutil.rmtree(args.target, ignore_errors=True)
    build_info_path(args.target).unlink(missing_ok=True)
    subprocess.run(pip_command(args.target, info.platform, args.python_version, args.pip_python), check=True)
    strip_scripts(args.target)
    build_info_path(args.target).write_text(info.to_json())
    print(f"built {args.target} for {info.platform}, Python {args.python_version}")
    if args.with_export:
        # The MP4 export worker's own archive adds imageio-ffmpeg (its ffmpeg binary) for the architecture.
        from infra import export

        export.main(["--arch", args.arch, "--python-version", args.python_version, "--target", args.export_target])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
