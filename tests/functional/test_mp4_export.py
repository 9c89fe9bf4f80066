"""POST /clips/{clip_id}/mp4 end to end on real generated video, over local files and S3 (moto on loopback).

The export runs in the in-process dispatcher (a background thread running the same worker code
as the Lambda); tests wait for it with ``join()``. The MP4 is then read from where its URL points
and decoded by ffmpeg, independently of the export's own checks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handlers import clip_by_id, clip_manifest, clip_mp4
from handlers.export import content_disposition, top_level_boxes
from handlers.export.jobs import Mp4Job, ThreadDispatcher, run_job
from handlers.storage.base import StorageError
from tests.export.media import decoded_spans, raw_frame
from tests.support.api import PUBLIC_BASE_URL, ApiResult, call, settings_for
from tests.support.media import RecordingInfo

pytestmark = pytest.mark.slow

START, END = 7.4, 13.6  # relative seconds: mid-part, off every keyframe, across a 1 s part edge
TOP = "180p15"  # the recording's highest-bandwidth variant


def seed_real(storage: Any, rec: RecordingInfo) -> None:
    """Every file of the generated recording, under the same keys, into ``storage``."""
    for path in sorted(rec.path.rglob("*")):
        if path.is_file():
            storage.put(path.relative_to(rec.root).as_posix(), path.read_bytes(), "application/octet-stream")


class FaultyReads:
    """``inner`` whose ranged and whole reads of segment files fail while ``broken`` is set."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.broken = True
        self.bucket = getattr(inner, "bucket", None)
        self.root = getattr(inner, "root", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def get(self, key: str) -> bytes:
        if self.broken and key.endswith(".ts"):
            raise StorageError(f"injected read fault on {key}")
        return self.inner.get(key)

    def get_range(self, key: str, start: int, length: int) -> bytes:
        if self.broken and key.endswith(".ts"):
            raise StorageError(f"injected read fault on {key}")
        return self.inner.get_range(key, start, length)


@dataclass
class Mp4Api:
    storage: Any
    worker_storage: Any = None
    settings: Any = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.settings = settings_for(self.storage, **self.overrides)
        worker = self.worker_storage or self.storage
        self.dispatcher = ThreadDispatcher(lambda job: run_job(job, self.settings, worker))
        self.create_handler = clip_manifest.make_handler(self.settings, self.storage)
        self.by_id = clip_by_id.make_handler(self.settings, self.storage)
        self.mp4_handler = clip_mp4.make_handler(self.settings, self.storage, dispatcher=self.dispatcher)

    def clip(self, rec: RecordingInfo, **body: Any) -> dict[str, Any]:
        payload = {"master_url": rec.master_key, "start_time": START, "end_time": END, **body}
        result = call(self.create_handler, "POST", "/clipmanifest", payload)
        assert result.status == 201, result.body
        return result.body

    def export(self, clip_id: str, body: Any = None, **kwargs: Any) -> ApiResult:
        return call(self.mp4_handler, "POST", f"/clips/{clip_id}/mp4", body, **kwargs)

    def get(self, clip_id: str) -> dict[str, Any]:
        result = call(self.by_id, "GET", f"/clips/{clip_id}")
        assert result.status == 200, result.body
        return result.body

    def fetch_url(self, url: str, into: Path) -> Path:
        """The object a public URL names, written to ``into`` (what the CDN would serve)."""
        assert url.startswith(PUBLIC_BASE_URL + "/")
        into.write_bytes(self.storage.get(url.removeprefix(PUBLIC_BASE_URL + "/")))
        return into


@pytest.fixture
def api(any_storage: Any, real_recording: RecordingInfo) -> Mp4Api:
    seed_real(any_storage, real_recording)
    return Mp4Api(any_storage)


def exported(api: Mp4Api, clip_id: str, body: Any = None) -> dict[str, Any]:
    result = api.export(clip_id, body)
    assert result.status == 202, result.body
    assert result.body["mp4"]["status"] == "pending"
    api.dispatcher.join()
    return api.get(clip_id)


@pytest.mark.parametrize("byte_range", [False, True], ids=["plain", "byte-range"])
def test_the_mp4_holds_exactly_the_requested_window(
    api: Mp4Api, real_recording: RecordingInfo, byte_range: bool, tmp_path: Path
) -> None:
    clip = api.clip(real_recording, byte_range=byte_range, title="Goal: ünïcode")
    accepted = api.export(clip["clip_id"])
    assert accepted.status == 202, accepted.body
    assert accepted.body["mp4"] == {
        "status": "pending",
        "key": None,
        "url": None,
        "rendition": TOP,
        "duration": None,
        "size": None,
        "error": None,
    }
    api.dispatcher.join()
    mp4 = api.get(clip["clip_id"])["mp4"]
    assert mp4["status"] == "ready", mp4
    assert mp4["url"] == f"{PUBLIC_BASE_URL}/clips/{clip['clip_id']}.mp4"
    assert mp4["rendition"] == TOP and mp4["error"] is None
    path = api.fetch_url(mp4["url"], tmp_path / "clip.mp4")
    assert mp4["size"] == path.stat().st_size
    fps = 15
    video = decoded_spans(path)["video"]
    assert abs(video.frames - (END - START) * fps) <= 1
    assert mp4["duration"] == pytest.approx(END - START, abs=1 / fps)
    source = real_recording.rendition(TOP).playlist_path
    first = raw_frame(path, 0)
    assert first == raw_frame(source, round(START * fps))
    assert first != raw_frame(source, round(START * fps) - 1)  # the comparison can tell frames apart
    boxes = [b.type for b in top_level_boxes(path)]
    assert boxes.index("moov") < boxes.index("mdat")  # fast start


def test_the_object_has_the_mp4_type_and_the_titles_disposition(api: Mp4Api, real_recording: RecordingInfo) -> None:
    clip = api.clip(real_recording, title="Goal: ünïcode")
    exported(api, clip["clip_id"])
    key = f"clips/{clip['clip_id']}.mp4"
    expected = content_disposition("Goal: ünïcode", clip["clip_id"])
    assert "filename*=UTF-8''" in expected
    client = getattr(api.storage, "client", None)
    if client is not None:  # S3: the headers the CDN will serve
        head = client.head_object(Bucket=api.storage.bucket, Key=key)
        assert (head["ContentType"], head["ContentDisposition"]) == ("video/mp4", expected)
    else:
        from handlers.storage.files import stored_disposition

        assert stored_disposition(api.storage.root / key) == expected
        listed = [o.key for o in api.storage.list("clips/").objects]
        assert key in listed and not any(".~storage-" in k for k in listed)  # the sidecar is hidden


def test_a_ready_export_is_answered_200_and_another_rendition_replaces_it(
    api: Mp4Api, real_recording: RecordingInfo, tmp_path: Path
) -> None:
    clip_id = api.clip(real_recording)["clip_id"]
    first = exported(api, clip_id)["mp4"]
    again = api.export(clip_id, {"rendition": TOP})
    assert again.status == 200 and again.body["mp4"] == first
    other = exported(api, clip_id, {"rendition": "90p15"})["mp4"]
    assert (other["status"], other["rendition"]) == ("ready", "90p15")
    path = api.fetch_url(other["url"], tmp_path / "small.mp4")
    assert len(raw_frame(path, 0)) == 160 * 90 * 3  # the file is the other rendition's now


def test_a_failed_export_is_recorded_and_a_retry_succeeds(
    any_storage: Any, real_recording: RecordingInfo, tmp_path: Path
) -> None:
    seed_real(any_storage, real_recording)
    faulty = FaultyReads(any_storage)
    api = Mp4Api(any_storage, worker_storage=faulty)
    clip_id = api.clip(real_recording)["clip_id"]
    failed = exported(api, clip_id)["mp4"]
    assert failed["status"] == "failed" and failed["url"] is None
    assert "injected read fault" in failed["error"]
    assert f"clips/{clip_id}.mp4" not in [o.key for o in any_storage.list("clips/").objects]  # nothing half-written
    faulty.broken = False
    retried = exported(api, clip_id)["mp4"]
    assert retried["status"] == "ready" and retried["error"] is None
    path = api.fetch_url(retried["url"], tmp_path / "retry.mp4")
    assert abs(decoded_spans(path)["video"].frames - (END - START) * 15) <= 1


def test_deleting_the_clip_removes_its_mp4(api: Mp4Api, real_recording: RecordingInfo) -> None:
    clip_id = api.clip(real_recording)["clip_id"]
    exported(api, clip_id)
    assert call(api.by_id, "DELETE", f"/clips/{clip_id}").status == 204
    assert [o.key for o in api.storage.list("clips/").objects if clip_id in o.key] == []


def test_a_job_for_a_clip_deleted_meanwhile_leaves_nothing(api: Mp4Api, real_recording: RecordingInfo) -> None:
    clip_id = api.clip(real_recording)["clip_id"]
    record = clip_mp4.ClipService(api.settings, api.storage).get(clip_id)
    assert record is not None
    assert call(api.by_id, "DELETE", f"/clips/{clip_id}").status == 204
    result = run_job(Mp4Job(clip_id, TOP, record.created_ms), api.settings, api.storage)
    assert result.outcome == "gone"
    assert [o.key for o in api.storage.list("clips/").objects if clip_id in o.key] == []


# --- refusals (files only: they never reach the export) ---


@pytest.fixture
def file_api(file_storage: Any, real_recording: RecordingInfo) -> Mp4Api:
    seed_real(file_storage, real_recording)
    return Mp4Api(file_storage, overrides={"mp4_max_seconds": 5.0})


def _status(result: ApiResult) -> tuple[int, str, str | None]:
    return result.status, result.body["code"], result.body.get("field")


def test_refusals(file_api: Mp4Api, real_recording: RecordingInfo) -> None:
    short = file_api.clip(real_recording, start_time=8, end_time=12)["clip_id"]
    long = file_api.clip(real_recording, start_time=2, end_time=20)["clip_id"]
    assert _status(file_api.export("0123456789abcdef01234567")) == (404, "not_found", None)
    assert _status(file_api.export("NOT-AN-ID")) == (400, "invalid_parameter", "clip_id")
    assert _status(file_api.export(short, {"rendition": "4k"})) == (400, "invalid_field", "rendition")
    assert _status(file_api.export(short, {"rendition": 7})) == (400, "invalid_field", "rendition")
    assert _status(file_api.export(short, {"quality": "best"})) == (400, "unknown_field", "quality")
    assert _status(file_api.export(long)) == (422, "too_long", None)
    assert _status(file_api.export(short, "{}", headers={"content-type": "text/plain"})) == (
        415,
        "unsupported_media_type",
        None,
    )
    assert file_api.export(short, "", headers={"content-type": "text/plain"}).status == 202  # empty: defaults
    file_api.dispatcher.join()


def test_another_rendition_while_one_is_pending_is_a_conflict(file_api: Mp4Api, real_recording: RecordingInfo) -> None:
    clip_id = file_api.clip(real_recording, start_time=8, end_time=12)["clip_id"]
    release = threading.Event()
    inner = file_api.dispatcher.run
    file_api.dispatcher.run = lambda job: (release.wait(30), inner(job))  # hold the job until we have asked
    assert file_api.export(clip_id).status == 202
    assert _status(file_api.export(clip_id, {"rendition": "90p15"})) == (409, "conflict", "rendition")
    assert file_api.export(clip_id).status == 202  # the same rendition again: a retry, accepted
    release.set()
    file_api.dispatcher.join()
    assert file_api.get(clip_id)["mp4"]["status"] == "ready"


def test_an_expired_clip_is_404(file_storage: Any, real_recording: RecordingInfo) -> None:
    seed_real(file_storage, real_recording)
    api = Mp4Api(file_storage)
    clip = api.clip(real_recording, start_time=8, end_time=12, expires_at="2030-01-01T00:00:00Z")
    api.mp4_handler = clip_mp4.make_handler(
        api.settings, file_storage, clock=lambda: datetime(2031, 1, 1, tzinfo=UTC), dispatcher=api.dispatcher
    )
    assert _status(api.export(clip["clip_id"])) == (404, "not_found", None)
