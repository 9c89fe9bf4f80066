"""Peak memory of one clip in a Lambda-like process: ``python -m bench.memory_probe --root DIR --master KEY ...``.

It loads boto3 and creates an S3 client first (as the handler does), imports the engine, then reads
each playlist from a file only when asked (bytes -> str, like ``get_object`` then ``decode``), so the
process holds what a Lambda would hold. Prints one JSON line: baseline and peak RSS in MiB.

Launch it through :func:`run_probe`: a child started straight from a big process inherits that
process's high-water mark in ``ru_maxrss`` on Linux (the old address space's peak survives
``execve``), so the probe is started through a small intermediate Python process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_HOP = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one probe process measured (MiB; ``vm_hwm_mib`` is the kernel's own peak RSS, as a cross-check)."""

    way: str
    baseline_mib: float
    peak_mib: float
    vm_hwm_mib: float | None
    segments: tuple[int, ...]
    seconds: float


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _vm_hwm_mib() -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--master", required=True)
    parser.add_argument("--start", required=True, type=float)
    parser.add_argument("--end", required=True, type=float)
    parser.add_argument("--way", choices=("engine", "ranged", "naive", "none"), default="engine")
    args = parser.parse_args(argv)

    import boto3

    boto3.client("s3", region_name="us-east-1")
    import m3u8  # noqa: F401  (the engine reads masters with it; imported here so the baseline includes it)

    import clipping
    from bench.recordings import naive_clip_recording

    root: Path = args.root

    def read(key: str) -> str:
        return (root / key).read_bytes().decode()

    baseline = _maxrss_mib()
    began = time.perf_counter()
    if args.way == "engine":
        clip = clipping.clip_recording(
            args.master, clipping.ClipRequest.from_values(args.start, args.end), read, "clips/bench/clip.m3u8"
        )
        segments = [r.segments for r in clip.renditions]
    elif args.way == "ranged":
        from handlers.storage.files import FileStorage
        from handlers.storage.ranged import ranged_reader, threaded

        ranged = ranged_reader(FileStorage(root))
        request = clipping.ClipRequest.from_values(args.start, args.end)
        clip = clipping.clip_recording(
            args.master, request, ranged, "clips/bench/clip.m3u8", numbering="clip", parallel=threaded
        )
        segments = [r.segments for r in clip.renditions]
    elif args.way == "naive":
        segments = [n for _, n in naive_clip_recording(args.master, read, args.start, args.end).values()]
    else:
        segments = []
    elapsed = time.perf_counter() - began
    print(
        json.dumps(
            {
                "way": args.way,
                "baseline_mib": round(baseline, 1),
                "peak_mib": round(_maxrss_mib(), 1),
                "vm_hwm_mib": _vm_hwm_mib(),
                "segments": segments,
                "seconds": round(elapsed, 3),
            }
        )
    )


def run_probe(root: Path, master: str, start: float, end: float, way: str, cwd: Path) -> ProbeResult:
    """Run the probe in a fresh process (through a small intermediate one) and return its JSON answer."""
    command = [sys.executable, "-c", _HOP, sys.executable, "-m", "bench.memory_probe"]
    command += ["--root", str(root), "--master", master, "--start", repr(start), "--end", repr(end), "--way", way]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    data["segments"] = tuple(data["segments"])
    return ProbeResult(**data)


if __name__ == "__main__":
    main()
