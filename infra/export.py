"""MP4 export in AWS: ``POST /clips/{clip_id}/mp4`` (a small API function) and the export worker it invokes.

The worker (``handlers.mp4_worker.handler``) runs ffmpeg, so it has its own archive (the API
archive plus ``build/deps-export``: imageio-ffmpeg's wheel for the stack's architecture) and its
own size. The archive is ~61 MB zipped (arm64; 68 MB x86_64), over Lambda's 50 MB direct-upload
limit, so it goes through the bucket, under :data:`CODE_PREFIX` (which nobody else reads: the CDN
serves only the recordings, clips and studio prefixes), named by its content digest so that new code
is a new key and Lambda takes it. On by default (``mp4Export``; ``mp4ExportDepsDir``
moves ``build/deps-export``); ``make build-lambda`` builds the worker's deps with the API's, and a
deploy refuses to ship a worker without ffmpeg for the stack's architecture.

Sizing (the core's measurements, ``bench/mp4.py``): ~31 MB Python + ~39 MB ffmpeg peak RSS, plus
S3 multipart buffers (4 x 16 MiB) and boto3: 512 MB leaves ample room and is CPU enough for a
stream copy (no decode). /tmp holds the window's segments and the MP4 (~2x the window's bytes):
sized for ``MP4_MAX_SECONDS`` at IVS's top bitrate. Time: the longest window's bytes read, copied
and uploaded; ffmpeg stops :data:`handlers.export.jobs.DEADLINE_MARGIN_SECONDS` before the end.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pulumi
import pulumi_aws as aws

from handlers.config import DEFAULT_MP4_MAX_SECONDS
from infra.archive import (
    MissingDependencies,
    archive_files,
    asset_archive,
    build_info_path,
    dependency_files,
    digest,
)
from infra.config import CODE_PREFIX, Settings
from infra.functions import DeployedFunction, _routed, _under_mocks, deps_dir, environment
from infra.policies import document, lambda_assume_role, objects
from infra.routes import Route
from infra.storage import Storage

REQUIREMENTS = "requirements-lambda-export.txt"
EXPORT_DEPS_DIR = "build/deps-export"
#: imageio-ffmpeg 0.8.1 ships manylinux_2_28 wheels only (glibc 2.28+: the python3.12/3.13 runtimes' AL2023).
PLATFORMS = {"arm64": "manylinux_2_28_aarch64", "x86_64": "manylinux_2_28_x86_64"}
FFMPEG_BINARY = {"arm64": "ffmpeg-linux-aarch64", "x86_64": "ffmpeg-linux-x86_64"}

WORKER_MEMORY_MB = 512
WORKER_TIMEOUT_SECONDS = 900  # Lambda's maximum: an hour's window of a 1080p rendition is ~3.8 GB each way
#: IVS's highest ingest bitrate (Standard channel, 1080p): what the longest window may hold per second.
TOP_BITS_PER_SECOND = 8_500_000
TMP_HEADROOM = 1.1
MIN_TMP_MB, MAX_TMP_MB = 512, 10_240

MP4_ROUTE = Route(
    "clipmp4",
    "POST",
    "/clips/{clip_id}/mp4",
    "handlers.clip_mp4.handler",
    reads=("recordings", "clips"),
    writes=("clips",),
)
WORKER_NAME = "mp4export"
WORKER_HANDLER = "handlers.mp4_worker.handler"


def ephemeral_mb(max_seconds: float = DEFAULT_MP4_MAX_SECONDS, bits_per_second: int = TOP_BITS_PER_SECOND) -> int:
    """/tmp for the segments of the longest window plus its MP4 (about as large), with headroom."""
    window_mb = max_seconds * bits_per_second / 8 / 1024 / 1024
    return max(MIN_TMP_MB, min(MAX_TMP_MB, math.ceil(2 * window_mb * TMP_HEADROOM)))


# Access ---------------------------------------------------------------------------------------


def worker_policy(bucket_arn: str, settings: Settings, log_group_arn: str, stage_prefix: str = "") -> str:
    """Reads recordings and clips; writes (and aborts uploads of, and removes) only MP4s and clip documents."""
    clips = settings.clips_prefix
    mp4s = [f"{bucket_arn}/{clips}*.mp4"]
    return document(
        {
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": objects(bucket_arn, (settings.recordings_prefix, *filter(None, [stage_prefix]), clips)),
        },
        {"Sid": "ListPrefixes", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
        {
            "Sid": "WriteExports",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": [*mp4s, f"{bucket_arn}/{clips}*.json"],
        },
        {"Sid": "RemoveOrphanExports", "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": mp4s},
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
    )


# Archive --------------------------------------------------------------------------------------


def export_archive_files(root: Path, api_deps: Path, export_deps: Path) -> dict[str, Path]:
    """The API archive's files plus the export deps (imageio-ffmpeg); a clash is an error."""
    base, extra = archive_files(root, api_deps), dependency_files(export_deps)
    clash = sorted(set(base) & set(extra))
    if clash:
        raise MissingDependencies(f"{export_deps} would overwrite files of the API archive: {clash[:5]}")
    return dict(sorted({**base, **extra}.items()))


def check_export_dependencies(export_deps: Path, architecture: str) -> None:
    """Refuse to deploy a worker without ffmpeg, or with ffmpeg for the other architecture."""
    fix = f"run `python -m infra.export --arch {architecture}` first"
    info = build_info_path(export_deps)
    if not info.is_file():
        raise MissingDependencies(f"{export_deps} is missing: {fix}")
    built = json.loads(info.read_text()).get("architecture")
    if built != architecture:
        raise MissingDependencies(f"{export_deps} was built for {built}, this stack needs {architecture}: {fix}")
    binaries = export_deps / "imageio_ffmpeg" / "binaries"
    if not any(p.name.startswith(FFMPEG_BINARY[architecture]) for p in binaries.glob("ffmpeg-*")):
        raise MissingDependencies(f"{binaries} holds no {FFMPEG_BINARY[architecture]} binary: {fix}")


def worker_files(root: Path, settings: Settings) -> dict[str, Path]:
    export_deps = root / settings.mp4_export_deps_dir
    if not _under_mocks():
        check_export_dependencies(export_deps, settings.lambda_architecture)
    return export_archive_files(root, deps_dir(root, settings), export_deps)


# Resources ------------------------------------------------------------------------------------


def _log_group(name: str, settings: Settings) -> aws.cloudwatch.LogGroup:
    return aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/{pulumi.get_project()}/{pulumi.get_stack()}/{name}",
        retention_in_days=settings.log_retention_days,
    )


def create_worker(
    settings: Settings, storage: Storage, variables: dict[str, pulumi.Input[str]], root: Path
) -> aws.lambda_.Function:
    log_group = _log_group(WORKER_NAME, settings)
    role = aws.iam.Role(f"{WORKER_NAME}-role", assume_role_policy=lambda_assume_role())
    policy = aws.iam.RolePolicy(
        f"{WORKER_NAME}-access",
        role=role.id,
        policy=pulumi.Output.all(storage.arn, log_group.arn, storage.realtime_prefix or "").apply(
            lambda a: worker_policy(a[0], settings, a[1], a[2])
        ),
    )
    files = worker_files(root, settings)
    code = aws.s3.BucketObjectv2(
        f"{WORKER_NAME}-archive",
        bucket=storage.name,
        key=f"{CODE_PREFIX}{WORKER_NAME}-{digest(files)[:16]}.zip",
        source=asset_archive(files),
    )
    worker = aws.lambda_.Function(
        WORKER_NAME,
        description="MP4 export of a clip (ffmpeg stream copy), invoked asynchronously by POST /clips/{clip_id}/mp4",
        role=role.arn,
        runtime=settings.lambda_runtime,
        handler=WORKER_HANDLER,
        architectures=[settings.lambda_architecture],
        memory_size=WORKER_MEMORY_MB,
        timeout=WORKER_TIMEOUT_SECONDS,
        ephemeral_storage={"size": ephemeral_mb()},
        s3_bucket=storage.name,
        s3_key=code.key,
        environment={"variables": variables},
        logging_config={"log_format": "Text", "log_group": log_group.name},
        opts=pulumi.ResourceOptions(depends_on=[policy, log_group]),
    )
    # No automatic retries: the worker records every failure in the clip's document, and a client
    # retries by posting again. Events older than an hour are dropped (the client has moved on).
    aws.lambda_.FunctionEventInvokeConfig(
        f"{WORKER_NAME}-async",
        function_name=worker.name,
        maximum_retry_attempts=0,
        maximum_event_age_in_seconds=3600,
    )
    return worker


def create_export(
    settings: Settings,
    storage: Storage,
    public_base_url: pulumi.Output[str],
    api_code: pulumi.Archive,
    root: Path,
    cors_origins: Sequence[pulumi.Input[str]] | None = None,
) -> list[DeployedFunction]:
    """The worker and the route's API function; the API function goes into ``create_api`` like the others."""
    if not settings.mp4_export:
        return []
    variables = environment(settings, storage, public_base_url, cors_origins)
    worker = create_worker(settings, storage, variables, root)
    # The route's function is an API function like the others (the API archive: no ffmpeg), which may
    # also start the worker, and nothing else.
    told = {**variables, "MP4_FUNCTION_NAME": worker.name}
    return [_routed(MP4_ROUTE, settings, storage, told, api_code, may_invoke=worker.arn)]


# Building build/deps-export -------------------------------------------------------------------


def pip_command(target: Path, architecture: str, python_version: str, requirements: Path) -> list[str]:
    return [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
        "--target", str(target),
        "--platform", PLATFORMS[architecture],
        "--implementation", "cp",
        "--python-version", python_version,
        "--only-binary=:all:",
        "--no-compile",
        "-r", str(requirements),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """``python -m infra.export --arch arm64``: imageio-ffmpeg for Lambda into build/deps-export."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64")
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--target", default=EXPORT_DEPS_DIR, help="relative to --root (the stack's mp4ExportDepsDir)")
    args = parser.parse_args(argv)
    target = args.root / args.target
    shutil.rmtree(target, ignore_errors=True)
    build_info_path(target).unlink(missing_ok=True)
    subprocess.run(pip_command(target, args.arch, args.python_version, args.root / REQUIREMENTS), check=True)
    shutil.rmtree(target / "bin", ignore_errors=True)
    info = {"architecture": args.arch, "python_version": args.python_version, "platform": PLATFORMS[args.arch]}
    build_info_path(target).write_text(json.dumps(info, sort_keys=True, indent=2) + "\n")
    check_export_dependencies(target, args.arch)
    print(f"built {target} for {PLATFORMS[args.arch]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
