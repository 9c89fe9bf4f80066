"""Browser tests of the web studio: Playwright driving Debian's Chromium against ``python -m devserver``.

Chromium is looked up at ``/usr/lib/chromium/chromium`` (Debian's package, which plays H.264/AAC through
MSE) or as ``chromium`` on the PATH. Without one the tests are skipped, except under ``CI=true``, where a
missing browser fails them: CI must never pass without having run them. No browser is ever downloaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "sample"
DEBIAN_CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE_CHANNEL = "SampleChan01"
SAMPLE_RECORDING = "SampleRec001"
SAMPLE_PREFIX = f"ivs/v1/111122223333/{SAMPLE_CHANNEL}/2024/5/6/7/8/{SAMPLE_RECORDING}"
# A copy of the sample on another channel, a day later (so listed first) and still "recording"
# (no recording-ended event): the live badge, the channel filter and paging have two recordings.
LIVE_CHANNEL = "SampleChan02"
LIVE_RECORDING = "SampleRec002"
LIVE_PREFIX = f"ivs/v1/111122223333/{LIVE_CHANNEL}/2024/5/7/7/8/{LIVE_RECORDING}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """One xdist group for the browser tests: they share one server and one browser."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.xdist_group("browser"))
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_failed = report.failed  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _server_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """A failing browser test prints the end of the devserver's log (the API's side of the story)."""
    yield
    if getattr(request.node, "browser_failed", False) and "stack" in request.fixturenames:
        stack: Stack = request.getfixturevalue("stack")
        print(f"--- devserver log ({stack.log}), last 60 lines ---", file=sys.stderr)
        print("\n".join(stack.logs().splitlines()[-60:]), file=sys.stderr)


def find_chromium(debian: str = DEBIAN_CHROMIUM) -> str | None:
    if os.access(debian, os.X_OK):
        return debian
    return shutil.which("chromium")


def require_chromium(path: str | None, environ: Mapping[str, str]) -> str:
    """The browser to use; without one, skip, or fail under ``CI=true`` (CI must run these tests)."""
    if path is None:
        reason = f"no Chromium: install Debian's package (apt-get install -y chromium) for {DEBIAN_CHROMIUM}"
        if environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}; the browser tests must run in CI", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_chromium(find_chromium(), os.environ)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def populate(data: Path) -> None:
    """The bundled sample, plus its live copy on a second channel."""
    for entry in SAMPLE_DIR.iterdir():
        if entry.is_dir():
            shutil.copytree(entry, data / entry.name)
    live = data / LIVE_PREFIX
    shutil.copytree(data / SAMPLE_PREFIX, live)
    (live / "events" / "recording-ended.json").unlink()
    started = live / "events" / "recording-started.json"
    if started.exists():
        started.write_text(
            started.read_text().replace(SAMPLE_CHANNEL, LIVE_CHANNEL).replace(SAMPLE_RECORDING, LIVE_RECORDING)
        )
    for playlist in (live / "media" / "hls").rglob("*.m3u8"):
        playlist.write_text(still_recording(playlist.read_text()).replace(SAMPLE_CHANNEL, LIVE_CHANNEL))


def still_recording(playlist: str) -> str:
    """A playlist as IVS writes it while the broadcast goes on: no ENDLIST, an EVENT playlist."""
    lines = [line for line in playlist.splitlines() if line.strip() != "#EXT-X-ENDLIST"]
    return "\n".join(line.replace("#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-PLAYLIST-TYPE:EVENT") for line in lines) + "\n"


@dataclass
class Stack:
    url: str  # the studio's page, e.g. http://127.0.0.1:PORT
    api: str  # the API's base (the same server)
    data: Path
    process: subprocess.Popen[bytes] | None
    log: Path

    def api_json(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method)
        if body is not None:
            request.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        return status, json.loads(text) if text else {}  # 204 has no body

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """``python -m devserver`` on a free port, over a fresh data directory, for the whole session."""
    if not (REPO_ROOT / "devserver" / "__main__.py").exists():
        pytest.fail("devserver/ (python -m devserver, the local stack serving the studio) is missing", pytrace=False)
    data = tmp_path_factory.mktemp("studio-data")
    populate(data)
    log = tmp_path_factory.mktemp("studio-logs") / "devserver.log"
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("STORAGE_URL", "PUBLIC_BASE_URL", "CORS_ALLOW_ORIGINS"):
        env.pop(name, None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "devserver", "--port", str(port), "--data", str(data)],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/getrecordings", process, log)
        wait_for(f"{url}/studio/config.json", process, log)
        yield Stack(url=url, api=url, data=data, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageWatch:
    """Everything that went wrong on a page: console errors, page errors, failed requests, HTTP errors."""

    def __init__(self, page) -> None:
        self.console_errors: list[tuple[str, str]] = []  # (text, url of the resource or script)
        self.page_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.error_responses: list[tuple[int, str]] = []
        self.aborted: list[str] = []  # cancelled by the page itself, reported, not failures
        page.on(
            "console", lambda m: m.type == "error" and self.console_errors.append((m.text, m.location.get("url", "")))
        )
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: r.status >= 400 and self.error_responses.append((r.status, r.url)))

    def _failed(self, request) -> None:
        # A player cancels requests it no longer needs (seeks, level switches, teardown): Chromium
        # reports those as net::ERR_ABORTED. Every other failure counts.
        failure = request.failure or ""
        if "ERR_ABORTED" in failure and request.resource_type in ("xhr", "fetch", "media"):
            self.aborted.append(f"{request.method} {request.url}")
            return
        self.failed_requests.append(f"{request.method} {request.url}: {failure}")

    def assert_clean(
        self, allowed_statuses: set[tuple[int, str]] = frozenset(), allowed_failures: tuple[str, ...] = ()
    ) -> None:
        """No errors, except answers the test provoked: (status, URL part) pairs, and failed requests
        to URLs containing one of ``allowed_failures`` (with Chromium's console line for each)."""

        def provoked(text: str, url: str) -> bool:
            status_line = any(f"status of {s} " in text and p in url for s, p in allowed_statuses)
            return status_line or (
                text.startswith("Failed to load resource") and any(p in url for p in allowed_failures)
            )

        unexpected = [r for r in self.error_responses if not any(r[0] == s and p in r[1] for s, p in allowed_statuses)]
        console = [f"{text} @ {url}" for text, url in self.console_errors if not provoked(text, url)]
        failed = [f for f in self.failed_requests if not any(p in f for p in allowed_failures)]
        assert not self.page_errors, self.page_errors
        assert not console, console
        assert not failed, failed
        assert not unexpected, unexpected


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.watch = PageWatch(page)
    return page
