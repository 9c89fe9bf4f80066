"""The one code archive all three functions share: handler and engine sources plus pure-Python deps.

Built from a filtered file list, never a bare directory, so bytecode caches written by tests or local
runs never reach the archive: the same tree always gives the same archive (and ``pulumi preview``
shows no diff). Pulumi hashes an ``AssetArchive`` by entry names and contents only, and
:func:`digest` does the same, so tests can check that stability without the engine.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi

SOURCE_PACKAGES: tuple[str, ...] = ("handlers", "clipping")
SKIPPED_DIRS = frozenset({"__pycache__"})
#: Never shipped even when found inside a source package: the local dev server (``devserver/``, formerly
#: ``handlers/local/``), tests, the sample recording and benchmarks are for laptops and CI, not Lambda.
EXCLUDED_DIRS = frozenset({"devserver", "local", "tests", "test", "sample", "bench"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
REQUIREMENTS = "requirements-lambda.txt"
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


class MissingDependencies(pulumi.RunError):
    """build/deps is absent or built for something else: deploying would ship a broken function.

    A ``RunError``, so the CLI prints the message (what to run) without a traceback.
    """


@dataclass(frozen=True)
class BuildInfo:
    """What ``scripts/build_lambda.py`` built; written next to the deps so a deploy can check it."""

    architecture: str
    python_version: str
    requirements_sha256: str

    @property
    def platform(self) -> str:
        return PLATFORMS[self.architecture]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> BuildInfo:
        return cls(**json.loads(text))


def build_info_path(deps_dir: Path) -> Path:
    """Beside the tree, not in it: the file must not become part of the archive."""
    return deps_dir.with_name(deps_dir.name + ".json")


def requirements_digest(root: Path) -> str:
    return hashlib.sha256((root / REQUIREMENTS).read_bytes()).hexdigest()


def _wanted(relative: Path) -> bool:
    return not (SKIPPED_DIRS & set(relative.parts)) and not relative.name.endswith(SKIPPED_SUFFIXES)


def source_files(root: Path, packages: Iterable[str] = SOURCE_PACKAGES) -> dict[str, Path]:
    """``<package>/**/*.py`` under ``root``, keyed by their path in the archive, minus dev-only code."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            relative = path.relative_to(root)
            if path.is_file() and _wanted(relative) and not EXCLUDED_DIRS & set(relative.parts[1:-1]):
                found[relative.as_posix()] = path
    return found


def dependency_files(deps_dir: Path) -> dict[str, Path]:
    """Every file of the pip ``--target`` tree, at the archive root, minus bytecode."""
    if not deps_dir.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in deps_dir.rglob("*"):
        relative = path.relative_to(deps_dir)
        if path.is_file() and _wanted(relative):
            found[relative.as_posix()] = path
    return found


def archive_files(root: Path, deps_dir: Path) -> dict[str, Path]:
    """Sources and deps in one sorted mapping; a dep that shadows our code is an error."""
    sources, deps = source_files(root), dependency_files(deps_dir)
    clash = sorted(set(sources) & set(deps))
    if clash:
        raise MissingDependencies(f"dependencies would overwrite project files: {clash[:5]}")
    return dict(sorted({**deps, **sources}.items()))


def digest(files: Mapping[str, Path]) -> str:
    """sha256 over sorted (name, size, contents): what Pulumi's archive hash depends on."""
    h = hashlib.sha256()
    for name in sorted(files):
        data = files[name].read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def asset_archive(files: Mapping[str, Path]) -> pulumi.AssetArchive:
    """Paths relative to the working directory (the project dir under the CLI) keep state portable."""
    return pulumi.AssetArchive({name: pulumi.FileAsset(os.path.relpath(path)) for name, path in files.items()})


def check_dependencies(root: Path, deps_dir: Path, architecture: str, python_version: str) -> None:
    """Fail the deployment, loudly, rather than ship functions without their dependencies."""
    fix = f"run `make build-lambda` (or `python scripts/build_lambda.py --arch {architecture}`) first"
    info_path = build_info_path(deps_dir)
    if not dependency_files(deps_dir) or not info_path.is_file():
        raise MissingDependencies(f"{deps_dir} is missing or empty: {fix}")
    info = BuildInfo.from_json(info_path.read_text())
    expected = BuildInfo(architecture, python_version, requirements_digest(root))
    if info != expected:
        raise MissingDependencies(f"{deps_dir} was built for {info}, this stack needs {expected}: {fix}")
