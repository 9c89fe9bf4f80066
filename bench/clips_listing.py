"""GET /getclips on a large bucket: S3 requests and time for one page, against a full scan.

A moto S3 server on loopback holds ``CLIPS`` clips written in the service's layout (playlists,
index entries, metadata documents). The handler's page reads a page of index keys and each
listed clip's document; the baseline is what a listing without the index must do to answer
"newest first": list every object under ``clips/`` and read every metadata document to sort
them. Both run in the same process against the same bucket, so the ratio is what matters.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

CLIPS = 2_000
PAGE = 50
RENDITIONS = ("720p30", "360p30")
SOURCE = "ivs/v1/123456789012/AbCdEfGhIjKl/2024/5/1/12/0/RecBench0001/media/hls/master.m3u8"


def _seed(bucket: str) -> None:
    """Write the clips straight into moto's backend (fast); reads below go over HTTP."""
    from handlers.clips.record import ClipRecord, RecordingRef, RenditionRecord, Window
    from handlers.clips.store import ClipStore
    from tests.support.s3 import direct_storage

    store = ClipStore(direct_storage(bucket))  # type: ignore[arg-type]  # write-only seeder
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(CLIPS):
        clip_id = f"{i:024x}"
        created = t0 + timedelta(seconds=i)
        span = Window(None, None, 0.0, 10.0)
        doc = ClipRecord(
            clip_id=clip_id,
            key=store.master_key(clip_id),
            created_at=created,
            title=None,
            clip=span,
            requested=span,
            duration=10.0,
            start_offset=0.0,
            byte_range=False,
            boundary="outer",
            recording=RecordingRef("RecBench0001", SOURCE, SOURCE.split("media/hls/")[0], SOURCE),
            renditions=tuple(RenditionRecord(n, "variant", f"clips/{clip_id}/{n}.m3u8", 5, 10.0) for n in RENDITIONS),
        )
        playlists = {store.master_key(clip_id): "#EXTM3U\n"}
        playlists.update({f"clips/{clip_id}/{n}.m3u8": "#EXTM3U\n" for n in RENDITIONS})
        store.save(doc, playlists)


def _full_scan(storage: Any) -> list[dict[str, Any]]:
    """The baseline: every object under ``clips/``, every document read, sorted newest first."""
    keys: list[str] = []
    token = None
    while True:
        listing = storage.list("clips/", token=token, limit=1000)
        keys.extend(o.key for o in listing.objects)
        token = listing.next_token
        if token is None:
            break
    doc_keys = [k for k in keys if k.endswith(".json") and "/" not in k[len("clips/") :]]
    with ThreadPoolExecutor(max_workers=8) as pool:  # as parallel as the handler's reads
        docs = [json.loads(body) for body in pool.map(storage.get, doc_keys)]
    docs.sort(key=lambda d: d["created_at"], reverse=True)
    return docs[:PAGE]


def run_clips_listing_bench() -> list[str]:
    """Lines to print: requests and time of one page, indexed vs full scan, in the same run."""
    from handlers import get_clips
    from handlers.config import Settings
    from handlers.storage.s3 import S3Storage
    from tests.support.api import call
    from tests.support.s3 import S3RequestCounter, start_s3_endpoint

    endpoint = start_s3_endpoint()
    quiet = contextlib.redirect_stdout(io.StringIO())  # the handler's access-log lines
    try:
        client = endpoint.client()
        bucket = endpoint.new_bucket(client, "bench-clips")
        started = time.perf_counter()
        _seed(bucket)
        seed_s = time.perf_counter() - started
        storage = S3Storage(bucket, client=client)
        settings = Settings(storage_url=f"s3://{bucket}", public_base_url="https://cdn.example")
        handler = get_clips.make_handler(settings, storage)
        objects = CLIPS * (1 + len(RENDITIONS) + 2 + 1)

        with quiet:
            call(handler, "GET", "/getclips", query={"limit": str(PAGE)})  # warm the client
        with S3RequestCounter(client) as counter, quiet:
            started = time.perf_counter()
            first = call(handler, "GET", "/getclips", query={"limit": str(PAGE)})
            page_s = time.perf_counter() - started
        page_requests = counter.total
        cursor = first.body["next_cursor"]
        with S3RequestCounter(client) as counter, quiet:
            started = time.perf_counter()
            later = call(handler, "GET", "/getclips", query={"limit": str(PAGE), "cursor": cursor})
            next_s = time.perf_counter() - started
        next_requests = counter.total
        with S3RequestCounter(client) as counter:
            started = time.perf_counter()
            scanned = _full_scan(storage)
            scan_s = time.perf_counter() - started
        scan_requests = counter.total

        same = [c["clip_id"] for c in first.body["clips"]] == [d["clip_id"] for d in scanned]
        ok = first.status == 200 and later.status == 200 and len(first.body["clips"]) == PAGE and same
        return [
            f"== clips listing: {CLIPS} clips ({objects} objects) on moto S3, page of {PAGE} "
            f"(seeded in {seed_s:.1f} s) ==",
            f"  indexed page 1:  {page_requests:5d} S3 requests  {page_s * 1000:8.1f} ms",
            f"  indexed page 2:  {next_requests:5d} S3 requests  {next_s * 1000:8.1f} ms",
            f"  full scan:       {scan_requests:5d} S3 requests  {scan_s * 1000:8.1f} ms  (baseline)",
            f"  ratio:           {scan_requests / max(page_requests, 1):5.1f}x fewer requests, "
            f"{scan_s / max(page_s, 1e-9):5.1f}x faster",
            f"  same first page as the full scan: {'yes' if same else 'NO'}; result: {'PASS' if ok else 'FAIL'}",
        ]
    finally:
        endpoint.stop()


if __name__ == "__main__":
    for line in run_clips_listing_bench():
        print(line)
