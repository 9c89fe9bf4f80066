"""The ranged reader against files and S3 (moto on loopback): tails, sizes, and clips from blocks."""

from __future__ import annotations

import inspect
from unittest import mock

import pytest

from clipping import ClipRequest, PlaylistNotFound, clip_recording, ranged
from handlers.clips.service import cached_reader
from handlers.storage.base import NotFound, Storage
from handlers.storage.budget import BudgetedStorage, remaining, time_budget
from handlers.storage.ranged import ranged_reader, threaded
from tests.unit.test_ranged_engine import _playlist


def test_get_tail_gives_the_last_bytes_and_the_size(any_storage: Storage) -> None:
    body = bytes(range(256)) * 4
    any_storage.put("p.m3u8", body, "application/vnd.apple.mpegurl")
    assert any_storage.get_tail("p.m3u8", 100) == (body[-100:], len(body))
    assert any_storage.get_tail("p.m3u8", 5000) == (body, len(body))
    assert any_storage.get_tail("p.m3u8", 0) == (b"", len(body))


def test_get_tail_of_a_missing_key_raises_not_found(any_storage: Storage) -> None:
    with pytest.raises(NotFound):
        any_storage.get_tail("no/such.m3u8", 10)


def test_get_tail_of_an_empty_object(any_storage: Storage) -> None:
    any_storage.put("empty", b"", "text/plain")
    assert any_storage.get_tail("empty", 10) == (b"", 0)


def test_budgeted_storage_has_every_protocol_method() -> None:
    names = {n for n, _ in inspect.getmembers(Storage, inspect.isfunction) if not n.startswith("_")}
    assert names <= set(dir(BudgetedStorage))


def test_threaded_tasks_share_the_callers_budget() -> None:
    with time_budget(5.0):
        left = threaded([remaining, remaining, remaining])
    assert all(value is not None and 0 < value <= 5.0 for value in left)


def test_ranged_clip_from_storage_equals_the_whole_clip(any_storage: Storage) -> None:
    segments = [(float(2 * i), 2.0, False) for i in range(29)]
    a = _playlist(segments)
    master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nb.m3u8\n"
    for key, text in {"r/m.m3u8": master, "r/a.m3u8": a, "r/b.m3u8": a.replace("s", "t")}.items():
        any_storage.put(key, text.encode(), "application/vnd.apple.mpegurl")
    request = ClipRequest.from_values(20, 30)
    whole = clip_recording("r/m.m3u8", request, cached_reader(any_storage), "c/x.m3u8", numbering="clip")
    with mock.patch.object(ranged, "MIN_RANGED_SIZE", 0):
        read = ranged_reader(any_storage, block=256)
        blocks = clip_recording("r/m.m3u8", request, read, "c/x.m3u8", numbering="clip", parallel=threaded)
    assert blocks.playlists == whole.playlists
    assert read("r/a.m3u8").size == len(a)


def test_ranged_reader_says_which_playlist_is_missing(any_storage: Storage) -> None:
    with pytest.raises(PlaylistNotFound):
        clip_recording("r/none.m3u8", ClipRequest.from_values(0, 1), ranged_reader(any_storage), "c/x.m3u8")
