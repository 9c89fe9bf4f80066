"""Reading and rewriting only the lines of a clip's playlists that name bytes.

Promotion moves a clip's media under its own prefix; its playlists must then name the copies.
Only three kinds of line matter: URI lines, ``#EXT-X-BYTERANGE`` (its offset moves when ranges
are packed into one copy) and the ``URI``/``BYTERANGE`` attributes of ``#EXT-X-MAP`` (and the
``URI`` of ``#EXT-X-KEY`` and of a master's ``#EXT-X-MEDIA``/``#EXT-X-I-FRAME-STREAM-INF``).
Every other line, and every line ending, is kept byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from clipping import paths
from clipping.errors import InvalidPlaylist
from clipping.paths import is_absolute_uri

_URI_ATTR = re.compile(r'(?<=[:,])URI="([^"]*)"')
_BYTERANGE_ATTR = re.compile(r'(?<=[:,])BYTERANGE="(\d+)(?:@(\d+))?"')
_BYTERANGE_TAG = re.compile(r"#EXT-X-BYTERANGE:(\d+)(?:@(\d+))?\s*$")
_URI_TAGS = ("#EXT-X-MAP:", "#EXT-X-KEY:", "#EXT-X-MEDIA:", "#EXT-X-I-FRAME-STREAM-INF:")


class UnsupportedReference(ValueError):
    """A playlist names bytes the service cannot copy (another host, outside the bucket)."""


@dataclass(frozen=True, slots=True)
class Ref:
    """Bytes a playlist line names: a whole object (``length`` None) or a range of it."""

    key: str
    start: int = 0
    length: int | None = None


def resolve(playlist_key: str, uri: str) -> str:
    """The storage key a relative URI in the playlist at ``playlist_key`` names (the engine's rule)."""
    if is_absolute_uri(uri) or uri.startswith("/") or "?" in uri or "#" in uri:
        raise UnsupportedReference(f"{uri!r} in {playlist_key} is not a relative key")
    try:
        joined = paths.resolve(playlist_key, uri)
    except InvalidPlaylist:
        raise UnsupportedReference(f"{uri!r} in {playlist_key} leaves the bucket") from None
    if joined == ".":
        raise UnsupportedReference(f"{uri!r} in {playlist_key} names no object")
    return joined


def relative(from_playlist: str, key: str) -> str:
    """The URI that names ``key`` from the playlist at ``from_playlist``."""
    return paths.relative(key, from_playlist)


#: Maps a reference to what the rewritten line names: ``(key, new start)`` (start ignored for whole objects).
Mapper = Callable[[Ref], tuple[str, int]]


def references(text: str, playlist_key: str) -> list[Ref]:
    """Every byte reference of a playlist, in order (implicit ``@offset`` resolved as HLS says)."""
    found: list[Ref] = []

    def note(ref: Ref) -> tuple[str, int]:
        found.append(ref)
        return ref.key, ref.start

    _walk(text, playlist_key, note, write=False)
    return found


def rewrite(text: str, playlist_key: str, new_key: str, mapper: Mapper) -> str:
    """The playlist as it reads from ``new_key``, each reference replaced by ``mapper``'s answer.

    Byte ranges are always written with an explicit offset. Lines without references are
    returned unchanged, with their original line endings.
    """
    return _walk(text, playlist_key, mapper, write=True, new_key=new_key)


def _walk(text: str, playlist_key: str, mapper: Mapper, *, write: bool, new_key: str = "") -> str:
    lines = text.splitlines(keepends=True)
    out = list(lines)
    pending: tuple[int, int, int | None] | None = None  # line index, length, explicit offset
    ends: dict[str, int] = {}  # where the last range of each object ended (implicit offsets)
    for index, raw in enumerate(lines):
        body = raw.rstrip("\r\n")
        ending = raw[len(body) :]
        line = body.strip()
        if not line:
            continue
        if match := _BYTERANGE_TAG.fullmatch(line):
            pending = (index, int(match.group(1)), None if match.group(2) is None else int(match.group(2)))
        elif line.startswith(_URI_TAGS):
            out[index] = _rewrite_tag(body, playlist_key, new_key, mapper, ends) + ending
        elif not line.startswith("#"):
            key = resolve(playlist_key, line)
            if pending is None:
                target, _ = mapper(Ref(key))
            else:
                at, length, start = pending
                start = ends.get(key, 0) if start is None else start
                ends[key] = start + length
                target, new_start = mapper(Ref(key, start, length))
                out[at] = f"#EXT-X-BYTERANGE:{length}@{new_start}" + lines[at][len(lines[at].rstrip("\r\n")) :]
                pending = None
            out[index] = relative(new_key, target) + ending if write else raw
    return "".join(out)


def _rewrite_tag(body: str, playlist_key: str, new_key: str, mapper: Mapper, ends: dict[str, int]) -> str:
    uri = _URI_ATTR.search(body)
    if uri is None:
        return body
    key = resolve(playlist_key, uri.group(1))
    byterange = _BYTERANGE_ATTR.search(body) if body.startswith("#EXT-X-MAP:") else None
    if byterange is None:
        target, _ = mapper(Ref(key))
        return body[: uri.start(1)] + relative(new_key or playlist_key, target) + body[uri.end(1) :]
    length = int(byterange.group(1))
    start = int(byterange.group(2)) if byterange.group(2) is not None else 0
    ends[key] = start + length
    target, new_start = mapper(Ref(key, start, length))
    text = body[: byterange.start()] + f'BYTERANGE="{length}@{new_start}"' + body[byterange.end() :]
    uri = _URI_ATTR.search(text)
    assert uri is not None
    return text[: uri.start(1)] + relative(new_key or playlist_key, target) + text[uri.end(1) :]
