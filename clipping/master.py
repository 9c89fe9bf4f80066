"""Multivariant ("master") playlists: what they list, and the clip's copy of them.

m3u8 reads the master (it is small, and m3u8 knows every attribute), but the clip's master is
written by rewriting the source text line by line, because m3u8's ``dumps`` drops attributes it
does not know and video groups without an ``EXT-X-MEDIA`` line.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import InvalidPlaylist
from .paths import rewrite_uri_attributes

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_GENERIC_STEMS = {"playlist", "index", "chunklist", "prog_index", "byte-range-variant", "media", "stream"}


@dataclass(frozen=True, slots=True)
class MasterEntry:
    """A playlist the master refers to: a variant, an alternative rendition or an I-frame playlist."""

    uri: str
    kind: str  # "variant", "audio", "subtitles", "video", "closed-captions" or "iframe"
    width: int | None = None
    height: int | None = None
    bandwidth: int | None = None


def read_master(text: str) -> list[MasterEntry]:
    """Every distinct playlist URI in a multivariant playlist, variants first, in their order."""
    if not text.lstrip("\ufeff").startswith("#EXTM3U"):
        raise InvalidPlaylist("not an HLS playlist: it does not start with #EXTM3U")
    import m3u8  # here, not at the top: only clipping reads masters (~50 ms of cold start otherwise)

    try:
        parsed = m3u8.loads(text)
    except Exception as exc:  # m3u8 raises plain exceptions on malformed attributes
        raise InvalidPlaylist(f"the multivariant playlist cannot be read: {exc}") from None
    if not parsed.is_variant:
        raise InvalidPlaylist(
            "expected a multivariant (master) playlist, but this is a media playlist; give the recording's master.m3u8"
        )
    entries: list[MasterEntry] = []
    seen: set[str] = set()

    def add(entry: MasterEntry) -> None:
        if entry.uri and entry.uri not in seen:
            seen.add(entry.uri)
            entries.append(entry)

    for variant in parsed.playlists:
        info = variant.stream_info
        width, height = info.resolution if info.resolution else (None, None)
        add(MasterEntry(variant.uri, "variant", width, height, info.bandwidth))
    for media in parsed.media:
        if media.uri:
            add(MasterEntry(media.uri, (media.type or "media").lower().replace("_", "-")))
    for iframe in parsed.iframe_playlists:
        info = iframe.iframe_stream_info
        width, height = info.resolution if info.resolution else (None, None)
        add(MasterEntry(iframe.uri, "iframe", width, height, info.bandwidth))
    if not any(e.kind == "variant" for e in entries):
        raise InvalidPlaylist("the multivariant playlist lists no variant stream")
    return entries


def rendition_names(entries: list[MasterEntry]) -> list[str]:
    """Short unique names for output files: ``720p30`` for ``720p30/playlist.m3u8``."""
    names: list[str] = []
    taken: set[str] = set()
    for entry in entries:
        path = entry.uri.split("?", 1)[0].rstrip("/")
        folder = posixpath.basename(posixpath.dirname(path))
        stem = posixpath.splitext(posixpath.basename(path))[0]
        base = folder if folder and stem.lower() in _GENERIC_STEMS else (f"{folder}-{stem}" if folder else stem)
        if entry.kind not in ("variant", "video") and not base.startswith(entry.kind):
            base = f"{entry.kind}-{base}"
        base = _SAFE_NAME.sub("-", base).strip("-.") or "rendition"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        names.append(name)
    return names


def rewrite_master(text: str, clipped: Mapping[str, str], relocate: Callable[[str], str]) -> str:
    """The source master with clipped playlists swapped in and other URIs made relative to the clip.

    Every line and attribute is kept as it was, so URI-less groups and unknown attributes survive.
    """
    out: list[str] = []
    expect_uri = False

    def swap(uri: str) -> str:
        return clipped.get(uri) or relocate(uri)

    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#EXT-X-STREAM-INF"):
                expect_uri = True
            elif line.startswith("#EXT-X-START"):
                continue  # the media playlists carry the clip's own start
            if 'URI="' in line:
                line = rewrite_uri_attributes(line, swap)
            out.append(line)
        elif expect_uri:
            out.append(swap(line))
            expect_uri = False
    return "\n".join(out) + "\n"
