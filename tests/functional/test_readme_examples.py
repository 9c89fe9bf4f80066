"""Every copy-paste ``curl`` line of the README works against a freshly started local server.

The README is the first thing a newcomer runs; a renamed field or route would otherwise break it
silently. Each ```sh line starting with ``curl `` is run as written (port swapped for the test's)
and must answer 2xx with a JSON body.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import local_stack

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
DOC_BASE = "http://127.0.0.1:8000"
_DOC_BASES = (DOC_BASE, "http://localhost:8000")
_SH_BLOCK = re.compile(r"^```(?:sh|bash|shell|console)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_STATUS_MARK = "\n__HTTP_STATUS__"
_SHELL_OPERATORS = frozenset({"|", "||", "&&", ";", ">", ">>", "<", "&"})


def readme_curl_lines(text: str) -> list[str]:
    """The one-line ``curl`` commands inside the README's shell code blocks, in order."""
    lines: list[str] = []
    for block in _SH_BLOCK.findall(text):
        for raw in block.splitlines():
            line = raw.strip().removeprefix("$ ")
            if line.startswith("curl "):
                lines.append(line)
    return lines


def _cases() -> list[Any]:
    if not README.is_file():
        return [pytest.param(None, id="no-readme", marks=pytest.mark.skip(reason="README.md does not exist yet"))]
    lines = readme_curl_lines(README.read_text(encoding="utf-8"))
    if not lines:
        return [pytest.param("", id="no-curl-lines")]
    return [pytest.param(line, id=f"{i}-{_short_id(line)}") for i, line in enumerate(lines, 1)]


def _short_id(line: str) -> str:
    match = re.search(r"https?://[^/\s'\"]+(/[^\s'\"?]*)", line)
    return match.group(1).strip("/") if match else "curl"


def curl_argv(line: str, base_url: str) -> list[str]:
    """The command's arguments up to any shell operator (``| jq`` is presentation, not the call)."""
    for doc_base in _DOC_BASES:
        line = line.replace(doc_base, base_url)
    lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;<>")
    lexer.whitespace_split = True
    argv: list[str] = []
    for token in lexer:
        if token in _SHELL_OPERATORS:
            break
        argv.append(token)
    return argv


def run_curl(argv: list[str]) -> tuple[int, str]:
    """Run curl as written, plus a trailing status line; ``-i``/``-v`` output is dropped."""
    kept = [a for a in argv[1:] if a not in ("-i", "--include", "-v", "--verbose")]
    command = ["curl", *kept, "--silent", "--show-error", "--write-out", _STATUS_MARK + "%{http_code}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"curl failed ({result.returncode}): {result.stderr}"
    body, _, status = result.stdout.rpartition(_STATUS_MARK)
    return int(status), body


def run_with_urllib(argv: list[str]) -> tuple[int, str]:
    """The same request for machines without curl: -X, -H, -d/--data(-raw) and the URL."""
    method, headers, data, url = None, {}, None, None
    args = iter(argv[1:])
    for arg in args:
        if arg in ("-X", "--request"):
            method = next(args)
        elif arg in ("-H", "--header"):
            name, _, value = next(args).partition(":")
            headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-raw", "--data-binary", "--json"):
            data = next(args).encode()
            if arg == "--json":
                headers.setdefault("Content-Type", "application/json")
        elif not arg.startswith("-"):
            url = arg
    assert url, f"no URL in {argv}"
    if data is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/x-www-form-urlencoded"  # what curl -d sends
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local server started as ``make run`` does, on a free port, over a fresh data directory."""
    with local_stack(tmp_path_factory.mktemp("readme") / "data") as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("line", _cases())
def test_readme_curl_command_answers_2xx_json(line: str, base_url: str) -> None:
    assert line, f"{README.name} has no one-line `curl {DOC_BASE}/...` command in a ```sh block"
    argv = curl_argv(line, base_url)
    status, body = run_curl(argv) if shutil.which("curl") else run_with_urllib(argv)
    assert 200 <= status < 300, f"{line}\n→ {status} {body}"
    json.loads(body)


def test_curl_lines_are_found_only_in_shell_blocks() -> None:
    text = "```sh\ncurl -s http://127.0.0.1:8000/getclips\n$ curl -s http://127.0.0.1:8000/a | jq .\n```\n"
    text += "```python\ncurl = 1\n```\ncurl http://127.0.0.1:8000/outside\n"
    assert readme_curl_lines(text) == [
        "curl -s http://127.0.0.1:8000/getclips",
        "curl -s http://127.0.0.1:8000/a | jq .",
    ]


def test_curl_arguments_get_the_test_port_and_drop_pipes() -> None:
    line = "curl -s -X POST http://127.0.0.1:8000/clipmanifest -d '{\"a\": 1}' | jq ."
    argv = curl_argv(line, "http://127.0.0.1:9999")
    assert argv == ["curl", "-s", "-X", "POST", "http://127.0.0.1:9999/clipmanifest", "-d", '{"a": 1}']
