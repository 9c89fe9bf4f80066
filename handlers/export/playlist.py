"""Just enough HLS reading for an export: the segments of a media playlist and the variants of a master.

Why its own reader: the export needs byte ranges with implicit offsets resolved, the init section in force
and discontinuities, for a short clip playlist; the clipping engine's scanner is tuned for long sources
and is being reworked independently.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from clipping import paths
from clipping.errors import InvalidPlaylist

from .errors import ExportError

_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def _attrs(text: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _ATTR.findall(text)}


def resolve_uri(base_key: str, uri: str) -> str:
    """`uri` as seen from the playlist at `base_key`: a URL join for URLs, a normalised posix key otherwise.

    A relative key that climbs above the bucket root (`../` past the top) is refused rather than clamped,
    so a crafted playlist cannot make the reader fetch something else.
    """
    if urlsplit(uri).scheme:
        return uri
    if urlsplit(base_key).scheme:
        return urljoin(base_key, uri)
    if uri.startswith("/"):
        raise ExportError("bad_uri", f"absolute segment path {uri!r} in a key-addressed playlist")
    try:
        return paths.resolve(base_key, uri)
    except InvalidPlaylist:
        raise ExportError("bad_uri", f"segment {uri!r} resolves outside the store") from None


@dataclass(frozen=True, slots=True)
class ByteSpan:
    """Bytes of one object: `start`/`length` None means the whole object."""

    key: str
    start: int | None
    length: int | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One media segment: where its bytes are, when it plays (seconds from the first entry) and its init."""

    span: ByteSpan
    start: float
    duration: float
    init: ByteSpan | None
    discontinuity: bool  # an EXT-X-DISCONTINUITY precedes it

    @property
    def end(self) -> float:
        return self.start + self.duration


def _byterange(value: str, last_end: int | None, what: str) -> tuple[int, int]:
    length_text, _, offset_text = value.partition("@")
    try:
        length = int(length_text)
        offset = int(offset_text) if offset_text else last_end
    except ValueError:
        raise ExportError("not_media_playlist", f"bad byte range {value!r} for {what}") from None
    if offset is None:
        raise ExportError("not_media_playlist", f"byte range {value!r} of {what} has no offset to follow")
    return length, offset


def read_entries(text: str, playlist_key: str) -> list[Entry]:
    """The segments of a media playlist with URIs resolved against `playlist_key`; refuses what it cannot copy."""
    if not text.lstrip("\ufeff").startswith("#EXTM3U"):
        raise ExportError("not_media_playlist", "the playlist does not start with #EXTM3U")
    entries: list[Entry] = []
    clock = 0.0
    duration: float | None = None
    pending_range: str | None = None
    discontinuity = False
    init: ByteSpan | None = None
    last_end: dict[str, int] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            tag, _, value = line.partition(":")
            if tag == "#EXTINF":
                try:
                    duration = float(value.split(",", 1)[0])
                except ValueError:
                    raise ExportError("not_media_playlist", f"bad EXTINF {line!r}") from None
            elif tag == "#EXT-X-BYTERANGE":
                pending_range = value
            elif tag == "#EXT-X-DISCONTINUITY":
                discontinuity = True
            elif tag == "#EXT-X-MAP":
                attrs = _attrs(value)
                if "URI" not in attrs:
                    raise ExportError("not_media_playlist", "EXT-X-MAP without URI")
                key = resolve_uri(playlist_key, attrs["URI"])
                if "BYTERANGE" in attrs:
                    length, offset = _byterange(attrs["BYTERANGE"], 0, "EXT-X-MAP")
                    init = ByteSpan(key, offset, length)
                else:
                    init = ByteSpan(key, None, None)
            elif tag == "#EXT-X-KEY":
                if _attrs(value).get("METHOD", "NONE") != "NONE":
                    raise ExportError("encrypted", "encrypted segments are not exported")
            elif tag in ("#EXT-X-STREAM-INF", "#EXT-X-I-FRAME-STREAM-INF"):
                raise ExportError("not_media_playlist", "this is a multivariant playlist, not a media playlist")
            continue
        if duration is None:
            raise ExportError("not_media_playlist", f"segment {line!r} without EXTINF")
        key = resolve_uri(playlist_key, line)
        if pending_range is not None:
            length, offset = _byterange(pending_range, last_end.get(key), line)
            span = ByteSpan(key, offset, length)
            last_end[key] = offset + length
        else:
            span = ByteSpan(key, None, None)
        entries.append(Entry(span, round(clock, 6), duration, init, discontinuity))
        clock += duration
        duration, pending_range, discontinuity = None, None, False
    if not entries:
        raise ExportError("empty_playlist", "the media playlist has no segments")
    return entries


def coalesce(spans: list[ByteSpan]) -> list[ByteSpan]:
    """Adjacent ranges of one object merged, so a clip of 1 s byte-range parts costs one GET per file."""
    out: list[ByteSpan] = []
    for s in spans:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.key == s.key
            and prev.start is not None
            and prev.length is not None
            and s.start == prev.start + prev.length
            and s.length is not None
        ):
            out[-1] = ByteSpan(s.key, prev.start, prev.length + s.length)
        else:
            out.append(s)
    return out


# --------------------------------------------------------------------------- masters


@dataclass(frozen=True, slots=True)
class VariantRef:
    """One EXT-X-STREAM-INF of a master: its name (VIDEO group, else its folder), key and advertised bits."""

    name: str
    uri: str
    key: str
    bandwidth: int
    resolution: str | None
    codecs: str | None


def master_variants(master_text: str, master_key: str) -> list[VariantRef]:
    """Every variant of a multivariant playlist, in order, with URIs resolved against `master_key`."""
    out: list[VariantRef] = []
    pending: dict[str, str] | None = None
    for raw in master_text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = _attrs(line.split(":", 1)[1])
        elif line and not line.startswith("#") and pending is not None:
            folder = posixpath.basename(posixpath.dirname(urlsplit(line).path))
            name = pending.get("VIDEO") or folder or posixpath.splitext(posixpath.basename(line))[0]
            try:
                bandwidth = int(pending.get("BANDWIDTH", "0"))
            except ValueError:
                bandwidth = 0
            out.append(
                VariantRef(
                    name=name,
                    uri=line,
                    key=resolve_uri(master_key, line),
                    bandwidth=bandwidth,
                    resolution=pending.get("RESOLUTION"),
                    codecs=pending.get("CODECS"),
                )
            )
            pending = None
    return out


def highest_variant(master_text: str, master_key: str) -> VariantRef:
    """The variant with the highest BANDWIDTH (the first of equals): what a download should give by default."""
    variants = master_variants(master_text, master_key)
    if not variants:
        raise ExportError("no_variants", "the master playlist lists no variant")
    best = variants[0]
    for v in variants[1:]:
        if v.bandwidth > best.bandwidth:
            best = v
    return best


def find_rendition(master_text: str, master_key: str, name: str) -> VariantRef:
    """The variant called `name` (VIDEO group or folder, e.g. `720p30`); unknown names are a typed error."""
    variants = master_variants(master_text, master_key)
    for v in variants:
        if name == v.name:
            return v
    known = ", ".join(v.name for v in variants) or "none"
    raise ExportError("unknown_rendition", f"no rendition {name!r} in the clip (renditions: {known})")
