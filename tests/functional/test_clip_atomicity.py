"""A clip appears whole or not at all: a store fault at any write leaves nothing visible."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.clips.store import ClipStore
from tests.support.api import REC_ROOT, Api, FaultyStorage, seed_recording

BODY = {"master_url": f"{REC_ROOT}/master.m3u8", "start_time": 10, "end_time": 30}
WRITES_PER_CLIP = 6  # two renditions, the master, two index entries, the metadata document


def test_a_clip_takes_the_expected_number_of_writes(file_storage: Any) -> None:
    seed_recording(file_storage)
    counting = FaultyStorage(file_storage, fail_at=0)
    assert Api(counting).create(BODY).status == 201
    assert counting.puts == WRITES_PER_CLIP


@pytest.mark.parametrize("fail_at", range(1, WRITES_PER_CLIP + 1))
def test_fault_at_any_write_leaves_no_visible_clip_and_a_retry_completes_it(any_storage: Any, fail_at: int) -> None:
    seed_recording(any_storage)
    failed = Api(FaultyStorage(any_storage, fail_at)).create(BODY)
    assert (failed.status, failed.body["code"]) == (503, "storage_unavailable")
    healthy = Api(any_storage)
    assert healthy.clips().body == {"clips": [], "next_cursor": None}
    retried = healthy.create(BODY)
    assert retried.status == 201
    listed = healthy.clips().body["clips"]
    assert [c["clip_id"] for c in listed] == [retried.body["clip_id"]]


def test_fault_after_the_document_was_written_is_completed_by_the_retry(file_storage: Any) -> None:
    seed_recording(file_storage)
    failed = Api(FaultyStorage(file_storage, WRITES_PER_CLIP, after_write=True)).create(BODY)
    assert failed.status == 503
    retried = Api(file_storage).create(BODY)
    assert retried.status == 200
    assert len(Api(file_storage).clips().body["clips"]) == 1


def test_clip_without_its_document_is_not_found_by_the_store(file_storage: Any) -> None:
    seed_recording(file_storage)
    clip_id = Api(FaultyStorage(file_storage, WRITES_PER_CLIP)).create(BODY).body.get("clip_id")
    assert clip_id is None
    store = ClipStore(file_storage)
    assert store.list_page().clips == []
    assert file_storage.list("clips/index/all/").objects  # the orphan index entries exist...
