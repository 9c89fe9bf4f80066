"""The MP4 export on mocks: the worker's size and archive, least-privilege access, the route (on by default)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.archive import MissingDependencies, archive_files
from infra.export import (
    PLATFORMS,
    WORKER_MEMORY_MB,
    check_export_dependencies,
    ephemeral_mb,
    export_archive_files,
    pip_command,
)
from tests.infra import harness as h
from tests.infra.conftest import _run_variant

BINARY = {"arm64": "ffmpeg-linux-aarch64-v9.0.2", "x86_64": "ffmpeg-linux-x86_64-v9.0.2"}
EVENT_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"


def fake_export_deps(root: Path, arch: str) -> Path:
    """What `python -m infra.export --arch <arch>` leaves: imageio_ffmpeg with its binary, and the build info."""
    deps = root / f"deps-export-{arch}"
    (deps / "imageio_ffmpeg" / "binaries").mkdir(parents=True)
    (deps / "imageio_ffmpeg" / "__init__.py").write_text("__version__ = '0.8.1'\n")
    (deps / "imageio_ffmpeg" / "binaries" / BINARY[arch]).write_bytes(b"\x7fELF")
    (root / f"deps-export-{arch}.json").write_text(json.dumps({"architecture": arch}))
    return deps


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("export-deps")
    base = {"lambdaDepsDir": str(h.fake_deps_dir()), "studioDir": ""}
    reports = {
        arch: _run_variant({**base, "lambdaArchitecture": arch, "mp4ExportDepsDir": str(fake_export_deps(root, arch))})
        for arch in ("arm64", "x86_64")
    }
    reports["off"] = _run_variant({**base, "mp4Export": False})
    return reports


def named(report: dict[str, Any], typ: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in h.reported(report, typ) if r["name"] == name]
    return found["inputs"]


def policy(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return json.loads(named(report, h.ROLE_POLICY, f"{name}-access")["policy"])["Statement"]


@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_the_worker_is_sized_for_the_export(stacks: dict[str, dict[str, Any]], arch: str) -> None:
    worker = named(stacks[arch], h.FUNCTION, "mp4export")
    assert worker["handler"] == "handlers.mp4_worker.handler"
    assert worker["architectures"] == [arch]
    assert (worker["memorySize"], worker["timeout"]) == (WORKER_MEMORY_MB, 900)
    assert worker["ephemeralStorage"] == {"size": ephemeral_mb()}
    assert "code" not in worker and worker["s3Key"].startswith("lambda-code/mp4export-")  # too large to upload


def test_tmp_holds_the_longest_windows_segments_and_mp4() -> None:
    assert ephemeral_mb(3600, 8_500_000) == 8026  # 2 x 3,647.8 MiB (an hour at 8.5 Mb/s) + 10 %
    assert ephemeral_mb(60) == 512 and ephemeral_mb(10 * 3600) == 10_240  # Lambda's bounds


@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_the_worker_has_its_own_archive_with_ffmpeg_for_its_architecture(
    stacks: dict[str, dict[str, Any]], arch: str
) -> None:
    archive = set(named(stacks[arch], h.BUCKET_OBJECT, "mp4export-archive")["source"]["assets"])
    assert f"imageio_ffmpeg/binaries/{BINARY[arch]}" in archive
    assert "handlers/mp4_worker.py" in archive and "handlers/export/export.py" in archive
    api = set(named(stacks[arch], h.FUNCTION, "clipmp4")["code"]["assets"])
    assert not any(name.startswith("imageio_ffmpeg") for name in api)  # the API functions carry no ffmpeg
    assert archive - api == {n for n in archive if n.startswith("imageio_ffmpeg")}


def test_the_route_function_is_small_and_knows_the_worker(stacks: dict[str, dict[str, Any]]) -> None:
    function = named(stacks["arm64"], h.FUNCTION, "clipmp4")
    assert function["handler"] == "handlers.clip_mp4.handler"
    assert (function["memorySize"], function["timeout"]) == (128, 40)
    assert function["environment"]["variables"]["MP4_FUNCTION_NAME"] == "mp4export-0a1b2c3"


def test_only_the_route_function_may_invoke_the_worker_and_only_it(stacks: dict[str, dict[str, Any]]) -> None:
    report = stacks["arm64"]
    worker_arn = f"arn:aws:lambda:{h.REGION}:{h.ACCOUNT}:function:mp4export-0a1b2c3"
    invokes = {
        r["name"]: [s for s in json.loads(r["inputs"]["policy"])["Statement"] if "lambda:InvokeFunction" in str(s)]
        for r in h.reported(report, h.ROLE_POLICY)
    }
    assert {name: found for name, found in invokes.items() if found} == {
        "clipmp4-access": [
            {"Sid": "StartExports", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": worker_arn}
        ]
    }


def test_the_worker_writes_only_mp4s_and_clip_documents(stacks: dict[str, dict[str, Any]]) -> None:
    bucket = f"arn:aws:s3:::{h.bucket_name_for('media')}"
    statements = {s["Sid"]: s for s in policy(stacks["arm64"], "mp4export")}
    assert statements["ReadObjects"]["Resource"] == [f"{bucket}/ivs/*", f"{bucket}/clips/*"]
    assert statements["WriteExports"]["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
    assert statements["WriteExports"]["Resource"] == [f"{bucket}/clips/*.mp4", f"{bucket}/clips/*.json"]
    assert statements["RemoveOrphanExports"]["Resource"] == [f"{bucket}/clips/*.mp4"]
    assert not any("lambda:" in str(s) or "events:" in str(s) for s in statements.values())


def test_the_route_is_on_the_api_and_async_events_are_not_retried(stacks: dict[str, dict[str, Any]]) -> None:
    report = stacks["arm64"]
    keys = {r["inputs"]["routeKey"] for r in h.reported(report, h.ROUTE)}
    assert "POST /clips/{clip_id}/mp4" in keys
    permission = named(report, h.PERMISSION, "clipmp4-invoke")
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["sourceArn"].endswith("/*/POST/clips/{clip_id}/mp4")
    config = named(report, EVENT_CONFIG, "mp4export-async")
    assert config["maximumRetryAttempts"] == 0


def test_the_export_is_on_by_default(stack: h.Recorded) -> None:
    assert {r.name for r in stack.of_type(h.FUNCTION)} >= {"mp4export", "clipmp4"}


def test_a_stack_may_turn_the_export_off(stacks: dict[str, dict[str, Any]]) -> None:
    functions = {r["name"] for r in h.reported(stacks["off"], h.FUNCTION)}
    routes = {r["inputs"]["routeKey"] for r in h.reported(stacks["off"], h.ROUTE)}
    assert not functions & {"mp4export", "clipmp4"} and "POST /clips/{clip_id}/mp4" not in routes


def test_the_export_deps_check_wants_ffmpeg_for_the_stacks_architecture(tmp_path: Path) -> None:
    deps = fake_export_deps(tmp_path, "arm64")
    check_export_dependencies(deps, "arm64")
    with pytest.raises(MissingDependencies, match="built for arm64"):
        check_export_dependencies(deps, "x86_64")
    with pytest.raises(MissingDependencies, match="missing"):
        check_export_dependencies(tmp_path / "absent", "arm64")


def test_the_export_archive_is_the_api_archive_plus_the_export_deps(tmp_path: Path) -> None:
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "mp4_worker.py").write_text("")
    api_deps = tmp_path / "deps"
    (api_deps / "boto3").mkdir(parents=True)
    (api_deps / "boto3" / "__init__.py").write_text("")
    export = export_archive_files(tmp_path, api_deps, fake_export_deps(tmp_path, "arm64"))
    assert set(export) - set(archive_files(tmp_path, api_deps)) == {
        "imageio_ffmpeg/__init__.py",
        f"imageio_ffmpeg/binaries/{BINARY['arm64']}",
    }
    (api_deps / "imageio_ffmpeg").mkdir()
    (api_deps / "imageio_ffmpeg" / "__init__.py").write_text("")
    with pytest.raises(MissingDependencies, match="overwrite"):
        export_archive_files(tmp_path, api_deps, tmp_path / "deps-export-arm64")


@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_the_build_asks_pip_for_the_manylinux_2_28_wheel(arch: str, tmp_path: Path) -> None:
    cmd = pip_command(tmp_path, arch, "3.12", tmp_path / "requirements-lambda-export.txt")
    assert cmd[cmd.index("--platform") + 1] == PLATFORMS[arch]
    assert PLATFORMS[arch].startswith("manylinux_2_28_")  # imageio-ffmpeg 0.8.1 has no manylinux2014 wheel
    assert "--only-binary=:all:" in cmd and "--no-compile" in cmd


def test_the_export_requirements_pin_imageio_ffmpeg() -> None:
    lines = [
        ln for ln in (h.ROOT / "requirements-lambda-export.txt").read_text().splitlines() if not ln.startswith("#")
    ]
    assert [ln for ln in lines if ln.strip()] == ["imageio-ffmpeg==0.8.1"]


def test_make_build_lambda_also_builds_the_export_workers_deps_for_a_stack() -> None:
    args = h.load_build_script().parse_args(["--stack", "dev"])
    assert (args.with_export, args.export_target) == (True, "build/deps-export")


def test_the_export_deps_can_be_skipped() -> None:
    assert h.load_build_script().parse_args(["--stack", "dev", "--no-export"]).with_export is False
