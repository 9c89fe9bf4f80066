"""Hypothesis strategies for generated IVS-like recordings, and small reference parsers for them.

A generated recording is a master plus 2–4 media playlists that share their timing (EXTINF, program
date times, discontinuities) but differ in file layout and byte ranges, written in the many legal
shapes the clip engine must read: several EXTINF formats, a date on every segment or only on the
first one and after each discontinuity, date gaps, init sections that change after a discontinuity,
byte ranges with and without offsets, tags in any legal order, comments, CRLF.

The reference parsers here are deliberately slow and simple: they read every line and keep no state
beyond the previous segment, so the tests can compare the engine against them.
"""

from __future__ import annotations

import posixpath
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

US = 1_000_000
MS = 1_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MASTER_PATH = "rec/media/hls/master.m3u8"
OUTPUT_MASTER = "clips/out/clip.m3u8"
NAMES = ("720p30", "480p30", "360p30", "160p30")


# --------------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------------


def format_extinf(duration_us: int, style: str) -> str:
    """A decimal EXTINF duration written in one of several styles (exact for the given µs)."""
    whole, frac = divmod(duration_us, US)
    if style == "us" or frac % MS:
        return f"{whole}.{frac:06d}"
    if style == "ms":
        return f"{whole}.{frac // MS:03d}"
    if style == "ms6":
        return f"{whole}.{frac // MS:03d}000"
    digits = f"{frac // MS:03d}".rstrip("0")  # "trim": 10.5, 2, 1.25
    return f"{whole}.{digits}" if digits else str(whole)


def format_pdt(epoch_us: int, style: str) -> str:
    """A program date time in one of several legal ISO 8601 shapes (exact for the given µs)."""
    zone = {"Z": ("Z", 0), "+00:00": ("+00:00", 0), "-0400": ("-0400", -4 * 3600), "+0530": ("+05:30", 19800)}
    suffix, offset_s = zone[style.split("/")[0]]
    local = EPOCH + timedelta(microseconds=epoch_us) + timedelta(seconds=offset_s)
    frac = epoch_us % US
    fraction = f".{frac:06d}" if style.endswith("/us") or frac % MS else f".{frac // MS:03d}"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + fraction + suffix


def parse_pdt_us(value: str) -> int:
    """Epoch µs of a program date time (reference implementation, stdlib only)."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def extinf_line_us(line: str) -> int:
    """µs of an ``#EXTINF:<d>,[title]`` line."""
    raw = line[len("#EXTINF:") :].split(",", 1)[0]
    return round(float(raw) * US)


# --------------------------------------------------------------------------------------------
# Generated recordings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """A generated recording: storage contents plus what the generator knows about it."""

    files: dict[str, str]
    master_path: str
    rendition_paths: tuple[str, ...]
    dated: bool
    pdt_mode: str  # "every", "first" (first segment and after discontinuities) or "none"
    uses_map: bool
    uses_ranges: bool
    first_us: int  # first segment start (epoch µs when dated, else 0)
    last_us: int  # end of the last segment
    starts_us: tuple[int, ...]  # each segment's start on the recording clock
    durations_us: tuple[int, ...]
    discontinuities: tuple[bool, ...]
    description: str = field(default="", compare=False)

    def read(self, path: str) -> str:
        """In-memory storage: a dict lookup that raises FileNotFoundError for absent keys."""
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(path) from None


@dataclass(frozen=True)
class _Layout:
    """Shared timing of all renditions."""

    durations_us: list[int]
    extinf_styles: list[str]
    titles: list[str]
    starts_us: list[int]
    discontinuities: list[bool]
    periods: list[int]  # period number of each segment


@st.composite
def _layout(draw: st.DrawFn, pdt_mode: str) -> _Layout:
    n_periods = draw(st.integers(1, 3))
    sub_ms = draw(st.booleans())
    unit = st.integers(300, 12_000).map(lambda ms: ms * MS)
    if sub_ms:
        unit = st.integers(300_000, 12_000_000)
    base = draw(st.integers(1_600_000_000, 1_800_000_000)) * US + draw(st.integers(0, 999)) * MS
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    durations: list[int] = []
    styles: list[str] = []
    titles: list[str] = []
    starts: list[int] = []
    discs: list[bool] = []
    periods: list[int] = []
    clock = base if pdt_mode != "none" else 0
    for period in range(n_periods):
        count = draw(st.one_of(st.integers(1, 8), st.integers(9, 60)))
        if period > 0:
            # a reconnect: a discontinuity, with a date jump when dated
            clock += draw(st.sampled_from([0, 0, 1, 500, 2_000, 60_000])) * MS if pdt_mode != "none" else 0
        for i in range(count):
            if i > 0 and pdt_mode == "every" and draw(st.integers(0, 9)) == 0:
                # a small date gap or jump without a discontinuity tag (merged recordings)
                clock += draw(st.sampled_from([1, 17, 3_000])) * MS
            duration = draw(unit)
            durations.append(duration)
            styles.append(rnd.choice(["ms", "ms6", "trim", "us"]))
            titles.append(rnd.choice(["", "", "", "title"]))
            starts.append(clock)
            discs.append(period > 0 and i == 0)
            periods.append(period)
            clock += duration
    return _Layout(durations, styles, titles, starts, discs, periods)


def _block(rnd: random.Random, tags: list[str], extinf: str, pdt: str | None, rng: str | None) -> list[str]:
    """The tag lines of one segment, in a legal random order (PDT/EXTINF/BYTERANGE may be in any order)."""
    movable = [f"#EXTINF:{extinf}"]
    if pdt is not None:
        movable.append(f"#EXT-X-PROGRAM-DATE-TIME:{pdt}")
    if rng is not None:
        movable.append(f"#EXT-X-BYTERANGE:{rng}")
    if rnd.random() < 0.3:
        rnd.shuffle(movable)
    lines = list(tags)
    if rnd.random() < 0.1:
        lines.append(rnd.choice(["# a comment", "", "#ID3-EQUIV-TDTG:2023-02-09T22:58:35"]))
    lines.extend(movable)
    return lines


@st.composite
def _media_playlist(
    draw: st.DrawFn, layout: _Layout, pdt_mode: str, uses_map: bool, uses_ranges: bool, disc_seq: int
) -> str:
    pdt_style = draw(st.sampled_from(["Z", "Z/us", "+00:00", "-0400", "+0530"]))
    # -1: a source that breaks the rounding rule (EXTINF 11.5 with TARGETDURATION 11), which the clip must fix
    target = max(1, max((d + US // 2) // US for d in layout.durations_us) + draw(st.sampled_from([-1, 0, 0, 1])))
    version = 6 if uses_map else (4 if uses_ranges else 3)
    head = ["#EXTM3U", f"#EXT-X-VERSION:{version + draw(st.integers(0, 1))}", f"#EXT-X-TARGETDURATION:{target}"]
    if draw(st.booleans()):
        head.append("#ID3-EQUIV-TDTG:2023-02-09T22:58:35")
    head.append(draw(st.sampled_from(["#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD", ""])))
    media_seq = draw(st.integers(0, 3))
    if media_seq or draw(st.booleans()):
        head.append(f"#EXT-X-MEDIA-SEQUENCE:{media_seq}")
    if disc_seq:
        head.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{disc_seq}")
    if draw(st.booleans()):
        head += ["#EXT-X-TWITCH-ELAPSED-SECS:0.000", "#EXT-X-TWITCH-TOTAL-SECS:171.546"]
    head = [line for line in head if line]

    # per-segment cosmetics and byte layout come from a seeded generator: drawing each of them
    # through hypothesis makes generation ten times slower
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    body: list[str] = []
    ext = "mp4" if uses_map else "ts"
    file_no = -1
    left_in_file = 0
    offset = 0
    map_range = draw(st.booleans()) if uses_map and uses_ranges else False
    for i, duration in enumerate(layout.durations_us):
        new_period = i == 0 or layout.discontinuities[i]
        tags: list[str] = []
        if layout.discontinuities[i]:
            tags.append("#EXT-X-DISCONTINUITY")
        rng: str | None = None
        if uses_ranges:
            if new_period or left_in_file == 0:
                file_no += 1
                left_in_file = rnd.randint(1, 5)
                offset = rnd.choice([0, 0, 188, 4_096])
                if uses_map and map_range and new_period:
                    init_len = rnd.randint(500, 900)
                    tags.append(f'#EXT-X-MAP:URI="f{file_no}.{ext}",BYTERANGE="{init_len}@{offset}"')
                    offset += init_len
                elif uses_map and new_period:
                    tags.append(f'#EXT-X-MAP:URI="init-{layout.periods[i]}.mp4"')
                length = rnd.randint(1_000, 400_000)
                rng = f"{length}@{offset}"
            else:
                length = rnd.randint(1_000, 400_000)
                rng = f"{length}" if rnd.random() < 0.5 else f"{length}@{offset}"
            left_in_file -= 1
            offset += length
            uri = f"f{file_no}.{ext}"
        else:
            if uses_map and new_period:
                tags.append(f'#EXT-X-MAP:URI="init-{layout.periods[i]}.mp4"')
            uri = f"s{i}.{'m4s' if uses_map else 'ts'}"
        dated_here = pdt_mode == "every" or (pdt_mode == "first" and new_period)
        pdt = format_pdt(layout.starts_us[i], pdt_style) if dated_here else None
        title = layout.titles[i]
        extinf = format_extinf(duration, layout.extinf_styles[i]) + "," + title
        body += _block(rnd, tags, extinf, pdt, rng)
        body.append(uri)
    body.append("#EXT-X-ENDLIST")
    newline = draw(st.sampled_from(["\n", "\n", "\n", "\r\n"]))
    return newline.join(head + body) + draw(st.sampled_from([newline, ""]))


def _master(names: list[str], byte_ranges: bool) -> str:
    lines = [
        "#EXTM3U",
        '#EXT-X-SESSION-DATA:DATA-ID="net.live-video.content.id",VALUE="abc"',
    ]
    for k, name in enumerate(names):
        lines.append(f'#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="{name}",NAME="{name}",AUTOSELECT=YES,DEFAULT=YES')
        lines.append(
            f'#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH={2_000_000 // (k + 1)},CODECS="avc1.4D401F,mp4a.40.2",'
            f'VIDEO="{name}"'
        )
        lines.append(f"{name}/{'byte-range-variant' if byte_ranges else 'playlist'}.m3u8")
    return "\n".join(lines)


@st.composite
def recordings(draw: st.DrawFn) -> Recording:
    """A multi-rendition recording with shared timing and per-rendition byte layouts."""
    pdt_mode = draw(st.sampled_from(["every", "every", "first", "first", "none"]))
    uses_map = draw(st.booleans())
    uses_ranges = draw(st.booleans())
    layout = draw(_layout(pdt_mode))
    n = draw(st.integers(2, 4))
    names = list(NAMES[:n])
    disc_seq = draw(st.sampled_from([0, 0, 2]))
    files = {MASTER_PATH: _master(names, uses_ranges)}
    paths = []
    for name in names:
        path = f"rec/media/hls/{name}/{'byte-range-variant' if uses_ranges else 'playlist'}.m3u8"
        files[path] = draw(_media_playlist(layout, pdt_mode, uses_map, uses_ranges, disc_seq))
        paths.append(path)
    last = layout.starts_us[-1] + layout.durations_us[-1]
    return Recording(
        files=files,
        master_path=MASTER_PATH,
        rendition_paths=tuple(paths),
        dated=pdt_mode != "none",
        pdt_mode=pdt_mode,
        uses_map=uses_map,
        uses_ranges=uses_ranges,
        first_us=layout.starts_us[0],
        last_us=last,
        starts_us=tuple(layout.starts_us),
        durations_us=tuple(layout.durations_us),
        discontinuities=tuple(layout.discontinuities),
        description=f"{n} renditions, pdt={pdt_mode}, map={uses_map}, ranges={uses_ranges}",
    )


# --------------------------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A requested window: the values given to the engine and the instants they mean."""

    start: int | float | str
    end: int | float | str
    start_us: int  # on the recording clock (epoch µs when dated, else µs from 0)
    end_us: int


def _time_value(draw: st.DrawFn, rec: Recording, instant_us: int) -> int | float | str:
    """Write an instant as relative seconds, relative text, epoch seconds or ISO text."""
    rel = instant_us - rec.first_us
    kinds = ["relative", "relative-text"] + (["epoch", "iso"] if rec.dated else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "iso":
        return format_pdt(instant_us, draw(st.sampled_from(["Z/us", "+00:00", "-0400"])))
    us = rel if kind.startswith("relative") else instant_us
    text = f"{us // US}.{us % US:06d}"
    value: float | str = text if kind == "relative-text" else float(text)
    if round(float(text) * US) != us:  # a float cannot carry it exactly: fall back to ISO or text
        return format_pdt(instant_us, "Z/us") if rec.dated else text
    return value


@st.composite
def windows(draw: st.DrawFn, rec: Recording) -> Window:
    """A window inside the recording, with edges often exactly on segment boundaries."""
    edges = sorted({*rec.starts_us, *(s + d for s, d in zip(rec.starts_us, rec.durations_us, strict=True))})
    point = st.one_of(
        st.sampled_from(edges),
        st.integers(rec.first_us, rec.last_us),
        st.integers(rec.first_us // MS, rec.last_us // MS).map(lambda ms: ms * MS),
    )
    a = draw(point.filter(lambda p: rec.first_us <= p <= rec.last_us))
    b = draw(point.filter(lambda p: rec.first_us <= p <= rec.last_us and p != a))
    start, end = min(a, b), max(a, b)
    return Window(_time_value(draw, rec, start), _time_value(draw, rec, end), start, end)


# --------------------------------------------------------------------------------------------
# Reference parsing (line based, simple)
# --------------------------------------------------------------------------------------------


@dataclass
class RefSegment:
    """One segment of a media playlist as read by the simple reference parser."""

    index: int
    path: str  # storage path of the URI, resolved against the playlist
    extinf: str  # the whole #EXTINF line
    duration_us: int
    pdt: str | None  # the whole #EXT-X-PROGRAM-DATE-TIME line
    raw_range: str | None  # the BYTERANGE value as written
    range: tuple[int, int] | None  # (length, absolute offset)
    discontinuity: bool
    map: tuple[str, str | None] | None  # init section in force: (storage path, BYTERANGE attribute)
    start_us: int | None = None

    @property
    def end_us(self) -> int | None:
        return None if self.start_us is None else self.start_us + self.duration_us

    @property
    def key(self) -> tuple[str, int | None]:
        """What identifies the segment's media: its file and absolute offset."""
        return (self.path, self.range[1] if self.range else None)


@dataclass
class RefPlaylist:
    """A media playlist as read by the reference parser."""

    path: str
    tags: list[str]  # every tag line outside segment blocks' EXTINF/PDT/BYTERANGE/URI, in order
    segments: list[RefSegment]
    header: dict[str, str]  # header tag -> value, for tags before the first segment
    counts: dict[str, int]  # how many times each tag name occurs
    dated: bool
    first_block_tags: list[str]  # tags between the header and the first URI (MAP, PDT, ...)


def resolve_uri(playlist_path: str, uri: str) -> str:
    """Storage path of a relative URI in the playlist at ``playlist_path``."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(playlist_path), uri))


def _attr(line: str, name: str) -> str | None:
    marker = f'{name}="'
    pos = line.find(marker)
    if pos == -1:
        return None
    end = line.find('"', pos + len(marker))
    return line[pos + len(marker) : end]


def parse_media(text: str, path: str) -> RefPlaylist:
    """Read a media playlist line by line: resolve implied byte ranges and compute segment times."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    segments: list[RefSegment] = []
    header: dict[str, str] = {}
    counts: dict[str, int] = {}
    tags: list[str] = []
    first_block: list[str] = []
    pending: dict[str, str | None] = {}
    disc = False
    current_map: tuple[str, str | None] | None = None
    last_range_end: dict[str, int] = {}
    previous_path: str | None = None
    for line in lines:
        if not line:
            continue
        if line.startswith("#"):
            name = line.split(":", 1)[0]
            counts[name] = counts.get(name, 0) + 1
            if not segments:
                first_block.append(line)
            if line.startswith("#EXTINF:"):
                pending["extinf"] = line
            elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
                pending["pdt"] = line
            elif line.startswith("#EXT-X-BYTERANGE:"):
                pending["range"] = line.split(":", 1)[1]
            elif line == "#EXT-X-DISCONTINUITY":
                disc = True
            elif line.startswith("#EXT-X-MAP:"):
                uri = _attr(line, "URI")
                assert uri is not None, line
                current_map = (resolve_uri(path, uri), _attr(line, "BYTERANGE"))
            else:
                tags.append(line)
                if not segments and "extinf" not in pending and ":" in line:
                    header[name] = line.split(":", 1)[1]
                elif not segments and "extinf" not in pending:
                    header[name] = ""
            continue
        seg_path = resolve_uri(path, line)
        extinf = pending.get("extinf")
        assert extinf is not None, f"segment {line} without EXTINF"
        raw = pending.get("range")
        rng: tuple[int, int] | None = None
        if raw is not None:
            length_s, _, off_s = raw.partition("@")
            if off_s:
                off = int(off_s)
            else:
                assert previous_path == seg_path, "offset-less range after another resource"
                off = last_range_end[seg_path]
            rng = (int(length_s), off)
            last_range_end[seg_path] = off + int(length_s)
        segments.append(
            RefSegment(
                index=len(segments),
                path=seg_path,
                extinf=extinf,
                duration_us=extinf_line_us(extinf),
                pdt=pending.get("pdt"),
                raw_range=raw,
                range=rng,
                discontinuity=disc,
                map=current_map,
            )
        )
        previous_path = seg_path
        pending = {}
        disc = False
    dated = any(s.pdt for s in segments)
    previous: RefSegment | None = None
    clock = 0
    for seg in segments:
        if seg.pdt is not None:
            seg.start_us = parse_pdt_us(seg.pdt.split(":", 1)[1])
        elif not dated:
            seg.start_us = clock
        elif previous is not None and previous.end_us is not None and not seg.discontinuity:
            seg.start_us = previous.end_us
        clock += seg.duration_us
        previous = seg
    return RefPlaylist(path, tags, segments, header, counts, dated, first_block)
