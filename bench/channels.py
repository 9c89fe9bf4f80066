"""Bench: finding a channel's recordings for a window (POST /clipmanifest with ``channel``) on a moto S3
server, against listing the whole channel prefix, in the same run and on the same bucket.

1,000 recordings of one channel over a year (one every ~8.8 h, unpadded date parts), few objects each
(moto keeps objects in memory); the walk's cost does not depend on objects per recording anyway.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from clipping import TimePoint
from clipping.timeparse import US
from handlers.channels.clip import plan_window
from handlers.channels.find import ll_root
from handlers.channels.ids import ChannelRef
from handlers.clips.service import cached_reader
from handlers.storage.s3 import S3Storage

RECORDINGS = 1_000
CHANNEL = "AbCdEfGhIjKl"
FIRST = datetime(2025, 1, 1, 3, 7, tzinfo=UTC)
STEP = timedelta(hours=8, minutes=45)  # 1,000 x 8h45 = 364.6 days
WINDOW = timedelta(seconds=60)
SEGMENTS = 40  # 400 s recordings, 44 objects each (a real 1 h, 4-rendition recording holds ~1,500)
REAL_OBJECTS = 1_500


def _seed(endpoint: object, client: object) -> tuple[S3Storage, list[datetime]]:
    from tests.support.recordings import write_fake_recordings
    from tests.support.s3 import direct_storage

    bucket = endpoint.new_bucket(client, "bench-chan")  # type: ignore[attr-defined]
    fakes = write_fake_recordings(
        direct_storage(bucket),
        RECORDINGS,
        first_started_at=FIRST,
        step=STEP,
        channels=(CHANNEL,),
        renditions=(("720p30", 1280, 720),),
        segments=SEGMENTS,
        thumbnails=0,
        byte_range=False,
    )
    return S3Storage(bucket, client=client), [f.started_at for f in fakes]


def _whole_prefix(storage: S3Storage) -> int:
    """What finding recordings without the date walk costs: every key of the channel."""
    prefix, keys, token = f"ivs/v1/123456789012/{CHANNEL}/", 0, None
    while True:
        page = storage.list(prefix, token=token, limit=1000)
        keys += len(page.objects)
        if not page.next_token:
            return keys
        token = page.next_token


def run() -> list[str]:
    """Lines to print: requests and time of the walk for three windows, and of the whole-prefix listing."""
    from tests.support.s3 import S3RequestCounter, start_s3_endpoint

    lines = ["== channel clips: recordings of one channel for a window vs listing the channel prefix, moto S3 =="]
    endpoint = start_s3_endpoint()
    try:
        client = endpoint.client()
        t0 = time.perf_counter()
        storage, starts = _seed(endpoint, client)
        lines.append(
            f"layout: {RECORDINGS:,} recordings of one channel, one every {STEP}, {starts[0]:%Y-%m-%d} to "
            f"{starts[-1]:%Y-%m-%d}; seeded in {time.perf_counter() - t0:.1f} s"
        )
        counter = S3RequestCounter(client).attach()
        walks = []
        for label, index, offset in (("early", 10, 30), ("middle", 500, 65), ("latest", RECORDINGS - 1, 100)):
            start = starts[index] + timedelta(seconds=offset)  # inside recording ``index``
            window = (
                TimePoint("absolute", round(start.timestamp() * US)),
                TimePoint("absolute", round((start + WINDOW).timestamp() * US)),
            )
            counter.reset()
            began = time.perf_counter()
            plan = plan_window(storage, cached_reader(storage), ll_root("ivs/"), ChannelRef(CHANNEL), *window, 86_400)
            seconds = time.perf_counter() - began
            found = [p.candidate.recording_id for p in plan.parts]
            assert found == [f"rec{index:05d}"], found
            walks.append((counter.total, seconds))
            ops = ", ".join(f"{n} {op}" for op, n in sorted(counter.by_operation.items()))
            lines.append(f"walk, {label} window:   {counter.total:4d} requests ({ops}), {seconds * 1000:8.1f} ms")
        counter.reset()
        began = time.perf_counter()
        keys = _whole_prefix(storage)
        scan_seconds = time.perf_counter() - began
        scan_requests = counter.total
        counter.detach()
        worst = (max(r for r, _ in walks), max(t for _, t in walks))
        lines += [
            f"whole channel prefix: {scan_requests:4d} requests (ListObjectsV2 x 1,000 keys, {keys:,} keys), "
            f"{scan_seconds * 1000:8.1f} ms, and it still has to read events to know which recordings overlap",
            f"prefix / walk (worst of the three): requests {scan_requests / worst[0]:.1f}x, "
            f"time {scan_seconds / worst[1]:.1f}x",
            "the walk's count is the same early, middle and latest in the year: it depends on the recordings "
            "near the window, not on the channel's history",
            f"extrapolated to {REAL_OBJECTS:,} objects per recording: the prefix listing needs "
            f"{RECORDINGS * REAL_OBJECTS // 1000:,} requests, the walk still ~{worst[0]}",
        ]
    finally:
        endpoint.stop()
    return lines


if __name__ == "__main__":
    for line in run():
        print(line)
    sys.exit(0)
