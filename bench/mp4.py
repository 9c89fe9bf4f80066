"""``python -m bench.mp4``: MP4 export by stream copy against a libx264 re-encode of the same window.

Each measurement runs in a fresh Python process so its peak memory is its own: the process's max RSS
(`RUSAGE_SELF`) and the largest ffmpeg child's (`RUSAGE_CHILDREN`). The recording (10 min, 320x180,
15 fps, IVS TS layout) is generated once per run under a temporary directory.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WINDOWS = [("60 s", 120.0, 180.0), ("10 min", 0.0, 599.9)]


def _worker(mode: str, root: str, clip_key: str, start: float, duration: float, out_dir: str) -> dict[str, float]:
    """One export or re-encode in this process; returns wall time, sizes and peak RSS (MB)."""
    from handlers.export import ExportWindow, export_mp4
    from handlers.export.export import _copy_to, coalesce, read_entries, select_entries
    from tests.export.media import FileReader

    text = (Path(root) / clip_key).read_text()
    reader = FileReader(Path(root))
    began = time.perf_counter()
    if mode == "copy":
        result = export_mp4(text, clip_key, ExportWindow(start, duration), reader, work_dir=Path(out_dir))
        size, frames = result.size, result.video_frames
    else:
        import imageio_ffmpeg

        entries = read_entries(text, clip_key)
        chosen = select_entries(entries, ExportWindow(start, duration))
        local = Path(out_dir) / "source.ts"
        _copy_to(local, coalesce([e.span for e in chosen]), reader)
        out = Path(out_dir) / "reencode.mp4"
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-ss", f"{start - chosen[0].start:.6f}"]
        cmd += ["-i", str(local), "-t", f"{duration:.6f}", "-map", "0:v:0", "-map", "0:a:0?"]
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-movflags", "+faststart", str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
        local.unlink()
        size, frames = out.stat().st_size, 0
    wall = time.perf_counter() - began
    return {
        "wall": wall,
        "size": size,
        "frames": frames,
        "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "read": sum((Path(root) / k).stat().st_size if n is None else n for k, _, n in reader.calls),
    }


def _measure(mode: str, root: Path, clip_key: str, start: float, duration: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-mp4-out-") as out:
        args = json.dumps([mode, str(root), clip_key, start, duration, out])
        proc = subprocess.run(
            [sys.executable, "-m", "bench.mp4", "--worker", args], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
        return result


def run() -> list[str]:
    """Generate the recording, then for each window: stream-copy export vs re-encode; lines to print."""
    from tests.export.media import make_ts_source, write_clip

    lines = ["== bench.mp4: MP4 export (stream copy + edit list) vs libx264 veryfast re-encode =="]
    with tempfile.TemporaryDirectory(prefix="bench-mp4-") as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        src = make_ts_source(root, seconds=600, fps=15, size=(320, 180))
        lines.append(f"recording: 600 s, 320x180 15 fps TS, generated in {time.perf_counter() - began:.1f} s")
        for label, start, end in WINDOWS:
            for byte_range in (True, False):
                clip = write_clip(src, start, end, byte_range=byte_range, clip_id=f"b{int(start)}{byte_range}")
                copy = _measure("copy", root, clip.key, clip.start_offset, clip.duration)
                enc = _measure("encode", root, clip.key, clip.start_offset, clip.duration)
                mode = "byte-range" if byte_range else "plain"
                lines.append(
                    f"{label:>6} {mode:<10} copy: {copy['wall']:6.2f} s, python {copy['self_mb']:5.1f} MB, "
                    f"ffmpeg {copy['child_mb']:5.1f} MB, {copy['frames']:.0f} frames, "
                    f"{copy['size'] / 1e6:6.2f} MB out, {copy['read'] / 1e6:6.2f} MB read | "
                    f"re-encode: {enc['wall']:6.2f} s, ffmpeg {enc['child_mb']:5.1f} MB | "
                    f"{enc['wall'] / copy['wall']:5.1f}x faster, {enc['child_mb'] / copy['child_mb']:4.1f}x less memory"
                )
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(*json.loads(sys.argv[2]))))
    else:
        for line in run():
            print(line, flush=True)
