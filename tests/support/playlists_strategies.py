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
    starts_us: tuple[int | None, ...]  # each segment's start on the recording clock (None: untimed)
    durations_us: tuple[int, ...]
    discontinuities: tuple[bool, ...]
    description: str = field(default="", compare=False)
    dated_segments: tuple[bool, ...] = ()  # which segments carry their own program date time
    keys: str = "none"  # "none", "aes128" (identity keys) or "multi" (several KEYFORMATs side by side)

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
    starts_us: list[int | None]  # None: before the first date of a dated playlist (the engine cannot time it)
    discontinuities: list[bool]
    periods: list[int]  # period number of each segment
    dated: list[bool]  # the segment carries its own date
    keys: list[list[str]]  # EXT-X-KEY lines written in each segment's block
    kinds: list[str]  # kind of each period: "main", "ad" (undated after a discontinuity) or "pre" (undated lead)


#: How a period's first date relates to the previous segment's end (ms): gaps, nothing, and steps back,
#: small (the new period overlaps the previous segment) and large (an hour back, or back to the start).
_PERIOD_JUMPS_MS: tuple[int | str, ...] = (0, 0, 1, 500, 2_000, 60_000, -100, -2_500, -3_600_000, "restart")
#: Date steps inside a period without a discontinuity tag (merged recordings), forwards and backwards.
_STEPS_MS = (1, 17, 3_000, -1, -150, -4_000)

KEYFORMATS = ("identity", "com.apple.streamingkeydelivery", "urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed")


def key_line(keyformat: str, number: int, method: str) -> str:
    """One EXT-X-KEY line of ``keyformat`` (``identity`` written without the attribute, half the time)."""
    if keyformat == "identity":
        iv = f",IV=0x{number:032X}" if number % 2 else ""
        return f'#EXT-X-KEY:METHOD={method},URI="keys/k{number}.key"{iv}'
    if keyformat == "com.apple.streamingkeydelivery":
        return f'#EXT-X-KEY:METHOD={method},URI="skd://k{number}",KEYFORMAT="{keyformat}",KEYFORMATVERSIONS="1"'
    return f'#EXT-X-KEY:METHOD={method},URI="data:text/plain;base64,QUFB{number}",KEYFORMAT="{keyformat}"'


def _key_lines(rnd: random.Random, scheme: str, n: int, first: bool, counter: list[int]) -> list[str]:
    """Keys written before one segment: a first set, a rotation of some KEYFORMATs, or METHOD=NONE."""
    if scheme == "none" or (not first and rnd.random() > 0.2):
        return []
    formats = ["identity"] if scheme == "aes128" else list(KEYFORMATS)
    method = "AES-128" if scheme == "aes128" else "SAMPLE-AES"
    if not first and rnd.random() < 0.25:
        lines = ["#EXT-X-KEY:METHOD=NONE"]
        if rnd.random() < 0.5:  # cleared and set again in the same block
            lines += _key_lines(rnd, scheme, n, True, counter)
        return lines
    chosen = formats if first else rnd.sample(formats, rnd.randint(1, len(formats)))
    lines = []
    for keyformat in chosen:
        counter[0] += 1
        lines.append(key_line(keyformat, counter[0], method))
    if first and scheme == "multi":
        rnd.shuffle(lines)
    return lines


@st.composite
def _layout(draw: st.DrawFn, pdt_mode: str, keys: str = "none") -> _Layout:
    dated_mode = pdt_mode != "none"
    n_periods = draw(st.integers(1, 4))
    kinds = ["main"]
    if dated_mode and draw(st.integers(0, 9)) == 0:
        kinds = ["pre", "main"]  # undated segments before the first date: the engine leaves them untimed
    for _ in range(n_periods - 1):
        kinds.append(draw(st.sampled_from(["main", "main", "ad"])) if dated_mode else "main")
    sub_ms = draw(st.booleans())
    unit = st.integers(300, 12_000).map(lambda ms: ms * MS)
    if sub_ms:
        unit = st.integers(300_000, 12_000_000)
    # segments take their durations from a short drawn palette, and their steps from a seeded generator:
    # a hypothesis draw per segment makes generation several times slower
    palette = draw(st.lists(unit, min_size=1, max_size=6))
    base = draw(st.integers(1_600_000_000, 1_800_000_000)) * US + draw(st.integers(0, 999)) * MS
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    steps = draw(st.sampled_from([0.0, 0.0, 0.1, 0.3]))
    durations: list[int] = []
    styles: list[str] = []
    titles: list[str] = []
    starts: list[int | None] = []
    discs: list[bool] = []
    periods: list[int] = []
    dated: list[bool] = []
    key_blocks: list[list[str]] = []
    counter = [0]
    clock: int | None = None if dated_mode else 0
    for period, kind in enumerate(kinds):
        count = draw(st.one_of(st.integers(1, 8), st.integers(9, 60))) if kind != "ad" else draw(st.integers(1, 4))
        if kind == "main" and dated_mode:
            if clock is None:
                clock = base
            else:
                # a reconnect or the end of an ad: a discontinuity, the dates jump on or back
                jump = draw(st.sampled_from(_PERIOD_JUMPS_MS))
                clock = base if jump == "restart" else clock + int(jump) * MS
        for i in range(count):
            if i > 0 and kind == "main" and pdt_mode == "every" and rnd.random() < steps:
                # a date gap or step back without a discontinuity tag (merged recordings)
                assert clock is not None
                clock += rnd.choice(_STEPS_MS) * MS
            duration = palette[0] if i == 0 else rnd.choice(palette)
            durations.append(duration)
            styles.append(rnd.choice(["ms", "ms6", "trim", "us"]))
            titles.append(rnd.choice(["", "", "", "title"]))
            starts.append(clock)
            # a "pre" lead is followed by its main content without a discontinuity half the time
            discs.append(period > 0 and i == 0 and (kinds[period - 1] != "pre" or rnd.random() < 0.5))
            periods.append(period)
            dated.append(kind == "main" and dated_mode and (pdt_mode == "every" or i == 0))
            key_blocks.append(_key_lines(rnd, keys, len(durations), not durations[:-1], counter))
            clock = None if clock is None else clock + duration
    return _Layout(durations, styles, titles, starts, discs, periods, dated, key_blocks, kinds)


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
    draw: st.DrawFn, layout: _Layout, pdt_mode: str, uses_map: bool, uses_ranges: bool, disc_seq: int, keys: str
) -> str:
    pdt_style = draw(st.sampled_from(["Z", "Z/us", "+00:00", "-0400", "+0530"]))
    # -1: a source that breaks the rounding rule (EXTINF 11.5 with TARGETDURATION 11), which the clip must fix
    target = max(1, max((d + US // 2) // US for d in layout.durations_us) + draw(st.sampled_from([-1, 0, 0, 1])))
    version = 6 if uses_map else (5 if keys == "multi" else (4 if uses_ranges else 3))
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
        if layout.keys[i]:
            # keys go after the segment's other tags, or before its MAP (which they then apply to as well)
            where = len(tags) if rnd.random() < 0.6 else sum(1 for t in tags if t == "#EXT-X-DISCONTINUITY")
            tags[where:where] = layout.keys[i]
        start = layout.starts_us[i]
        pdt = format_pdt(start, pdt_style) if layout.dated[i] and start is not None else None
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
    keys = draw(st.sampled_from(["none", "none", "aes128", "multi"]))
    layout = draw(_layout(pdt_mode, keys))
    n = draw(st.integers(2, 4))
    names = list(NAMES[:n])
    disc_seq = draw(st.sampled_from([0, 0, 2]))
    files = {MASTER_PATH: _master(names, uses_ranges)}
    paths = []
    for name in names:
        path = f"rec/media/hls/{name}/{'byte-range-variant' if uses_ranges else 'playlist'}.m3u8"
        files[path] = draw(_media_playlist(layout, pdt_mode, uses_map, uses_ranges, disc_seq, keys))
        paths.append(path)
    timed = [(s, d) for s, d in zip(layout.starts_us, layout.durations_us, strict=True) if s is not None]
    return Recording(
        files=files,
        master_path=MASTER_PATH,
        rendition_paths=tuple(paths),
        dated=pdt_mode != "none",
        pdt_mode=pdt_mode,
        uses_map=uses_map,
        uses_ranges=uses_ranges,
        first_us=min(s for s, _ in timed),
        last_us=max(s + d for s, d in timed),
        starts_us=tuple(layout.starts_us),
        durations_us=tuple(layout.durations_us),
        discontinuities=tuple(layout.discontinuities),
        description=f"{n} renditions, pdt={pdt_mode}, map={uses_map}, ranges={uses_ranges}, periods={layout.kinds}",
        dated_segments=tuple(layout.dated),
        keys=keys,
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
    timed = [(s, d) for s, d in zip(rec.starts_us, rec.durations_us, strict=True) if s is not None]
    edges = sorted({*(s for s, _ in timed), *(s + d for s, d in timed)})
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
    keys: frozenset[str] = frozenset()  # EXT-X-KEY lines in force, one per KEYFORMAT, URIs resolved
    map_keys: frozenset[str] = frozenset()  # the keys in force where its init section was declared
    lines: list[str] = field(default_factory=list)  # every non-blank line of its block, URI line last

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


def _key_format(line: str) -> str:
    return _attr(line, "KEYFORMAT") or "identity"


def resolved_key(line: str, playlist_path: str) -> str:
    """A key line with its URI resolved to a storage path when it is relative (skd:, data: stay)."""
    uri = _attr(line, "URI")
    if not uri or ":" in uri:
        return line
    return line.replace(f'URI="{uri}"', f'URI="{resolve_uri(playlist_path, uri)}"')


def segment_times(durations_us: list[int], dates_us: list[int | None], clock_us: int | None = None) -> list[int | None]:
    """The engine's clock: a segment starts at its own date, else where the previous one ended.

    Across a discontinuity too (an undated ad break in a dated playlist continues the clock). In a
    dated playlist the segments before the first date have no time; an undated one counts from 0.
    """
    if clock_us is None and not any(d is not None for d in dates_us):
        clock_us = 0
    starts: list[int | None] = []
    clock = clock_us
    for duration, date in zip(durations_us, dates_us, strict=True):
        start = date if date is not None else clock
        starts.append(start)
        clock = None if start is None else start + duration
    return starts


def parse_media(text: str, path: str) -> RefPlaylist:
    """Read a media playlist line by line: resolve implied byte ranges, keys in force and segment times."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    segments: list[RefSegment] = []
    header: dict[str, str] = {}
    counts: dict[str, int] = {}
    tags: list[str] = []
    first_block: list[str] = []
    pending: dict[str, str | None] = {}
    disc = False
    current_map: tuple[str, str | None] | None = None
    keys: dict[str, str] = {}
    map_keys: frozenset[str] = frozenset()
    block: list[str] = []
    last_range_end: dict[str, int] = {}
    previous_path: str | None = None
    for line in lines:
        if not line:
            continue
        block.append(line)
        if line.startswith("#EXT-X-KEY:"):
            if "METHOD=NONE" in line:  # clears every key before it
                keys = {}
            else:
                keys[_key_format(line)] = resolved_key(line, path)
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
                map_keys = frozenset(keys.values())
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
                keys=frozenset(keys.values()),
                map_keys=map_keys,
                lines=block,
            )
        )
        previous_path = seg_path
        pending = {}
        block = []
        disc = False
    dated = any(s.pdt for s in segments)
    dates = [parse_pdt_us(s.pdt.split(":", 1)[1]) if s.pdt is not None else None for s in segments]
    for seg, start in zip(segments, segment_times([s.duration_us for s in segments], dates), strict=True):
        seg.start_us = start
    return RefPlaylist(path, tags, segments, header, counts, dated, first_block)


# --------------------------------------------------------------------------------------------
# Reference selector: the engine's rule, on reference times
# --------------------------------------------------------------------------------------------


def reference_select(times: list[tuple[int | None, int]], start_us: int, end_us: int, boundary: str) -> list[int]:
    """Indices of the segments a window keeps, given each segment's (start or None, duration).

    The engine's rule: take the segments in playlist order and keep the first run of consecutive
    ones that overlap the window (a positive overlap; a zero-length one must lie strictly inside).
    Times may repeat when dates step back: a later run that covers the window again is not used.
    ``inner`` keeps the run's segments wholly inside the window; ``nearest`` snaps each edge of the
    window to the nearer boundary of the run's first/last segment (ties outward), and keeps the
    run's one segment overlapping most when that leaves nothing.
    """

    def overlaps(start: int | None, duration: int) -> bool:
        if start is None or start >= end_us:
            return False
        return start + duration > start_us if duration else start > start_us

    run: list[int] = []
    for index, (start, duration) in enumerate(times):
        if overlaps(start, duration):
            run.append(index)
        elif run:
            break
    if boundary == "outer" or not run:
        return run

    def span(index: int) -> tuple[int, int]:
        start, duration = times[index]
        assert start is not None
        return start, start + duration

    if boundary == "inner":
        return [i for i in run if start_us <= span(i)[0] and span(i)[1] <= end_us]
    (first_start, first_end), (last_start, last_end) = span(run[0]), span(run[-1])
    snap_start = first_start if start_us - first_start <= first_end - start_us else first_end
    snap_end = last_end if last_end - end_us <= end_us - last_start else last_start
    kept = [i for i in run if span(i)[0] >= snap_start and span(i)[1] <= snap_end]
    if kept:
        return kept
    return [max(run, key=lambda i: min(span(i)[1], end_us) - max(span(i)[0], start_us))]
