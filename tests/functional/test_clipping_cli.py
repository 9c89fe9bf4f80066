"""``python -m clipping clip``: clips a recording on disk for people and batch jobs."""

import json
import subprocess
import sys
from pathlib import Path

from tests.support.playlists import ROOT, media, recording, segs


def write_recording(root: Path) -> Path:
    for key, text in recording({"720p30": media(segs(5)), "160p30": media(segs(5))}).items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_text(text)
    return root / ROOT / "master.m3u8"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clipping", *args], capture_output=True, text=True, check=False)


def test_cli_writes_the_clip_with_uris_relative_to_the_output_directory(tmp_path):
    source = write_recording(tmp_path / "rec")
    done = run("clip", str(source), "--start", "12", "--end", "25", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["duration"] == 20.0 and len(summary["renditions"]) == 2
    rendition = (tmp_path / "out" / "clip" / "720p30.m3u8").read_text()
    first_uri = next(x for x in rendition.splitlines() if x.endswith(".ts"))
    assert (tmp_path / "out" / "clip" / first_uri).resolve() == (source.parent / "720p30" / "1.ts").resolve()
    assert (tmp_path / "out" / "clip.m3u8").read_text().count("clip/") == 2


def test_cli_reports_errors_on_stderr_with_exit_code_2(tmp_path):
    source = write_recording(tmp_path / "rec")
    done = run("clip", str(source), "--start", "40", "--end", "90", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "not inside the recording" in done.stderr and done.stdout == ""


def test_cli_reports_a_missing_source_on_stderr(tmp_path):
    done = run("clip", str(tmp_path / "none.m3u8"), "--start", "0", "--end", "1", "--out", str(tmp_path))
    assert done.returncode == 2 and "not found" in done.stderr


def test_cli_refuses_an_extreme_date_with_exit_code_2_and_one_line(tmp_path):
    source = write_recording(tmp_path / "rec")
    done = run("clip", str(source), "--start", "9999-12-31T23:59:58-23:59", "--end", "1", "--out", str(tmp_path))
    assert done.returncode == 2 and "start_time" in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def test_cli_reports_a_missing_rendition_with_exit_code_2_and_one_line(tmp_path):
    source = write_recording(tmp_path / "rec")
    (source.parent / "160p30" / "playlist.m3u8").unlink()
    done = run("clip", str(source), "--start", "0", "--end", "5", "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "not found" in done.stderr and len(done.stderr.splitlines()) == 1
