"""The shared code archive: sources and deps, no bytecode, and a hash that only content can change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infra import functions
from infra.archive import (
    BuildInfo,
    MissingDependencies,
    archive_files,
    build_info_path,
    check_dependencies,
    digest,
    requirements_digest,
)
from infra.config import Settings
from tests.infra import harness as h


def archive_names(stack: h.Recorded) -> set[str]:
    return set(stack.of_type(h.FUNCTION)[0].inputs["code"].assets)


def project_sources() -> set[str]:
    """Whatever .py files handlers/ and clipping/ hold right now (they grow while others work)."""
    return {
        p.relative_to(h.ROOT).as_posix()
        for package in ("handlers", "clipping")
        for p in (h.ROOT / package).rglob("*.py")
        if "__pycache__" not in p.parts
    }


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small project: two packages, a deps tree, a requirements file."""
    for rel, text in {
        "handlers/__init__.py": "",
        "handlers/clip_manifest.py": "def handler(event, context): ...\n",
        "clipping/engine.py": "X = 1\n",
        "build/deps/m3u8/__init__.py": "VERSION = '6.0.0'\n",
        "requirements-lambda.txt": "m3u8==6.0.0\n",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def tree_digest(root: Path) -> str:
    return digest(archive_files(root, root / "build" / "deps"))


def test_archive_holds_every_handler_and_engine_source(stack: h.Recorded) -> None:
    names = archive_names(stack)
    assert project_sources() <= names
    assert {n for n in names if n.startswith(("handlers/", "clipping/"))} == project_sources()


def test_archive_holds_the_dependency_tree_at_its_root(stack: h.Recorded) -> None:
    assert {"m3u8/__init__.py", "m3u8-6.0.0.dist-info/METADATA"} <= archive_names(stack)


def test_archive_holds_no_bytecode(stack: h.Recorded) -> None:
    """The stand-in deps tree has a __pycache__; pytest may have written some under handlers/ too."""
    assert not [n for n in archive_names(stack) if "__pycache__" in n or n.endswith(".pyc")]


def test_archive_holds_nothing_but_sources_and_deps(stack: h.Recorded) -> None:
    tops = {name.split("/")[0] for name in archive_names(stack)}
    assert tops == {"handlers", "clipping", "m3u8", "m3u8-6.0.0.dist-info"}


def test_same_tree_gives_the_same_digest(tree: Path) -> None:
    assert tree_digest(tree) == tree_digest(tree)


def test_touching_files_keeps_the_digest(tree: Path) -> None:
    before = tree_digest(tree)
    for path in tree.rglob("*.py"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
        path.chmod(0o600)
    assert tree_digest(tree) == before


def test_bytecode_caches_keep_the_digest(tree: Path) -> None:
    before = tree_digest(tree)
    for package in ("handlers", "clipping", "build/deps/m3u8"):
        (tree / package / "__pycache__").mkdir()
        (tree / package / "__pycache__" / "x.cpython-311.pyc").write_bytes(os.urandom(16))
    (tree / "handlers" / "stray.pyc").write_bytes(b"\0")
    assert tree_digest(tree) == before


def test_changing_a_source_changes_the_digest(tree: Path) -> None:
    before = tree_digest(tree)
    (tree / "clipping" / "engine.py").write_text("X = 2\n")
    assert tree_digest(tree) != before


def test_adding_a_source_changes_the_digest(tree: Path) -> None:
    before = tree_digest(tree)
    (tree / "handlers" / "get_clips.py").write_text("")
    assert tree_digest(tree) != before


def test_non_python_files_next_to_the_sources_stay_out(tree: Path) -> None:
    (tree / "handlers" / "notes.md").write_text("local notes")
    assert "handlers/notes.md" not in archive_files(tree, tree / "build" / "deps")


def test_a_dependency_may_not_shadow_project_code(tree: Path) -> None:
    (tree / "build" / "deps" / "handlers").mkdir()
    (tree / "build" / "deps" / "handlers" / "__init__.py").write_text("")
    with pytest.raises(MissingDependencies, match="overwrite"):
        archive_files(tree, tree / "build" / "deps")


def write_build_info(tree: Path, architecture: str = "arm64", python_version: str = "3.12") -> None:
    info = BuildInfo(architecture, python_version, requirements_digest(tree))
    build_info_path(tree / "build" / "deps").write_text(info.to_json())


def test_deploy_check_accepts_deps_built_for_the_stack(tree: Path) -> None:
    write_build_info(tree)
    check_dependencies(tree, tree / "build" / "deps", "arm64", "3.12")


def test_deploy_check_fails_loudly_without_deps(tree: Path) -> None:
    with pytest.raises(MissingDependencies, match="make build-lambda"):
        check_dependencies(tree, tree / "missing", "arm64", "3.12")


@pytest.mark.parametrize(("architecture", "python_version"), [("x86_64", "3.12"), ("arm64", "3.13")])
def test_deploy_check_fails_for_deps_built_for_another_target(
    tree: Path, architecture: str, python_version: str
) -> None:
    write_build_info(tree, architecture, python_version)
    with pytest.raises(MissingDependencies, match="built for"):
        check_dependencies(tree, tree / "build" / "deps", "arm64", "3.12")


def test_deploy_check_fails_when_requirements_changed_since_the_build(tree: Path) -> None:
    write_build_info(tree)
    (tree / "requirements-lambda.txt").write_text("m3u8==6.0.1\n")
    with pytest.raises(MissingDependencies):
        check_dependencies(tree, tree / "build" / "deps", "arm64", "3.12")


def test_a_real_run_refuses_to_package_without_deps(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(functions, "_under_mocks", lambda: False)
    with pytest.raises(MissingDependencies):
        functions.lambda_code(tree, Settings(lambda_deps_dir="build/nothing-here"))


@pytest.mark.parametrize(("arch", "platform"), [("arm64", "manylinux2014_aarch64"), ("x86_64", "manylinux2014_x86_64")])
def test_build_script_installs_binary_wheels_for_lambda_without_bytecode(arch: str, platform: str) -> None:
    script = h.load_build_script()
    args = script.parse_args(["--arch", arch])
    command = script.pip_command(args.target, BuildInfo(arch, "3.12", "x").platform, "3.12")
    joined = " ".join(command)
    for flag in ("--no-compile", "--only-binary=:all:", f"--platform {platform}", "--python-version 3.12"):
        assert flag in joined
    assert command[-1].endswith("requirements-lambda.txt")
