"""Ranged-read bench: bytes, requests and rounds a clip pulls from S3 (moto server on loopback).

The service used to GET every playlist whole; the ranged reader reads the header, the tail and
the window's blocks. Both ways run here against the same bucket in the same run, through a
counting wrapper around the storage: bytes received, requests, and *rounds* (the longest chain
of requests that waited for one another: parallel requests in one round overlap in time).
Recordings of 1 h, 24 h and 48 h, 6 byte-range renditions each, windows of 60 s mid and end.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clipping import ClipRequest, clip_recording
from clipping.resolve import resolve_request

from .recordings import Recording, generate_recording

BYTES_TARGET = 2 * 1024 * 1024
ROUNDS_TARGET = 4
MEMORY_TARGET_MIB = 70.0
RUNS = 5
HANDLERS = ("handlers.clip_manifest", "handlers.get_recordings", "handlers.get_clips")


@dataclass
class Counting:
    """A storage wrapper that records each read's size and its start and end times."""

    inner: Any
    calls: list[tuple[float, float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _note(self, began: float, size: int) -> None:
        with self.lock:
            self.calls.append((began, time.perf_counter(), size))

    def get(self, key: str) -> bytes:
        began = time.perf_counter()
        data: bytes = self.inner.get(key)
        self._note(began, len(data))
        return data

    def get_range(self, key: str, start: int, length: int) -> bytes:
        began = time.perf_counter()
        data: bytes = self.inner.get_range(key, start, length)
        self._note(began, len(data))
        return data

    def get_tail(self, key: str, length: int) -> tuple[bytes, int]:
        began = time.perf_counter()
        data, size = self.inner.get_tail(key, length)
        self._note(began, len(data))
        return data, size

    def rounds(self) -> int:
        """The longest chain of requests each started after the previous one ended."""
        calls = sorted(self.calls)
        depth: list[int] = []
        for i, (began, _, _) in enumerate(calls):
            depth.append(1 + max((depth[j] for j in range(i) if calls[j][1] <= began), default=0))
        return max(depth, default=0)

    def total(self) -> int:
        return sum(size for _, _, size in self.calls)


@dataclass(frozen=True)
class Row:
    label: str
    window: str
    way: str
    bytes: int
    requests: int
    rounds: int
    wall_ms: float
    same: bool


def _whole_reader(storage: Any) -> Callable[[str], str]:
    """The old service reader: every playlist downloaded whole (cached for the request)."""
    from handlers.clips.service import cached_reader

    return cached_reader(storage)


def _clip(rec: Recording, storage: Any, way: str, start: float, end: float) -> tuple[dict[str, str], float]:
    from handlers.storage.ranged import ranged_reader, threaded

    began = time.perf_counter()
    request = ClipRequest.from_values(start, end)
    if way == "ranged":
        read = ranged_reader(storage)
        resolved = resolve_request(rec.master_path, request, read, numbering="clip", parallel=threaded)
        clip = clip_recording(rec.master_path, resolved, read, "clips/b.m3u8", numbering="clip", parallel=threaded)
    else:
        whole = _whole_reader(storage)
        resolved = resolve_request(rec.master_path, request, whole)
        clip = clip_recording(rec.master_path, resolved, whole, "clips/b.m3u8", numbering="clip")
    return clip.playlists, (time.perf_counter() - began) * 1000


def _measure(rec: Recording, s3: Any, label: str) -> list[Row]:
    rows: list[Row] = []
    for name, (start, end) in {
        "60 s mid": (rec.duration_s / 2, rec.duration_s / 2 + 60),
        "60 s end": (rec.duration_s - 60, rec.duration_s),
    }.items():
        results: dict[str, dict[str, str]] = {}
        for way in ("whole", "ranged"):
            walls: list[float] = []
            counted = Counting(s3)
            for run in range(RUNS):
                counted = Counting(s3)
                playlists, wall = _clip(rec, counted, way, start, end)
                if run:
                    walls.append(wall)
                results[way] = playlists
            rows.append(
                Row(
                    label,
                    name,
                    way,
                    counted.total(),
                    len(counted.calls),
                    counted.rounds(),
                    statistics.median(walls),
                    True,
                )
            )
        same = results["whole"] == results["ranged"]
        rows[-1] = Row(**{**rows[-1].__dict__, "same": same})
        rows[-2] = Row(**{**rows[-2].__dict__, "same": same})
    return rows


def _import_ms(module: str, runs: int = 5) -> float:
    """Median wall time of ``import module`` in a fresh interpreter."""
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def _m3u8_loaded(module: str) -> bool:
    code = f"import sys, {module}; print('m3u8' in sys.modules)"
    return (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "True"
    )


def _memory() -> str:
    """Peak RSS of a ranged 60 s end clip of 48 h in a fresh process with boto3 and an S3 client loaded."""
    import tempfile
    from pathlib import Path

    from .memory_probe import run_probe

    rec = generate_recording(172_800)
    with tempfile.TemporaryDirectory(prefix="ivs-ranged-") as tmp:
        rec.write_to(Path(tmp))
        root = Path(__file__).resolve().parent.parent
        probe = run_probe(Path(tmp), rec.master_path, rec.duration_s - 60, rec.duration_s, "ranged", root)
    verdict = "PASS" if probe.peak_mib < MEMORY_TARGET_MIB else "FAIL"
    return (
        f"  {verdict}  48 h, 6 renditions, 60 s end, ranged reads (files): peak RSS {probe.peak_mib:.1f} MiB "
        f"(baseline {probe.baseline_mib:.1f} MiB after boto3 + S3 client + imports) < {MEMORY_TARGET_MIB:.0f} MiB"
    )


def run() -> list[str]:
    from handlers.storage.s3 import S3Storage
    from tests.support.s3 import direct_storage, start_s3_endpoint

    out = ["== Ranged reads: a clip's S3 traffic, whole-object GETs vs ranged reads (moto S3 on loopback) =="]
    endpoint = start_s3_endpoint()
    try:
        client = endpoint.client()
        rows: list[Row] = []
        for seconds in (3_600, 86_400, 172_800):
            rec = generate_recording(seconds)
            bucket = endpoint.new_bucket(client, "bench-ranged")
            seeder = direct_storage(bucket)
            for key, text in rec.playlists.items():
                seeder.put(key, text.encode(), "application/vnd.apple.mpegurl")
            rows += _measure(rec, S3Storage(bucket, client=client), rec.label)
            out.append(f"  {rec.label}: {rec.media_bytes() / 2**20:.1f} MiB of playlists measured")
    finally:
        endpoint.stop()
    out.append("")
    out.append(f"{'rec':<5} {'window':<9} {'way':<7} {'bytes':>11} {'requests':>8} {'rounds':>6} {'wall ms':>8} same")
    for r in rows:
        out.append(
            f"{r.label:<5} {r.window:<9} {r.way:<7} {r.bytes:>11,} {r.requests:>8} {r.rounds:>6} "
            f"{r.wall_ms:>8.1f} {'yes' if r.same else 'NO'}"
        )
    out.append(
        f"(wall = median of {RUNS - 1} after one warm-up; resolve + clip of all 6 renditions, as the service does;"
    )
    out.append(" 'same' = both ways wrote byte-identical playlists, both numbered from 0)")
    out.append("")
    out.append("Cold start: import of each handler module in a fresh interpreter (median of 5 runs)")
    for module in HANDLERS:
        out.append(f"  {module:<26} {_import_ms(module):7.1f} ms, m3u8 loaded: {_m3u8_loaded(module)}")
    out.append(f"  {'m3u8 alone':<26} {_import_ms('m3u8'):7.1f} ms")
    for module in HANDLERS:
        out.append(
            f"  {module:<26} {_import_ms('m3u8, ' + module):7.1f} ms with m3u8 imported too (the old eager import)"
        )
    out.append("")
    out.append(_memory())
    out.append("Targets:")
    for r in rows:
        if r.way == "ranged" and r.label == "48 h":
            ok = r.bytes <= BYTES_TARGET and r.rounds <= ROUNDS_TARGET and r.same
            out.append(
                f"  {'PASS' if ok else 'FAIL'}  48 h {r.window}: {r.bytes / 2**20:.2f} MiB <= 2 MiB in "
                f"{r.rounds} rounds <= {ROUNDS_TARGET} ({r.requests} requests), identical to whole: {r.same}"
            )
    ranged = {(r.label, r.window): r.bytes for r in rows if r.way == "ranged"}
    for window in ("60 s mid", "60 s end"):
        small, big = ranged[("24 h", window)], ranged[("48 h", window)]
        out.append(
            f"  {'PASS' if big <= 1.25 * small else 'FAIL'}  {window}: bytes at 48 h {big:,} vs 24 h {small:,} "
            "(do not grow with the recording; 1 h playlists are under the ranged threshold, read whole)"
        )
    return out


if __name__ == "__main__":
    print("\n".join(run()))
