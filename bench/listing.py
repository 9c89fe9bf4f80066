"""Bench: the recordings listing (GET /getrecordings) against a full bucket scan, on a moto S3 server.

Both are measured in the same run on the same bucket: S3 requests (counted on the client),
entries returned by the listings (keys + common prefixes) and wall time. The layout is scaled
down (moto keeps every object in memory, ~7 KB each, and answers each list request in time
proportional to the bucket), so the output also shows the same recordings with few objects
each: the listing's request count does not change, the scan's does.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.recordings.listing import list_recordings
from handlers.storage.s3 import S3Storage

PAGE = 20
CHANNELS = ("AbCdEfGhIjKl", "MnOpQrStUvWx")
RENDITIONS = (("720p30", 1280, 720), ("480p30", 852, 480), ("160p30", 284, 160))
FIRST_START = datetime(2025, 5, 20, 7, 5, tzinfo=UTC)
STEP = timedelta(hours=3, minutes=17)  # crosses hours, days and a month with unpadded parts
PRODUCTION_RECORDINGS, PRODUCTION_OBJECTS = 1_000, 10_000


@dataclass
class _Tally:
    requests: int = 0
    entries: int = 0
    seconds: float = 0.0
    operations: Counter[str] | None = None


class _Meter:
    """Counts S3 calls and the entries ListObjectsV2 returned, through botocore event hooks."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.ops: Counter[str] = Counter()
        self.entries = 0
        self._lock = threading.Lock()

    def _before(self, model: Any = None, **_: Any) -> None:
        with self._lock:
            self.ops[getattr(model, "name", "?")] += 1

    def _after(self, parsed: Any = None, **_: Any) -> None:
        with self._lock:
            self.entries += int((parsed or {}).get("KeyCount", 0))

    def measure(self, action: Any) -> tuple[_Tally, Any]:
        self.ops, self.entries = Counter(), 0
        events = self.client.meta.events
        events.register("before-call.s3.*", self._before, unique_id="bench-before")
        events.register("after-call.s3.ListObjectsV2", self._after, unique_id="bench-after")
        start = time.perf_counter()
        try:
            result = action()
        finally:
            seconds = time.perf_counter() - start
            events.unregister("before-call.s3.*", unique_id="bench-before")
            events.unregister("after-call.s3.ListObjectsV2", unique_id="bench-after")
        return _Tally(sum(self.ops.values()), self.entries, seconds, self.ops), result


def _full_scan(storage: S3Storage) -> int:
    """What a listing without the tree walk has to do: read every key of the bucket."""
    keys, token = 0, None
    while True:
        page = storage.list("", token=token, limit=1000)
        keys += len(page.objects)
        if not page.next_token:
            return keys
        token = page.next_token


def _seed(endpoint: Any, client: Any, recordings: int, segments: int, thumbnails: int) -> tuple[S3Storage, int]:
    from tests.support.recordings import write_fake_recordings
    from tests.support.s3 import direct_storage

    bucket = endpoint.new_bucket(client, "bench")
    fakes = write_fake_recordings(
        direct_storage(bucket),
        recordings,
        first_started_at=FIRST_START,
        step=STEP,
        channels=CHANNELS,
        renditions=RENDITIONS,
        segments=segments,
        thumbnails=thumbnails,
    )
    return S3Storage(bucket, client=client), sum(len(f.keys) for f in fakes)


def _pages(storage: S3Storage, meter: _Meter) -> tuple[_Tally, _Tally, list[str]]:
    first, page1 = meter.measure(lambda: list_recordings(storage, public_base_url="https://cdn", limit=PAGE))
    second, page2 = meter.measure(
        lambda: list_recordings(storage, public_base_url="https://cdn", limit=PAGE, cursor=page1.next_cursor)
    )
    ids = [r.recording_id for r in page1.recordings + page2.recordings]
    return first, second, ids


def _ops(t: _Tally) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted((t.operations or {}).items()))


def run_recordings_listing_bench(recordings: int = 200, segments: int = 90, thumbnails: int = 24) -> list[str]:
    """Lines to print. Defaults: 200 recordings x 300 objects = 60,000 objects, about a minute."""
    from tests.support.s3 import start_s3_endpoint

    lines = ["== recordings listing (GET /getrecordings) vs full bucket scan, moto S3 server =="]
    endpoint = start_s3_endpoint()
    try:
        client = endpoint.client()
        meter = _Meter(client)
        t0 = time.perf_counter()
        heavy, heavy_objects = _seed(endpoint, client, recordings, segments, thumbnails)
        light, light_objects = _seed(endpoint, client, recordings, 1, 2)
        per_recording = heavy_objects // recordings
        lines.append(
            f"layout: {recordings} recordings x {per_recording} objects = {heavy_objects:,} objects "
            f"({len(CHANNELS)} channels, {len(RENDITIONS)} renditions x {segments} segments + playlists, "
            f"{thumbnails} thumbnails; one every {STEP} from {FIRST_START:%Y-%m-%d}); seeded in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        lines.append(
            f"  scaled down from e.g. {PRODUCTION_RECORDINGS:,} x {PRODUCTION_OBJECTS:,}: moto keeps objects in "
            "memory and lists in time proportional to the bucket"
        )
        first, second, ids = _pages(heavy, meter)
        assert len(set(ids)) == 2 * PAGE, "pages overlap or are short"
        scan, keys = meter.measure(lambda: _full_scan(heavy))
        assert keys == heavy_objects
        lines += [
            f"first page ({PAGE}):  {first.requests:4d} requests ({_ops(first)}), "
            f"{first.entries:5d} entries listed, {first.seconds * 1000:8.1f} ms",
            f"next page ({PAGE}):   {second.requests:4d} requests ({_ops(second)}), "
            f"{second.entries:5d} entries listed, {second.seconds * 1000:8.1f} ms",
            f"full scan:        {scan.requests:4d} requests (ListObjectsV2 x 1,000 keys), "
            f"{scan.entries:5d} entries listed, {scan.seconds * 1000:8.1f} ms",
            f"scan / first page: requests {scan.requests / first.requests:.2f}x, "
            f"entries {scan.entries / max(first.entries, 1):.0f}x, time {scan.seconds / first.seconds:.1f}x",
        ]
        light_first, _, _ = _pages(light, meter)
        light_scan, _ = meter.measure(lambda: _full_scan(light))
        lines.append(
            f"same recordings with {light_objects // recordings} objects each: first page "
            f"{light_first.requests} requests (vs {first.requests}), full scan {light_scan.requests} "
            f"(vs {scan.requests}): the listing does not grow with objects per recording, the scan does"
        )
        production_scan = math.ceil(PRODUCTION_RECORDINGS * PRODUCTION_OBJECTS / 1000)
        lines.append(
            f"extrapolated to {PRODUCTION_RECORDINGS:,} recordings x {PRODUCTION_OBJECTS:,} objects: "
            f"full scan >= {production_scan:,} requests, first page still ~{first.requests} "
            f"({production_scan / first.requests:.0f}x fewer)"
        )
    finally:
        endpoint.stop()
    return lines
