"""Engine bench: clip time and peak memory on synthetic 24 h and 48 h IVS byte-range recordings.

Everything is measured in the same run, so the ratios hold even on a noisy machine:
the engine (6 renditions) against one ``splitlines()`` pass over the same 6 playlists (the floor)
and against the naive m3u8 way (``loads`` -> filter -> new ``M3U8`` -> ``dumps``).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clipping import ClipRequest, clip_recording

from .memory_probe import ProbeResult, run_probe
from .recordings import Recording, generate_recording, naive_clip_recording

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Lambda CPU scales with memory: 1,769 MB is one vCPU, so 128 MB is about 1/14 of a core.
LAMBDA_128_FACTOR = 14
MEMORY_TARGET_MIB = 100.0
SPEEDUP_TARGET = 100.0
OUTPUT_MASTER = "clips/bench/clip.m3u8"

# Repetitions (medians are reported). Chosen so the whole engine bench stays under about 3 minutes.
SPLIT_RUNS = 21
ENGINE_RUNS_60S = 21
ENGINE_RUNS_2H = 7
NAIVE_RUNS = {"24 h": 3, "48 h": 1}


@dataclass(frozen=True, slots=True)
class Timing:
    """Samples of one operation in ms: wall clock, and this process's CPU time over the same calls."""

    wall: tuple[float, ...]
    cpu: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def low(self) -> float:
        return min(self.wall)

    @property
    def high(self) -> float:
        return max(self.wall)

    @property
    def n(self) -> int:
        return len(self.wall)


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter_ns(), time.process_time_ns()
    fn()
    return (time.perf_counter_ns() - wall) / 1e6, (time.process_time_ns() - cpu) / 1e6


def measure_interleaved(ops: dict[str, tuple[Callable[[], object], int]], warmup: int = 1) -> dict[str, Timing]:
    """Time each op ``runs`` times, in rounds that run every op once, so that load from other processes
    falls on all of them alike; each op runs ``warmup`` times unmeasured first. The gc stays on."""
    for fn, _ in ops.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in ops}
    for round_ in range(max(runs for _, runs in ops.values())):
        for name, (fn, runs) in ops.items():
            if round_ < runs:
                samples[name].append(_timed(fn))
    return {name: Timing(tuple(w for w, _ in found), tuple(c for _, c in found)) for name, found in samples.items()}


def measure(fn: Callable[[], object], runs: int, warmup: int = 0) -> Timing:
    """Time one op on its own (for the slow naive clip)."""
    return measure_interleaved({"op": (fn, runs)}, warmup)["op"]


def windows(duration_s: float) -> dict[str, tuple[float, float]]:
    """The clip windows, in seconds relative to the recording start."""
    half = duration_s / 2
    return {
        "60 s mid": (half, half + 60),
        "60 s end": (duration_s - 60, duration_s),
        "2 h mid": (half, half + 7200),
    }


def _engine(rec: Recording, start: float, end: float) -> Callable[[], object]:
    request = ClipRequest.from_values(start, end, byte_range=False, boundary="outer")
    return lambda: clip_recording(rec.master_path, request, rec.read, OUTPUT_MASTER)


def _splitlines(rec: Recording) -> Callable[[], object]:
    texts = rec.media_texts()
    return lambda: sum(len(text.splitlines()) for text in texts)


@dataclass(slots=True)
class RecordingResult:
    rec_label: str
    split: Timing
    engine: dict[str, Timing]
    naive: Timing
    counts_match: bool
    counts: str


def _bench_recording(rec: Recording, out: Callable[[str], None]) -> RecordingResult:
    ops: dict[str, tuple[Callable[[], object], int]] = {"splitlines": (_splitlines(rec), SPLIT_RUNS)}
    for name, (start, end) in windows(rec.duration_s).items():
        ops[name] = (_engine(rec, start, end), ENGINE_RUNS_2H if name.startswith("2 h") else ENGINE_RUNS_60S)
    timings = measure_interleaved(ops)
    split = timings.pop("splitlines")

    start, end = windows(rec.duration_s)["60 s mid"]
    clip = clip_recording(rec.master_path, ClipRequest.from_values(start, end), rec.read, OUTPUT_MASTER)
    naive_result: dict[str, tuple[str, int]] = {}

    def naive() -> None:
        naive_result.clear()
        naive_result.update(naive_clip_recording(rec.master_path, rec.read, start, end))

    naive_timing = measure(naive, NAIVE_RUNS.get(rec.label, 1))
    engine_counts = [r.segments for r in clip.renditions]
    naive_counts = [n for _, n in naive_result.values()]
    out(f"  {rec.label}: measured; 60 s mid clip segments per rendition: {engine_counts}")
    return RecordingResult(
        rec_label=rec.label,
        split=split,
        engine=timings,
        naive=naive_timing,
        counts_match=engine_counts == naive_counts,
        counts=f"engine {engine_counts} vs naive {naive_counts}",
    )


def _fmt_ms(ms: float) -> str:
    return f"{ms:,.1f}" if ms < 10_000 else f"{ms:,.0f}"


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}" if value / floor < 10 else f"{value / floor:.0f}"


def _table(results: list[RecordingResult]) -> list[str]:
    head = (
        f"{'rec':<4} {'operation (all 6 renditions)':<27} {'N':>3} {'wall ms':>9} {'min':>8} {'max':>8} "
        f"{'CPU ms':>9} {'/split':>7} {'/split CPU':>10} {'naive/eng':>9} {'128 MB proj.':>12}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        rows: list[tuple[str, Timing, str]] = [("splitlines() pass (floor)", r.split, "")]
        for name, timing in r.engine.items():
            speedup = f"{r.naive.median / timing.median:,.0f}x" if name == "60 s mid" else ""
            rows.append((f"engine clip {name}", timing, speedup))
        rows.append(("naive m3u8 clip 60 s mid", r.naive, "1x"))
        for label, timing, speedup in rows:
            projected = timing.cpu_median * LAMBDA_128_FACTOR
            proj = f"~{projected / 1000:,.1f} s" if projected >= 1000 else f"~{projected:,.0f} ms"
            lines.append(
                f"{r.rec_label:<4} {label:<27} {timing.n:>3} {_fmt_ms(timing.median):>9} {_fmt_ms(timing.low):>8} "
                f"{_fmt_ms(timing.high):>8} {_fmt_ms(timing.cpu_median):>9} "
                f"{_ratio(timing.median, r.split.median):>7} {_ratio(timing.cpu_median, r.split.cpu_median):>10} "
                f"{speedup:>9} {proj:>12}"
            )
        lines.append("")
    return lines


def _memory(recs: list[Recording], out: Callable[[str], None]) -> dict[tuple[str, str], ProbeResult]:
    found: dict[tuple[str, str], ProbeResult] = {}
    with tempfile.TemporaryDirectory(prefix="ivs-clip-bench-") as tmp:
        root = Path(tmp)
        for rec in recs:
            rec.write_to(root)
        for rec in recs:
            start, end = windows(rec.duration_s)["60 s end"]
            for way in ("engine", "naive"):
                found[(rec.label, way)] = run_probe(root, rec.master_path, start, end, way, PROJECT_ROOT)
                probe = found[(rec.label, way)]
                out(f"  {rec.label} {way}: peak {probe.peak_mib:.1f} MiB, segments {list(probe.segments)}")
    return found


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"load average {one:.2f} / {five:.2f} (1 / 5 min) on {os.cpu_count()} CPUs"
    except OSError:
        return f"{os.cpu_count()} CPUs"


def run_engine_bench(out: Callable[[str], None] = print) -> bool:
    """Run the engine bench, printing as it goes; True when every target passes."""
    began = time.perf_counter()
    out("== Engine bench: clip_recording on synthetic IVS byte-range recordings ==")
    out(
        f"Python {platform.python_version()} on {platform.machine()}, m3u8 {_version('m3u8')}, {_load()} at start. "
        "Times are wall-clock medians with gc on."
    )
    out(
        f"Runs: splitlines N={SPLIT_RUNS}, engine 60 s windows N={ENGINE_RUNS_60S}, engine 2 h N={ENGINE_RUNS_2H} "
        f"(interleaved, after 1 warm-up each); naive m3u8 N={NAIVE_RUNS['24 h']} at 24 h and "
        f"N={NAIVE_RUNS['48 h']} at 48 h (no warm-up)."
    )
    recs = [generate_recording(86_400), generate_recording(172_800)]
    for rec in recs:
        out(
            f"  {rec.label}: 6 renditions x {rec.parts:,} parts of ~2 s (PDT on every part, explicit byte ranges), "
            f"{rec.media_bytes() / 2**20:.1f} MiB of playlist text, generated in {rec.build_seconds:.2f} s"
        )
    results = [_bench_recording(rec, out) for rec in recs]
    out("")
    out("Time in ms, median of N; engine and splitlines rows were run interleaved (round-robin). 'CPU ms' is this")
    out("process's CPU time over the same calls (less sensitive to other load than wall clock). '/split' = median over")
    out("the splitlines() median of the same recording (wall, then CPU). 'naive/eng' = naive median / engine median.")
    out("'128 MB proj.' = CPU median x 14: a PROJECTION for a 128 MB Lambda (~1/14 vCPU), NOT a measurement.")
    out("")
    for line in _table(results):
        out(line)

    out("Peak memory of one 60 s clip at the END of the recording, in a fresh process that has imported boto3,")
    out("created an S3 client and imported the engine; playlists are read from files one at a time (bytes -> str).")
    memory = _memory(recs, out)
    out("")
    out(f"{'rec':<4} {'way':<24} {'baseline MiB':>12} {'peak MiB':>9} {'growth':>7} {'VmHWM MiB':>10} {'clip s':>7}")
    for (label, way), probe in memory.items():
        name = "engine (6 renditions)" if way == "engine" else "naive m3u8 (1 at a time)"
        hwm = f"{probe.vm_hwm_mib:.1f}" if probe.vm_hwm_mib is not None else "n/a"
        out(
            f"{label:<4} {name:<24} {probe.baseline_mib:>12.1f} {probe.peak_mib:>9.1f} "
            f"{probe.peak_mib - probe.baseline_mib:>+7.1f} {hwm:>10} {probe.seconds:>7.2f}"
        )
    out("(baseline = ru_maxrss after boto3 + S3 client + imports, before clipping; peak = ru_maxrss after the clip;")
    out(" VmHWM = the kernel's peak RSS of the probe's address space, a cross-check. The probe starts through a")
    out(" small intermediate process: a child started straight from this big process would inherit its ru_maxrss.)")
    for rec in recs:
        naive_peak = memory[(rec.label, "naive")].peak_mib
        verdict = "over" if naive_peak >= 128 else "under"
        out(f"  naive m3u8 at {rec.label}: peak {naive_peak:.1f} MiB, {verdict} a 128 MB Lambda's memory")
    out("")

    day, two_days = results
    checks: list[tuple[bool, str]] = []
    for name in ("60 s mid", "60 s end"):
        timing = day.engine[name]
        checks.append(
            (
                timing.median < day.split.median,
                f"24 h, 6 renditions, {name}: engine {timing.median:.1f} ms < one splitlines() pass "
                f"{day.split.median:.1f} ms: ratio {timing.median / day.split.median:.2f} (target < 1.0; "
                f"CPU time: {timing.cpu_median / day.split.cpu_median:.2f})",
            )
        )
    for r in results:
        ratio = r.naive.median / r.engine["60 s mid"].median
        checks.append(
            (
                ratio >= SPEEDUP_TARGET,
                f"{r.rec_label}, 6 renditions, 60 s mid: naive m3u8 {r.naive.median:,.0f} ms / engine "
                f"{r.engine['60 s mid'].median:.1f} ms = {ratio:,.0f}x (target >= {SPEEDUP_TARGET:.0f}x; CPU time: "
                f"{r.naive.cpu_median / r.engine['60 s mid'].cpu_median:,.0f}x)",
            )
        )
    peak_48 = memory[(two_days.rec_label, "engine")].peak_mib
    checks.append(
        (
            peak_48 < MEMORY_TARGET_MIB,
            f"48 h, 6 renditions, 60 s end: engine process peak RSS {peak_48:.1f} MiB < {MEMORY_TARGET_MIB:.0f} MiB "
            "(boto3 + S3 client loaded)",
        )
    )
    for r in results:
        checks.append(
            (r.counts_match, f"like for like, {r.rec_label} 60 s mid: same segments kept as naive ({r.counts})")
        )
    out("Targets:")
    for ok, text in checks:
        out(f"  {'PASS' if ok else 'FAIL'}  {text}")
    out(f"Engine bench took {time.perf_counter() - began:.0f} s; {_load()} at the end.")
    return all(ok for ok, _ in checks)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(0 if run_engine_bench() else 1)
