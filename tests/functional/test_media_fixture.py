"""The real-video recordings (session fixture and committed sample/) really look and decode like IVS ones.

Why: every clip test trusts these recordings; if their layout drifted from what IVS writes, or their byte
ranges did not decode, clip tests would pass against something IVS never produces.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.media import (
    SAMPLE_ROOT,
    Part,
    RecordingInfo,
    RenditionInfo,
    decode_hls,
    find_recordings,
    format_pdt,
    master_variants,
    parse_pdt,
    read_media_playlist,
)

PDT_RE = r"#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
EXTINF_RE = r"#EXTINF:\d+\.\d{3},"
TOLERANCE = 0.1


@pytest.fixture(params=["generated", "sample"])
def recording(request: pytest.FixtureRequest) -> RecordingInfo:
    return request.getfixturevalue("real_recording" if request.param == "generated" else "committed_sample_recording")


def ms(seconds: float) -> int:
    return round(seconds * 1000)


def events(rec: RecordingInfo, name: str) -> dict:
    text = (rec.path / "events" / name).read_text()
    assert not text.endswith("\n")
    return json.loads(text)


# --------------------------------------------------------------------------- layout


def test_sample_is_the_only_recording_in_sample_dir() -> None:
    assert len(find_recordings(SAMPLE_ROOT)) == 1
    assert (SAMPLE_ROOT / "README.md").is_file()


def test_prefix_is_ivs_shaped_and_not_zero_padded(recording: RecordingInfo) -> None:
    parts = recording.prefix.split("/")
    assert parts[:2] == ["ivs", "v1"] and len(parts) == 10
    assert re.fullmatch(r"\d{12}", parts[2])
    started = events(recording, "recording-started.json")["recording_started_at"]
    s = parse_pdt(started)
    assert parts[4:9] == [str(s.year), str(s.month), str(s.day), str(s.hour), str(s.minute)]
    assert all(p == str(int(p)) for p in parts[4:9])
    assert recording.path == recording.root / recording.prefix


def test_events_json(recording: RecordingInfo) -> None:
    started = events(recording, "recording-started.json")
    ended = events(recording, "recording-ended.json")
    arn = f"arn:aws:ivs:us-west-2:{recording.account_id}:channel/{recording.channel_id}"
    assert started["version"] == ended["version"] == "v1"
    assert started["channel_arn"] == ended["channel_arn"] == recording.channel_arn == arn
    assert started["recording_status"] == "RECORDING_STARTED"
    assert ended["recording_status"] == "RECORDING_ENDED"
    assert "recording_ended_at" not in started and "duration_ms" not in started["media"]["hls"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ended["recording_ended_at"])
    assert started["recording_started_at"] == ended["recording_started_at"]
    # The event time is the first PDT without its milliseconds (as in the real sample: .550 -> :41Z).
    assert parse_pdt(started["recording_started_at"]) == recording.start.replace(microsecond=0)
    for doc in (started, ended):
        hls = doc["media"]["hls"]
        assert (hls["path"], hls["playlist"], hls["byte_range_playlist"]) == (
            "media/hls",
            "master.m3u8",
            "byte-range-multivariant.m3u8",
        )
        for r in hls["renditions"]:
            assert set(r) == {"path", "playlist", "byte_range_playlist", "resolution_width", "resolution_height"}
            assert (recording.path / "media/hls" / r["path"] / r["playlist"]).is_file()
            assert (recording.path / "media/hls" / r["path"] / r["byte_range_playlist"]).is_file()
        assert doc["media"]["thumbnails"]["path"] == "media/thumbnails"
    names = [r["path"] for r in ended["media"]["hls"]["renditions"]]
    assert sorted(names) == sorted(r["path"] for r in started["media"]["hls"]["renditions"])
    assert len(names) == 2
    assert ended["media"]["hls"]["duration_ms"] == ms(recording.duration) == recording.duration_ms


def test_masters(recording: RecordingInfo) -> None:
    master = recording.master_path.read_text()
    byte_range = recording.byte_range_master_path.read_text()
    assert not master.endswith("\n") and not byte_range.endswith("\n")
    assert byte_range == master.replace("/playlist.m3u8", "/byte-range-variant.m3u8")
    lines = master.split("\n")
    assert lines[:3] == [
        "#EXTM3U",
        f'#EXT-X-SESSION-DATA:DATA-ID="net.live-video.content.id",VALUE="{recording.channel_id}"',
        f'#EXT-X-SESSION-DATA:DATA-ID="net.live-video.customer.id",VALUE="{recording.account_id}"',
    ]
    assert "#EXT-X-VERSION" not in master
    rest = lines[3:]
    assert len(rest) == 3 * len(recording.renditions)
    for i, r in enumerate(recording.renditions):
        media, inf, uri = rest[3 * i : 3 * i + 3]
        label = re.match(r"\d+p", r.name)
        assert media == (
            f'#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="{r.name}",NAME="{label.group(0) if label else r.name}",'
            "AUTOSELECT=YES,DEFAULT=YES"
        )
        assert re.fullmatch(
            rf'#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=\d+,CODECS="avc1\.4D40[0-9A-F]{{2}},mp4a\.40\.2",'
            rf'RESOLUTION={r.width}x{r.height},VIDEO="{r.name}"',
            inf,
        )
        assert uri == f"{r.name}/playlist.m3u8"
    variants = master_variants(recording.master_path)
    assert [v.path for v in variants] == [r.playlist_path.resolve() for r in recording.renditions]
    assert all(v.bandwidth > 0 for v in variants)


def check_playlist_text(r: RenditionInfo, rec: RecordingInfo) -> None:
    std = r.playlist_path.read_text()
    assert std.endswith("#EXT-X-ENDLIST\n")
    lines = std.splitlines()
    assert lines[:3] == ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:12"]
    assert re.fullmatch(r"#ID3-EQUIV-TDTG:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", lines[3])
    assert lines[4:8] == [
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-TWITCH-ELAPSED-SECS:0.000",
        f"#EXT-X-TWITCH-TOTAL-SECS:{rec.duration_ms / 1000:.3f}",
    ]
    body = lines[8:-1]
    assert len(body) == 3 * len(r.segments)
    for i, seg in enumerate(r.segments):
        pdt, inf, uri = body[3 * i : 3 * i + 3]
        assert re.fullmatch(PDT_RE, pdt) and re.fullmatch(EXTINF_RE, inf)
        assert uri == f"{i}.ts" == seg.uri

    br = r.byte_range_playlist_path.read_text()
    assert br.endswith("#EXT-X-ENDLIST\n")
    lines = br.splitlines()
    assert lines[:5] == [
        "#EXTM3U",
        "#EXT-X-VERSION:4",
        "#EXT-X-TARGETDURATION:12",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    assert "TWITCH" not in br and "ID3" not in br
    body = lines[5:-1]
    assert len(body) == 4 * len(r.parts)
    for i, part in enumerate(r.parts):
        pdt, inf, byterange, uri = body[4 * i : 4 * i + 4]
        assert re.fullmatch(PDT_RE, pdt) and re.fullmatch(EXTINF_RE, inf)
        assert byterange == f"#EXT-X-BYTERANGE:{part.length}@{part.offset}"
        assert uri == part.uri


def test_playlist_text_formats(recording: RecordingInfo) -> None:
    for r in recording.renditions:
        check_playlist_text(r, recording)


def heads(data: bytes, part: Part) -> list[bytes]:
    return [data[part.offset + i * 188 : part.offset + (i + 1) * 188] for i in range(3)]


def test_segment_files_and_byte_ranges_tile_each_ts(recording: RecordingInfo) -> None:
    for r in recording.renditions:
        folder = r.playlist_path.parent
        ts_files = sorted(p.name for p in folder.glob("*.ts"))
        assert sorted(ts_files) == sorted(f"{i}.ts" for i in range(len(r.segments)))
        for seg in r.segments:
            data = (folder / seg.uri).read_bytes()
            assert len(data) == seg.size
            offset = 0
            for part in seg.parts:
                assert part.uri == seg.uri
                assert part.offset == offset, f"{r.name}/{seg.uri}: gap or overlap at {offset}"
                assert part.length > 0 and part.length % 188 == 0
                # Every range is a self-contained TS piece: a PAT within its first packets, as in IVS.
                assert data[part.offset] == 0x47
                assert any(pkt[0] == 0x47 and ((pkt[1] & 0x1F) << 8 | pkt[2]) == 0 for pkt in heads(data, part))
                offset += part.length
            assert offset == seg.size
        assert r.parts[0].offset == 0


def test_pdt_follows_media_time(recording: RecordingInfo) -> None:
    for r in recording.renditions:
        for kind in (r.playlist_path, r.byte_range_playlist_path):
            entries = read_media_playlist(kind)
            assert parse_pdt(str(entries[0].pdt)) == recording.start
            for a, b in itertools.pairwise(entries):
                assert parse_pdt(str(b.pdt)) == parse_pdt(str(a.pdt)) + timedelta(milliseconds=ms(a.duration))
        for seg in r.segments:
            assert seg.pdt == seg.parts[0].pdt
            assert ms(seg.duration) == sum(ms(p.duration) for p in seg.parts)
            assert format_pdt(seg.pdt) == format_pdt(recording.start + timedelta(seconds=seg.start))
        std_total = sum(ms(s.duration) for s in r.segments)
        br_total = sum(ms(p.duration) for p in r.parts)
        assert std_total == br_total == recording.duration_ms
        assert max(s.duration for s in r.segments) <= 12
        assert all(0 < p.duration <= 2 for p in r.parts)
        assert r.segments[-1].duration < 10  # the last segment is short, as in real recordings


def test_renditions_share_timing_but_not_offsets(recording: RecordingInfo) -> None:
    a, b = recording.renditions
    assert [(p.duration, p.pdt, p.uri) for p in a.parts] == [(p.duration, p.pdt, p.uri) for p in b.parts]
    assert [p.length for p in a.parts] != [p.length for p in b.parts]
    assert 1.0 in {p.duration for p in a.parts}
    assert len({p.duration for p in a.parts}) > 1, "some parts must not be exactly 1 s"


def test_thumbnails(recording: RecordingInfo) -> None:
    assert recording.thumbnail_keys
    names = [Path(k).name for k in recording.thumbnail_keys]
    assert names == [f"thumb{i}.jpg" for i in range(len(names))]
    for key in recording.thumbnail_keys:
        assert (recording.root / key).read_bytes()[:3] == b"\xff\xd8\xff"


def test_sample_size_is_reasonable(committed_sample_recording: RecordingInfo) -> None:
    size = sum(p.stat().st_size for p in committed_sample_recording.path.rglob("*") if p.is_file())
    assert 1_000_000 < size < 5_000_000
    assert 35 <= committed_sample_recording.duration <= 45


# --------------------------------------------------------------------------- real decoding


def assert_decodes(playlist: Path, expected: float, r: RenditionInfo, variant: str | None = None) -> None:
    d = decode_hls(playlist, variant=variant)
    assert d.ok, d.errors
    assert not d.warnings, d.warnings
    assert d.max_video_gap < 0.001
    assert (d.width, d.height) == (r.width, r.height)
    assert abs(d.duration - expected) <= TOLERANCE, (playlist, d.duration, expected)
    assert d.audio_duration is not None and abs(d.audio_duration - expected) <= TOLERANCE


@pytest.mark.slow
def test_whole_recording_decodes_in_both_modes(recording: RecordingInfo) -> None:
    for r in recording.renditions:
        assert_decodes(r.playlist_path, recording.duration, r)
        assert_decodes(r.byte_range_playlist_path, recording.duration, r)
        assert_decodes(recording.master_path, recording.duration, r, variant=r.name)
        assert_decodes(recording.byte_range_master_path, recording.duration, r, variant=r.name)
    # Without a variant, a master decodes its first variant.
    assert decode_hls(recording.master_path).width == recording.renditions[0].width


@pytest.mark.slow
def test_byte_range_subset_with_relative_uris_decodes_only_that_window(real_recording: RecordingInfo) -> None:
    """A clip-shaped output: master + media playlists elsewhere in the bucket, `../../ivs/...` URIs,
    byte ranges that start mid-file and cross a .ts boundary. The decoder must honour the ranges."""
    out = real_recording.root / "clips" / "c1"
    out.mkdir(parents=True)
    up = "../../" + real_recording.prefix + "/media/hls"
    full = decode_hls(real_recording.renditions[0].playlist_path)
    master = ["#EXTM3U", "#EXT-X-VERSION:4"]
    for r in real_recording.renditions:
        window = r.parts[5:14]
        assert window[0].uri != window[-1].uri
        lines = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD"]
        for p in window:
            lines += [f"#EXTINF:{p.duration:.3f},", f"#EXT-X-BYTERANGE:{p.length}@{p.offset}"]
            lines.append(f"{up}/{r.name}/{p.uri}")
        lines.append("#EXT-X-ENDLIST")
        (out / f"{r.name}.m3u8").write_text("\n".join(lines) + "\n")
        master += [f"#EXT-X-STREAM-INF:BANDWIDTH={r.bandwidth},RESOLUTION={r.width}x{r.height}", f"{r.name}.m3u8"]
        expected = sum(p.duration for p in window)
        d = decode_hls(out / f"{r.name}.m3u8")
        assert d.ok and not d.warnings, (d.errors, d.warnings)
        assert abs(d.duration - expected) <= TOLERANCE
        assert full.first_pts is not None and d.first_pts is not None
        assert abs((d.first_pts - full.first_pts) - window[0].start) <= 0.05
        assert all(Path(u).name in {"0.ts", "1.ts"} for u in d.opened)
    (out / "clip.m3u8").write_text("\n".join(master) + "\n")
    for r in real_recording.renditions:
        d = decode_hls(out / "clip.m3u8", variant=r.name)
        assert d.ok and (d.width, d.height) == (r.width, r.height)
        assert abs(d.duration - sum(p.duration for p in r.parts[5:14])) <= TOLERANCE


@pytest.mark.slow
def test_decode_reports_missing_segments(real_recording: RecordingInfo) -> None:
    """decode_hls must not hide a broken playlist: a missing .ts shows up as an error or a short decode."""
    r = real_recording.renditions[1]
    text = r.playlist_path.read_text().replace("\n1.ts\n", "\nmissing.ts\n")
    broken = r.playlist_path.parent / "broken.m3u8"
    broken.write_text(text)
    try:
        d = decode_hls(broken)
    finally:
        broken.unlink()
    assert not d.ok and any("Failed to open segment" in e for e in d.errors)
    assert d.max_video_gap > 5
    assert d.video_frames < round(real_recording.duration * 15) - 5 * 15
