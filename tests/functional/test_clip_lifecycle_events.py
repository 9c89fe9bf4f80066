"""Clip events reach a real EventBridge bus (moto on loopback, delivered to SQS); failures never fail a request."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from handlers import clip_manifest
from handlers.clips.command import parse_command
from handlers.clips.service import ClipService
from handlers.events import EventBridgePublisher, LogPublisher
from tests.support import eventbridge
from tests.support.api import call, settings_for
from tests.support.eventbridge import EventBus, client_on
from tests.support.lifecycle import MASTER, Clock, LifecycleApi, seed_media
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Endpoint

event_bus = eventbridge.event_bus  # the fixture, for this module
BODY = {"master_url": MASTER, "start_time": 10, "end_time": 30}


def test_every_lifecycle_change_is_delivered_with_the_clip_document(any_storage: Any, event_bus: EventBus) -> None:
    seed_media(any_storage)
    publisher = EventBridgePublisher(event_bus.name, event_bus.events)
    api = LifecycleApi(any_storage, events=publisher)  # type: ignore[arg-type]
    service = ClipService(api.settings, any_storage, api.clock, publisher)
    created = service.create(parse_command(BODY, api.settings)).record
    promoted = api.promote(created.clip_id).body
    assert api.delete(created.clip_id).status == 204
    expiring = service.create(parse_command({**BODY, "expires_at": "2030-01-01T00:01:00Z"}, api.settings)).record
    api.clock.advance(60)
    assert api.sweep()["expired"] == [expiring.clip_id]
    delivered = event_bus.received(5)
    assert [e["detail-type"] for e in delivered] == [
        "Clip Created",
        "Clip Promoted",
        "Clip Deleted",
        "Clip Created",
        "Clip Expired",
    ]
    assert {e["source"] for e in delivered} == {"ivs-clip-manifest"}
    assert delivered[1]["detail"] == promoted
    assert delivered[2]["detail"]["clip_id"] == created.clip_id


def test_post_clipmanifest_publishes_clip_created_to_the_configured_bus(
    file_storage: Any, event_bus: EventBus, s3_endpoint: S3Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "AWS_ENDPOINT_URL_EVENTS": s3_endpoint.url,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    seed_media(file_storage)
    settings = settings_for(file_storage, event_bus_name=event_bus.name)
    result = call(clip_manifest.make_handler(settings, file_storage, clock=Clock()), "POST", "/clipmanifest", BODY)
    assert result.status == 201
    [event] = event_bus.received(1)
    assert (event["detail-type"], event["detail"]) == ("Clip Created", result.body)


def test_a_bus_that_refuses_the_event_is_logged_and_the_request_still_succeeds(
    file_storage: Any, s3_endpoint: S3Endpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_media(file_storage)
    publisher = EventBridgePublisher("no-such-bus", client_on(s3_endpoint, "events"))
    api = LifecycleApi(file_storage, events=publisher)  # type: ignore[arg-type]
    clip_id = api.create().body["clip_id"]
    assert api.promote(clip_id).status == 200
    assert api.delete(clip_id).status == 204
    errors = [json.loads(line) for line in capsys.readouterr().err.splitlines() if '"event not published"' in line]
    assert [e["detail_type"] for e in errors] == ["Clip Promoted", "Clip Deleted"]
    assert all(e["clip_id"] == clip_id for e in errors)


class RefusingClient:
    """Answers PutEvents as EventBridge does when it takes the call but not the entry."""

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try later"}]}


def test_failed_entry_count_is_reported_as_not_published(capsys: pytest.CaptureFixture[str]) -> None:
    assert EventBridgePublisher("bus", RefusingClient()).publish("Clip Created", {"clip_id": "ab" * 12}) is False
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "event not published" and "InternalFailure" in line["error"]


def test_an_unreachable_bus_is_logged_not_raised() -> None:
    client = client_on(S3Endpoint(url="http://127.0.0.1:9", _server=None), "events")
    assert EventBridgePublisher("bus", client).publish("Clip Deleted", {"clip_id": "ab" * 12}) is False


def test_without_a_bus_events_go_to_the_log() -> None:
    out = io.StringIO()
    assert LogPublisher(out).publish("Clip Deleted", {"clip_id": "ab" * 12, "owned": False}) is True
    line = json.loads(out.getvalue())
    assert (line["message"], line["detail_type"], line["detail"]["owned"]) == ("event", "Clip Deleted", False)
