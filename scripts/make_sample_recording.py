"""Regenerate the bundled sample recording in sample/ (real H.264/AAC video laid out as IVS writes to S3).

Why: `make run` and the docs need a recording anyone can clip without an AWS account, and the tests check
that the committed copy still has the exact IVS layout. Names and times are fixed so reruns only change
the encoded bytes (if ffmpeg changes).
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.media import make_ivs_recording  # noqa: E402

SAMPLE_ROOT = REPO_ROOT / "sample"
SECONDS = 40
FPS = 30
RENDITIONS: list[tuple[str, int, int, int]] = [("360p30", 640, 360, 350), ("160p30", 284, 160, 90)]
START = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
ACCOUNT_ID = "111122223333"
CHANNEL_ID = "SampleChan01"
RECORDING_ID = "SampleRec001"


def main() -> int:
    shutil.rmtree(SAMPLE_ROOT / "ivs", ignore_errors=True)
    began = time.monotonic()
    info = make_ivs_recording(
        SAMPLE_ROOT,
        seconds=SECONDS,
        renditions=RENDITIONS,
        fps=FPS,
        segment_seconds=10,
        part_seconds=1,
        start=START,
        account_id=ACCOUNT_ID,
        channel_id=CHANNEL_ID,
        recording_id=RECORDING_ID,
        region="us-west-2",
        thumbnails_every=10,
        audio_kbps=48,
    )
    size = sum(p.stat().st_size for p in info.path.rglob("*") if p.is_file())
    print(f"{info.master_key}: {info.duration:.3f} s, {len(info.renditions)} renditions")
    print(f"{size / 1e6:.2f} MB ({size} bytes), made in {time.monotonic() - began:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
