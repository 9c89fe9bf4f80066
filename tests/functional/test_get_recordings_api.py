"""GET /getrecordings: the recordings listing behind HTTP, with every parameter checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import PUBLIC_BASE_URL, Api
from tests.support.recordings import write_fake_recording

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
    ],
)
def test_bad_parameter_is_400_naming_it(api: Api, query: dict[str, str], field: str) -> None:
    result = api.recordings(**query)
    assert result.status == 400, result.body
    assert result.body["field"] == field
    assert result.body["error"]


def test_limit_up_to_200_is_accepted(api: Api) -> None:
    assert len(ids(api.recordings(limit="200"))) == 5
