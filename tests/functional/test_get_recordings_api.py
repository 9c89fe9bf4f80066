"""GET /getrecordings: the recordings listing behind HTTP, with every parameter checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import PUBLIC_BASE_URL, Api
from tests.support.recordings import (
    RT_ACCOUNT,
    write_fake_composite_recording,
    write_fake_participant_recording,
    write_fake_recording,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def api(file_storage: Any) -> Api:
    for i in range(5):
        write_fake_recording(
            file_storage,
            channel="chanA" if i % 2 == 0 else "chanB",
            started_at=T0 + timedelta(hours=i),
            recording_id=f"rec{i}",
        )
    return Api(file_storage)


def ids(result: Any) -> list[str]:
    assert result.status == 200, result.body
    return [r["recording_id"] for r in result.body["recordings"]]


def test_recordings_are_listed_newest_first_with_urls(api: Api) -> None:
    result = api.recordings()
    assert ids(result) == ["rec4", "rec3", "rec2", "rec1", "rec0"]
    first = result.body["recordings"][0]
    assert first["url"] == f"{PUBLIC_BASE_URL}/{first['key']}"
    assert result.body["next_cursor"] is None


def test_channel_filter_keeps_one_channel(api: Api) -> None:
    assert ids(api.recordings(channel="chanB")) == ["rec3", "rec1"]


def test_time_window_filters_by_start(api: Api) -> None:
    assert ids(api.recordings(**{"from": "2024-05-01T13:00:00Z", "to": "2024-05-01T15:00:00Z"})) == ["rec2", "rec1"]


def test_pages_cover_every_recording_once(api: Api) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = api.recordings(limit="2", **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["rec4", "rec3", "rec2", "rec1", "rec0"]


def test_recording_listed_can_be_clipped_by_its_url(api: Api) -> None:
    recording = api.recordings(limit="1").body["recordings"][0]
    result = api.create({"master_url": recording["url"], "start_time": 0, "end_time": 10})
    assert result.status == 201, result.body
    assert result.body["recording"]["key"] == recording["key"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2024-13-01T00:00:00Z"}, "to"),
        ({"from": "2024-05-02T00:00:00Z", "to": "2024-05-01T00:00:00Z"}, "to"),
        ({"channel": "a/b"}, "channel"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"stage": ""}, "stage"),
        ({"stage": "a/b"}, "stage"),
        ({"stage": "arn:aws:ivs:us-west-2:123456789012:channel/abc"}, "stage"),
        ({"stage": "stageA", "channel": "chanA"}, "stage"),
    ],
)
def test_bad_parameter_is_400_naming_it(api: Api, query: dict[str, str], field: str) -> None:
    result = api.recordings(**query)
    assert result.status == 400, result.body
    assert result.body["field"] == field
    assert result.body["error"]


def test_limit_up_to_200_is_accepted(api: Api) -> None:
    assert len(ids(api.recordings(limit="200"))) == 5


# --- IVS Real-Time recordings ---

STAGE = "stageRt01"


@pytest.fixture
def mixed(api: Api) -> Api:
    """The five LL recordings plus a participant recording and a composite of one stage."""
    write_fake_participant_recording(api.storage, stage=STAGE, started_at=T0 + timedelta(hours=2, minutes=30))
    write_fake_composite_recording(api.storage, stage="stageOther", started_at=T0)
    return api


def test_real_time_recordings_are_listed_with_their_kind_and_ids(mixed: Api) -> None:
    body = mixed.recordings().body
    # Real-Time recordings have no IVS recording id: theirs is the folder name and a digest of the prefix.
    kinds = [(r["kind"], r["stage_id"], r["recording_id"].rsplit("-", 1)[0]) for r in body["recordings"]]
    # The composite is ordered by when its events were written (now), the participant by its folder.
    assert kinds == [
        ("real-time-composite", "stageOther", "composite"),
        ("low-latency", None, "rec4"),
        ("low-latency", None, "rec3"),
        ("real-time-participant", STAGE, "2024-05-01T14-30-00Z"),
        ("low-latency", None, "rec2"),
        ("low-latency", None, "rec1"),
        ("low-latency", None, "rec0"),
    ]
    participant = body["recordings"][3]
    assert (participant["session_id"], participant["participant_id"]) == ("st-Session0001", "partAAAA0001")
    assert participant["channel_id"] is None


@pytest.mark.parametrize("stage", [STAGE, f"arn:aws:ivs:us-west-2:{RT_ACCOUNT}:stage/{STAGE}"])
def test_stage_filter_takes_an_id_or_an_arn(mixed: Api, stage: str) -> None:
    body = mixed.recordings(stage=stage).body
    assert [(r["kind"], r["stage_id"]) for r in body["recordings"]] == [("real-time-participant", STAGE)]


def test_channel_filter_leaves_out_real_time_recordings(mixed: Api) -> None:
    assert ids(mixed.recordings(channel="chanA")) == ["rec4", "rec2", "rec0"]


def test_a_listed_participant_recording_can_be_clipped_by_its_url(mixed: Api) -> None:
    (recording,) = mixed.recordings(stage=STAGE).body["recordings"]
    result = mixed.create({"master_url": recording["url"], "start_time": 1, "end_time": 6})
    assert result.status == 201, result.body
    assert result.body["recording"]["key"] == recording["key"]
    assert [r["name"] for r in result.body["renditions"]] == ["high"]
