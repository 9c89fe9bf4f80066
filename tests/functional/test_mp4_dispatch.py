"""How an MP4 export is started and run: the Lambda async invoke, the worker's entry point, the local stack."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from devserver.app import DevApp
from devserver.media import FileMediaSource, served_prefixes
from devserver.routes import ROUTES, load_routes
from handlers import clip_mp4, mp4_worker
from handlers.config import ConfigError, load_settings
from handlers.export import content_disposition
from handlers.export.jobs import (
    DispatchError,
    LambdaDispatcher,
    Mp4Job,
    ThreadDispatcher,
    dispatcher_for,
    timeout_for,
)
from tests.devserver.support import quiet_log, serving
from tests.functional.test_mp4_export import END, START, TOP, Mp4Api, seed_real
from tests.support.api import LambdaContext, call, decode, http_event, settings_for
from tests.support.media import RecordingInfo

FUNCTION = "ivs-clip-manifest-mp4export-0a1b2c3"
JOB = Mp4Job("0123456789abcdef01234567", "720p30", 1_700_000_000_000)


def lambda_client() -> Any:
    return boto3.session.Session().client(
        "lambda", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def test_the_lambda_dispatcher_sends_one_async_invoke_with_the_job() -> None:
    client = lambda_client()
    payload = json.dumps(JOB.to_json(), separators=(",", ":")).encode()
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {"FunctionName": FUNCTION, "InvocationType": "Event", "Payload": payload},
        )
        LambdaDispatcher(FUNCTION, client).submit(JOB)
        stub.assert_no_pending_responses()
    assert Mp4Job.from_json(json.loads(payload)) == JOB


def test_a_failed_invoke_is_a_dispatch_error() -> None:
    client = lambda_client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
        with pytest.raises(DispatchError, match="TooManyRequests"):
            LambdaDispatcher(FUNCTION, client).submit(JOB)


def test_a_failed_invoke_is_a_503_and_the_document_says_not_started(
    file_storage: Any, real_recording: RecordingInfo
) -> None:
    seed_real(file_storage, real_recording)
    api = Mp4Api(file_storage)
    clip_id = api.clip(real_recording, start_time=8, end_time=12)["clip_id"]
    client = lambda_client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke", "ServiceException", http_status_code=500)
        handler = clip_mp4.make_handler(api.settings, file_storage, dispatcher=LambdaDispatcher(FUNCTION, client))
        result = call(handler, "POST", f"/clips/{clip_id}/mp4")
    assert (result.status, result.body["code"]) == (503, "export_unavailable")
    mp4 = api.get(clip_id)["mp4"]
    assert mp4["status"] == "failed" and "not started" in mp4["error"]
    assert api.export(clip_id).status == 202  # and a retry goes through
    api.dispatcher.join()
    assert api.get(clip_id)["mp4"]["status"] == "ready"


def test_the_setting_chooses_the_dispatcher(file_storage: Any) -> None:
    local = settings_for(file_storage)
    assert isinstance(dispatcher_for(local, file_storage), ThreadDispatcher)
    deployed = settings_for(file_storage, mp4_function_name=FUNCTION)
    chosen = dispatcher_for(deployed, file_storage)
    assert isinstance(chosen, LambdaDispatcher) and chosen.function_name == FUNCTION


def test_settings_read_the_mp4_variables() -> None:
    base = {"STORAGE_URL": "s3://bucket-a", "PUBLIC_BASE_URL": "https://cdn.example.com"}
    defaults = load_settings(base)
    assert (defaults.mp4_max_seconds, defaults.mp4_function_name) == (3600.0, None)
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}"
    chosen = load_settings({**base, "MP4_MAX_SECONDS": "600", "MP4_FUNCTION_NAME": arn})
    assert (chosen.mp4_max_seconds, chosen.mp4_function_name) == (600.0, arn)
    for name, bad in [("MP4_MAX_SECONDS", "-1"), ("MP4_FUNCTION_NAME", "no spaces allowed")]:
        with pytest.raises(ConfigError, match=name):
            load_settings({**base, name: bad})


@pytest.mark.parametrize(
    "payload",
    [{}, {"clip_id": "../x", "rendition": "a", "created_ms": 1}, {**JOB.to_json(), "rendition": "a/../b"}, []],
)
def test_the_worker_drops_malformed_events(payload: Any) -> None:
    assert mp4_worker.handler(payload, LambdaContext())["outcome"] == "dropped"


def test_ffmpeg_time_limit_leaves_room_before_the_lambda_deadline() -> None:
    assert timeout_for(300_000) == 280.0
    assert timeout_for(None) == 300.0
    assert timeout_for(1_000) == 5.0


@pytest.mark.slow
def test_the_worker_entry_point_runs_a_job_from_its_event(
    file_storage: Any, real_recording: RecordingInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the Lambda does with the invoke's payload: the same export, settings from the environment."""
    seed_real(file_storage, real_recording)
    api = Mp4Api(file_storage)
    clip_id = api.clip(real_recording)["clip_id"]
    sent: list[Mp4Job] = []
    handler = clip_mp4.make_handler(api.settings, file_storage, dispatcher=type("D", (), {"submit": sent.append})())
    assert call(handler, "POST", f"/clips/{clip_id}/mp4").status == 202
    monkeypatch.setenv("STORAGE_URL", f"file://{file_storage.root}")
    monkeypatch.setenv("PUBLIC_BASE_URL", api.settings.public_base_url)
    monkeypatch.setattr(mp4_worker, "_ready", [])
    summary = mp4_worker.handler(json.loads(json.dumps(sent[0].to_json())), LambdaContext())
    assert summary == {"outcome": "ready", "clip_id": clip_id, "rendition": TOP, "error": None}
    mp4 = api.get(clip_id)["mp4"]
    assert mp4["status"] == "ready" and mp4["duration"] == pytest.approx(END - START, abs=1 / 15)
    assert mp4_worker.handler(sent[0].to_json(), LambdaContext())["outcome"] == "superseded"  # a duplicate event


@pytest.mark.slow
def test_the_local_stack_routes_the_export_and_serves_the_mp4_with_its_disposition(
    file_storage: Any, real_recording: RecordingInfo
) -> None:
    assert ROUTES["POST /clips/{clip_id}/mp4"] == "handlers.clip_mp4"
    seed_real(file_storage, real_recording)
    api = Mp4Api(file_storage)
    clip_id = api.clip(real_recording, title="Das Tor")["clip_id"]
    table = load_routes(api.settings, file_storage)
    match = table.match("POST", f"/clips/{clip_id}/mp4")
    assert match is not None
    event = {**http_event("POST", f"/clips/{clip_id}/mp4"), "pathParameters": match.path_parameters}
    assert decode(match.route.handler(event, LambdaContext())).status == 202
    for _ in range(600):  # the route's own background thread (no handle to join): poll the document
        if api.get(clip_id)["mp4"]["status"] != "pending":
            break
        time.sleep(0.1)
    assert api.get(clip_id)["mp4"]["status"] == "ready"
    app = DevApp(
        routes=table,
        media=FileMediaSource(file_storage.root),
        media_prefixes=served_prefixes("ivs/", "clips/"),
        access_log=quiet_log(),
    )
    with serving(app) as served:
        reply = served.fetch(f"/media/clips/{clip_id}.mp4")
        hidden = served.fetch(f"/media/clips/.~storage-meta-{clip_id}.mp4.json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "video/mp4"
    assert reply.headers["content-disposition"] == content_disposition("Das Tor", clip_id)
    assert reply.body == file_storage.get(f"clips/{clip_id}.mp4") and reply.body[4:8] == b"ftyp"
    assert hidden.status == 403  # the sidecar is never served
    assert io.BytesIO(reply.body).getbuffer().nbytes == api.get(clip_id)["mp4"]["size"]
