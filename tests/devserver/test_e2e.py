"""``python -m devserver`` end to end: a real subprocess, the sample recording, real decoding.

What a newcomer does after ``make run`` (list, clip, play) is done here over HTTP, and the clip is
decoded by ffmpeg, so a broken translation, media route or playlist shows up as a failure here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from devserver.sample import SAMPLE_DIR, find_master_key

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
WINDOW = (5, 25)
_BYTERANGE = re.compile(r"#EXT-X-BYTERANGE:(\d+)(?:@(\d+))?")
_URI_ATTR = re.compile(r'URI="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalServer:
    """One ``python -m devserver`` subprocess and what it printed."""

    process: subprocess.Popen[str]
    port: int
    data_dir: Path
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    pumps: list[threading.Thread] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)

    def stop(self, timeout: float = 10.0) -> int:
        """Ctrl-C, as a developer would."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            for pump in self.pumps:  # the output is complete once the pipes are drained
                pump.join(timeout)


def start_server(data_dir: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None) -> LocalServer:
    """Start the server and return once it printed its ready line."""
    port = free_port() if port is None else port
    command = [sys.executable, "-m", "devserver", "--port", str(port), "--data", str(data_dir), *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    for name in ("STORAGE_URL", "PUBLIC_BASE_URL", "CLIPS_PREFIX", "RECORDINGS_PREFIX", "CORS_ALLOW_ORIGINS"):
        env.pop(name, None)
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = LocalServer(process, port, data_dir)
    ready = threading.Event()

    def pump(stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)
            if line.startswith("Ready"):
                ready.set()

    assert process.stdout is not None and process.stderr is not None
    for stream, sink in ((process.stdout, server.stdout), (process.stderr, server.stderr)):
        server.pumps.append(threading.Thread(target=pump, args=(stream, sink), daemon=True))
        server.pumps[-1].start()
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.wait(0.05):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"the local server did not start:\n{server.output()}")
    return server


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(url: str, *, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    data = None if body is None else json.dumps(body).encode()
    request_headers = {"content-type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, method=method, headers={**request_headers, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def make_clip(server: LocalServer, *, byte_range: bool) -> dict[str, Any]:
    master = find_master_key(server.data_dir)
    assert master, "the sample recording was not copied into the data directory"
    reply = fetch(
        f"{server.base_url}/clipmanifest",
        method="POST",
        body={"master_url": master, "start_time": WINDOW[0], "end_time": WINDOW[1], "byte_range": byte_range},
    )
    assert reply.status in (200, 201), reply.body
    return reply.json()


@dataclass(frozen=True)
class Segment:
    url: str
    byte_range: tuple[int, int] | None  # (offset, length)


def playlist_refs(url: str, text: str) -> tuple[list[str], list[Segment]]:
    """The child playlists and the segments (with their byte ranges) a playlist names, as URLs."""
    children: list[str] = []
    segments: list[Segment] = []
    pending: tuple[int, int | None] | None = None
    next_offset: dict[str, int] = {}
    is_master = "#EXT-X-STREAM-INF" in text or "#EXT-X-MEDIA:" in text
    for line in (raw.strip() for raw in text.splitlines()):
        if line.startswith("#EXT-X-MEDIA:") and (attr := _URI_ATTR.search(line)):
            children.append(urljoin(url, attr.group(1)))
        elif match := _BYTERANGE.match(line):
            pending = (int(match.group(1)), int(match.group(2)) if match.group(2) else None)
        elif line and not line.startswith("#"):
            target = urljoin(url, line)
            if is_master:
                children.append(target)
                continue
            span = None
            if pending is not None:
                length, offset = pending
                offset = next_offset.get(target, 0) if offset is None else offset
                next_offset[target] = offset + length
                span = (offset, length)
            segments.append(Segment(target, span))
            pending = None
    return children, segments


def walk_clip(clip_url: str) -> list[Segment]:
    """Fetch the clip's master and media playlists through /media; returns every segment."""
    master = fetch(clip_url)
    assert master.status == 200
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    children, _ = playlist_refs(clip_url, master.body.decode())
    assert children, master.body.decode()
    segments: list[Segment] = []
    for child in children:
        reply = fetch(child)
        assert reply.status == 200, child
        segments += playlist_refs(child, reply.body.decode())[1]
    assert segments
    return segments


def decoded_seconds(playlist: Path) -> float:
    """Seconds of video the real ffmpeg HLS demuxer and decoder get out of the clip."""
    from tests.support.media import decode_hls

    decoded = decode_hls(playlist)
    assert decoded.ok, (decoded.errors, decoded.warnings)
    assert decoded.max_video_gap < 0.1, decoded.max_video_gap
    return decoded.duration


def clip_file(server: LocalServer, clip: dict[str, Any]) -> Path:
    """The clip master's path in the data directory (FileStorage: key K is ``<data>/K``)."""
    key = clip.get("key") or clip["clip_url"].split("/media/", 1)[1]
    return server.data_dir / key


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    if not SAMPLE_DIR.is_dir():
        pytest.skip("the bundled sample recording (sample/) is not in the repository yet")
    running = start_server(tmp_path_factory.mktemp("local") / "data")
    try:
        yield running
    finally:
        running.stop()


def test_first_start_copies_the_sample_recording(server: LocalServer) -> None:
    assert find_master_key(server.data_dir) is not None
    assert not (server.data_dir / "README.md").exists()


def test_banner_prints_the_three_curl_commands_and_how_to_play(server: LocalServer) -> None:
    text = "".join(server.stdout)
    curls = [line.strip() for line in text.splitlines() if line.strip().startswith("curl ")]
    assert len(curls) == 3
    assert f"{server.base_url}/getrecordings" in curls[0]
    assert f"{server.base_url}/clipmanifest" in curls[1]
    assert str(find_master_key(server.data_dir)) in curls[1]
    assert f"{server.base_url}/getclips" in curls[2]
    assert "clip_url" in text and "ffplay" in text


def test_recordings_list_the_sample(server: LocalServer) -> None:
    reply = fetch(f"{server.base_url}/getrecordings")
    assert reply.status == 200
    master = find_master_key(server.data_dir)
    assert master is not None
    recording_id = master.split("/media/hls/")[0].rsplit("/", 1)[1]
    assert recording_id in reply.body.decode()


@pytest.mark.parametrize("byte_range", [False, True], ids=["segments", "byte-range"])
def test_clip_plays_through_media_and_decodes_to_its_duration(server: LocalServer, byte_range: bool) -> None:
    clip = make_clip(server, byte_range=byte_range)
    assert clip["clip_url"].startswith(f"{server.base_url}/media/")
    segments = walk_clip(clip["clip_url"])
    assert all(seg.url.startswith(f"{server.base_url}/media/") for seg in segments)
    assert all((seg.byte_range is not None) == byte_range for seg in segments)
    for seg in {s.url: s for s in segments}.values():
        assert fetch(seg.url, method="HEAD").status == 200, seg.url
    decoded = decoded_seconds(clip_file(server, clip))
    assert decoded == pytest.approx(float(clip["duration"]), abs=0.05)  # within a frame or so (30 fps)


@pytest.mark.parametrize("byte_range", [False, True], ids=["segments", "byte-range"])
def test_clip_decodes_over_http_as_a_player_fetches_it(server: LocalServer, byte_range: bool) -> None:
    """ffplay with the printed clip_url: the demuxer reads every playlist and segment via /media."""
    from tests.support.media import decode_hls

    clip = make_clip(server, byte_range=byte_range)
    decoded = decode_hls(clip["clip_url"])
    assert decoded.ok, decoded.errors or decoded.warnings
    assert all(url.startswith(f"{server.base_url}/media/") for url in decoded.opened)
    assert decoded.duration == pytest.approx(float(clip["duration"]), abs=0.05)
    assert decoded.max_video_gap < 0.1


def test_byte_range_segment_is_served_as_the_playlist_says(server: LocalServer) -> None:
    clip = make_clip(server, byte_range=True)
    segment = walk_clip(clip["clip_url"])[1]
    assert segment.byte_range is not None
    offset, length = segment.byte_range
    reply = fetch(segment.url, headers={"Range": f"bytes={offset}-{offset + length - 1}"})
    assert reply.status == 206
    assert len(reply.body) == length
    whole = fetch(segment.url).body
    assert reply.body == whole[offset : offset + length]
    assert reply.body[:1] == b"G"  # an MPEG-TS packet starts at the range: the range is a real cut


def test_clips_list_the_new_clip(server: LocalServer) -> None:
    clip = make_clip(server, byte_range=False)
    reply = fetch(f"{server.base_url}/getclips")
    assert reply.status == 200
    assert clip["clip_id"] in reply.body.decode()


def test_taken_port_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "devserver", "--port", str(port), "--data", str(tmp_path), "--no-sample"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert str(port) in result.stderr and "in use" in result.stderr


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    running = start_server(tmp_path / "data", "--no-sample")
    assert running.stop() == 0
    assert "stopped" in "".join(running.stdout)
    assert "Traceback" not in running.output()


def test_restart_keeps_clips(tmp_path: Path) -> None:
    if not SAMPLE_DIR.is_dir():
        pytest.skip("the bundled sample recording (sample/) is not in the repository yet")
    data = tmp_path / "data"
    first = start_server(data)
    try:
        clip = make_clip(first, byte_range=False)
    finally:
        assert first.stop() == 0
    second = start_server(data, port=first.port)
    try:
        listed = fetch(f"{second.base_url}/getclips")
        assert clip["clip_id"] in listed.body.decode()
        assert fetch(clip["clip_url"]).status == 200
    finally:
        second.stop()


def test_bucket_mode_serves_the_api_and_proxies_media(tmp_path: Path, s3_endpoint: Any, s3_storage: Any) -> None:
    from tests.support.recordings import write_fake_recording

    recording = write_fake_recording(
        s3_storage, channel="chanA", recording_id="rec1", started_at=datetime(2025, 6, 30, 22, 1, tzinfo=UTC)
    )
    aws = {
        "AWS_ENDPOINT_URL": s3_endpoint.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    running = start_server(tmp_path / "unused", "--storage", f"s3://{s3_storage.bucket}", env=aws)
    try:
        assert recording.master_key in "".join(running.stdout)  # the banner's clip command
        reply = fetch(
            f"{running.base_url}/clipmanifest",
            method="POST",
            body={"master_url": recording.master_key, "start_time": 5, "end_time": 25, "byte_range": True},
        )
        assert reply.status == 201, reply.body
        segment = walk_clip(reply.json()["clip_url"])[0]
        assert segment.byte_range is not None
        offset, length = segment.byte_range
        ranged = fetch(segment.url, headers={"Range": f"bytes={offset}-{offset + length - 1}"})
        assert (ranged.status, len(ranged.body)) == (206, length)
        assert not (tmp_path / "unused").exists()
    finally:
        assert running.stop() == 0


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    running = start_server(tmp_path / "data", "--no-sample")
    running.process.send_signal(signal.SIGTERM)
    assert running.stop() == 0
    assert "stopped" in "".join(running.stdout)
    assert "Traceback" not in running.output()
