"""The archive Lambda runs: built for real (pip, this platform), it imports, and its botocore can do
S3 conditional writes; and it never carries the local dev server, tests, samples or bytecode."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.archive import archive_files
from tests.infra import harness as h

HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
FORBIDDEN_TOPS = {"devserver", "sample", "tests", "bench", "scripts", "studio", "infra"}


def assert_nothing_dev_only(names: set[str]) -> None:
    assert not {n.split("/")[0] for n in names} & FORBIDDEN_TOPS
    assert not [n for n in names if n.startswith("handlers/local/")]
    assert not [n for n in names if "/tests/" in f"/{n}" or "/sample/" in f"/{n}"]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]


def test_the_session_archive_holds_no_dev_only_code(stack: h.Recorded) -> None:
    assert_nothing_dev_only(set(stack.of_type(h.FUNCTION)[0].inputs["code"].assets))


def test_dev_only_code_inside_the_source_packages_stays_out(tmp_path: Path) -> None:
    """The local dev server used to live in handlers/local/; tests or samples could land anywhere."""
    for rel in (
        "handlers/__init__.py",
        "handlers/local/server.py",
        "handlers/local/__main__.py",
        "handlers/tests/test_x.py",
        "clipping/engine.py",
        "clipping/sample/make.py",
        "devserver/app.py",
        "sample/ivs/x.py",
        "tests/infra/test_x.py",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    names = set(archive_files(tmp_path, tmp_path / "build" / "deps"))
    assert names == {"handlers/__init__.py", "clipping/engine.py"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scripts/build_lambda.py`` for this machine's platform and Python, then the archive's files
    laid out as Lambda unpacks them (to /var/task)."""
    work = tmp_path_factory.mktemp("lambda")
    deps = work / "deps"
    arch = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[__import__("platform").machine()]
    script = h.ROOT / "scripts" / "build_lambda.py"
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "--arch",
            arch,
            "--python-version",
            HOST_PYTHON,
            "--target",
            str(deps),
            "--no-export",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    task = work / "task"
    for name, path in archive_files(h.ROOT, deps).items():
        (task / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, task / name)
    return task


def run_in_task(task: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Isolated (-I) and without site-packages (-S): only the stdlib and the archive, like Lambda's
    /var/task, so nothing from this virtualenv can stand in for a missing package."""
    prelude = f"import sys; sys.path.insert(0, {str(task)!r});\n"
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", prelude + code], capture_output=True, text=True, timeout=120, cwd=task
    )


def test_the_archive_bundles_the_pinned_boto3_and_botocore(built: Path) -> None:
    pins = dict(
        line.split("==")
        for line in (h.ROOT / "requirements-lambda.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    app_pins = dict(line.split("==") for line in (h.ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    assert pins["boto3"] == app_pins["boto3"]
    result = run_in_task(
        built,
        "import json, boto3, botocore, m3u8\n"
        "print(json.dumps({'boto3': boto3.__version__, 'botocore': botocore.__version__,"
        " 'from': botocore.__file__}))",
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert (found["boto3"], found["botocore"]) == (pins["boto3"], pins["botocore"])
    assert found["from"].startswith(str(built))


CONDITIONAL_PUT = """
import boto3
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber

s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
params = {"Bucket": "b", "Key": "clips/x.m3u8", "Body": b"#EXTM3U", "IfNoneMatch": "*"}
with Stubber(s3) as stub:
    stub.add_response("put_object", {"ETag": '"e"'}, params)
    s3.put_object(**params)  # validated against the bundled service model
    stub.assert_no_pending_responses()
try:
    s3.put_object(Bucket="b", Key="k", Body=b"", IfNoneMatchTypo="*")
except ParamValidationError as error:
    print("refused:", "IfNoneMatchTypo" in str(error))
"""


def test_the_bundled_botocore_accepts_conditional_writes(built: Path) -> None:
    """PutObject with IfNoneMatch (botocore >= 1.35); a runtime SDK without it says "Unknown parameter".

    The stubbed call runs botocore's parameter validation on the bundled model; the misspelt
    parameter shows that validation is on.
    """
    result = run_in_task(built, CONDITIONAL_PUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused: True"


def test_the_handler_modules_import_from_the_archive(built: Path) -> None:
    """What Lambda does on a cold start: import ``module`` of each ``module.function`` handler."""
    from infra.routes import ROUTES

    modules = sorted({route.handler.rsplit(".", 1)[0] for route in ROUTES})
    code = "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    result = run_in_task(built, code)
    assert result.returncode == 0, result.stderr


def test_the_built_tree_has_no_console_scripts_naming_the_builders_python(built: Path) -> None:
    assert not (built / "bin").exists()
    for record in built.glob("*.dist-info/RECORD"):
        assert "../../bin/" not in record.read_text(), record


def test_console_scripts_are_stripped_with_their_record_lines(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "jp.py").write_text(f"#!{sys.executable}\n")
    (tmp_path / "jmespath-1.1.0.dist-info").mkdir()
    record = tmp_path / "jmespath-1.1.0.dist-info" / "RECORD"
    record.write_text("jmespath/__init__.py,sha256=a,1\n../../bin/jp.py,sha256=b,2\n")
    h.load_build_script().strip_scripts(tmp_path)
    assert not (tmp_path / "bin").exists()
    assert record.read_text() == "jmespath/__init__.py,sha256=a,1\n"
