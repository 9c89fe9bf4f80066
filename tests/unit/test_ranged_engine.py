"""The ranged path (blocks of a random-access source) against the whole-text path.

Both are run with ``numbering="clip"`` (the ranged path cannot count the prefix); the clip must
be byte-identical either way, on the general generated recordings (most of which send the
ranged path back to the whole text) and on long plain IVS-like ones (which it clips from blocks).
"""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clipping import ClipError, ClipRequest, clip_recording, ranged
from clipping.source import BlockCache, BlockText, read_all
from tests.support.playlists_strategies import OUTPUT_MASTER, Recording, format_pdt, recordings, windows

SETTINGS = settings(
    max_examples=80, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


class Counted:
    """A reader of BlockText sources over in-memory bytes, counting the bytes it hands out."""

    def __init__(self, files: dict[str, str], block: int) -> None:
        self.data = {path: text.encode() for path, text in files.items()}
        self.block = block
        self.read_bytes = 0
        self.cache = BlockCache(64 * block)
        self.sources: dict[str, BlockText] = {}

    def __call__(self, path: str) -> BlockText:
        if path not in self.data:
            raise FileNotFoundError(path)
        if path not in self.sources:
            body = self.data[path]
            self.sources[path] = BlockText(path, self._fetch(body), self._tail(body), self.cache, self.block)
        return self.sources[path]

    def _fetch(self, body: bytes) -> Callable[[int, int], bytes]:
        def fetch(start: int, length: int) -> bytes:
            self.read_bytes += len(body[start : start + length])
            return body[start : start + length]

        return fetch

    def _tail(self, body: bytes) -> Callable[[int], tuple[bytes, int]]:
        def tail(length: int) -> tuple[bytes, int]:
            self.read_bytes += min(length, len(body))
            return body[-length:], len(body)

        return tail


def _both(rec: Recording, start: object, end: object, boundary: str, block: int) -> tuple[object, object, Counted]:
    request = ClipRequest.from_values(start, end, boundary=boundary)  # type: ignore[arg-type]
    results: list[object] = []
    counted = Counted(rec.files, block)
    for read in (rec.read, counted):
        try:
            clip = clip_recording(rec.master_path, request, read, OUTPUT_MASTER, numbering="clip")
            results.append((clip.playlists, clip.summary()))
        except ClipError as exc:
            results.append((type(exc), exc.message))
    return results[0], results[1], counted


@SETTINGS
@given(st.data())
def test_ranged_and_whole_paths_give_byte_identical_clips(data: st.DataObject) -> None:
    rec = data.draw(recordings())
    window = data.draw(windows(rec))
    boundary = data.draw(st.sampled_from(["outer", "inner", "nearest"]))
    block = data.draw(st.sampled_from([64, 256, 4096]))
    with mock.patch.object(ranged, "MIN_RANGED_SIZE", 0), mock.patch.object(ranged, "_STEP_BACK", 128):
        whole, from_blocks, _ = _both(rec, window.start, window.end, boundary, block)
    assert whole == from_blocks


@st.composite
def plain_recordings(draw: st.DrawFn) -> Recording:
    """IVS-like: a date on every part, explicit byte ranges, LF; gaps and discontinuities between periods."""
    base = draw(st.integers(1_600_000_000, 1_800_000_000)) * 1_000_000
    periods = draw(st.integers(1, 3))
    counts = [draw(st.integers(20, 400)) for _ in range(periods)]
    gaps = [draw(st.sampled_from([0, 7_500_000, 60_000_000])) for _ in range(periods)]
    names = ["a", "b", "c"][: draw(st.integers(2, 3))]
    files = {"rec/master.m3u8": "#EXTM3U\n" + "".join(f"#EXT-X-STREAM-INF:BANDWIDTH=1\n{n}/p.m3u8\n" for n in names)}
    durations = (2_000_000, 1_967_000, 2_033_000, 2_067_000, 1_933_000)
    for k, name in enumerate(names):
        lines = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:3", "#EXT-X-MEDIA-SEQUENCE:5"]
        clock, n = base, 0
        for p, count in enumerate(counts):
            clock += gaps[p] if p else 0
            for i in range(count):
                if p and i == 0:
                    lines.append("#EXT-X-DISCONTINUITY")
                d = durations[n % 5]
                iso = format_pdt(clock, "Z")
                lines += [f"#EXT-X-PROGRAM-DATE-TIME:{iso}", f"#EXTINF:{d / 1e6:.3f},"]
                lines += [f"#EXT-X-BYTERANGE:{1000 + 7 * n + k}@{(n % 5) * 9000}", f"{n // 5}.ts"]
                clock += d
                n += 1
        files[f"rec/{name}/p.m3u8"] = "\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n"
    total = sum(counts)
    return Recording(
        files,
        "rec/master.m3u8",
        tuple(f"rec/{n}/p.m3u8" for n in names),
        True,
        "every",
        False,
        True,
        base,
        clock,
        (),
        (),
        (),
        f"{total} parts",
    )


@SETTINGS
@given(plain_recordings(), st.data())
def test_plain_long_recordings_are_clipped_from_blocks(rec: Recording, data: st.DataObject) -> None:
    span = rec.last_us - rec.first_us
    start = data.draw(st.integers(0, span - 1))
    end = data.draw(st.integers(start + 1, min(span, start + 120_000_000)))
    boundary = data.draw(st.sampled_from(["outer", "inner", "nearest"]))
    with mock.patch.object(ranged, "MIN_RANGED_SIZE", 0):
        whole, from_blocks, counted = _both(rec, start / 1e6, end / 1e6, boundary, 1024)
    assert whole == from_blocks
    total = sum(len(v) for v in counted.data.values())
    if total > 40 * 1024 * (len(rec.rendition_paths) + 1):  # long enough that blocks must be cheaper
        assert counted.read_bytes < total / 2, (counted.read_bytes, total)


def test_clip_numbering_starts_at_zero_in_every_rendition() -> None:
    text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:40\n"
    text += "#EXT-X-DISCONTINUITY-SEQUENCE:3\n"
    for i in range(6):
        if i == 3:
            text += "#EXT-X-DISCONTINUITY\n"
        text += f"#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:{2 * i:02d}.000Z\n#EXTINF:2.000,\n{i}.ts\n"
    text += "#EXT-X-ENDLIST\n"
    master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nb.m3u8\n"
    files = {"r/m.m3u8": master, "r/a.m3u8": text, "r/b.m3u8": text}
    for numbering, media_seq, disc_seq in (("source", "42", "3"), ("clip", "0", None)):
        clip = clip_recording(
            "r/m.m3u8", ClipRequest.from_values(4, 10), files.__getitem__, "c/x.m3u8", numbering=numbering
        )  # type: ignore[arg-type]
        for path in ("c/x/a.m3u8", "c/x/b.m3u8"):
            lines = clip.playlists[path].splitlines()
            assert f"#EXT-X-MEDIA-SEQUENCE:{media_seq}" in lines
            found = [line for line in lines if line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE")]
            assert found == ([f"#EXT-X-DISCONTINUITY-SEQUENCE:{disc_seq}"] if disc_seq else [])
            assert lines.count("#EXT-X-DISCONTINUITY") == 1  # the one inside the clip is kept


def _playlist(segments: list[tuple[float, float, bool]]) -> str:
    """(start s, duration s, discontinuity before) per segment, dated on every one."""
    body = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
    for i, (start, duration, disc) in enumerate(segments):
        body += "#EXT-X-DISCONTINUITY\n" if disc else ""
        body += f"#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:{start:06.3f}Z\n#EXTINF:{duration:.3f},\ns{i}.ts\n"
    return body + "#EXT-X-ENDLIST\n"


def test_a_rendition_starting_after_a_discontinuity_the_others_hold_is_numbered_one() -> None:
    a = _playlist([(0, 2, False), (2, 2, False), (4, 2, False), (6, 2, True), (8, 2, False)])
    b = _playlist([(0, 2, False), (2, 2, False), (4, 1.5, False), (6, 2, True), (8, 2, False)])  # ends early
    master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nb.m3u8\n"
    files = {"r/m.m3u8": master, "r/a.m3u8": a, "r/b.m3u8": b}
    request = ClipRequest.from_values(5.5, 7)
    clip = clip_recording("r/m.m3u8", request, files.__getitem__, "c/x.m3u8", numbering="clip")
    out_a, out_b = clip.playlists["c/x/a.m3u8"], clip.playlists["c/x/b.m3u8"]
    assert "#EXT-X-DISCONTINUITY-SEQUENCE" not in out_a and "\n#EXT-X-DISCONTINUITY\n" in out_a
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:1" in out_b  # its first segment is the content a numbers 1
    assert "\n#EXT-X-DISCONTINUITY\n" not in out_b


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(min_size=0, max_size=300), st.integers(1, 17), st.integers(0, 320), st.integers(0, 320))
def test_block_text_reads_what_slicing_reads_across_multibyte_edges(text: str, block: int, a: int, b: int) -> None:
    body = text.encode("utf-8")
    src = BlockText(
        "k", lambda s, n: body[s : s + n], lambda n: (body[-n:] if n else b"", len(body)), BlockCache(4 * block), block
    )
    assert src.read(min(a, b), max(a, b)) == body[min(a, b) : max(a, b)]
    assert src.size == len(body)
    assert read_all(src).decode("utf-8") == text


def test_block_cache_stays_within_its_capacity() -> None:
    cache = BlockCache(1000)
    for i in range(50):
        cache.put(("k", i), b"x" * 100)
    assert cache.held <= 1000
    assert cache.get(("k", 49)) is not None and cache.get(("k", 0)) is None
