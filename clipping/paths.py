"""Resolving playlist URIs to storage paths, and writing them back relative to a new playlist.

Paths are POSIX-style: storage keys (``ivs/v1/.../master.m3u8``) or absolute file paths. Output
URIs are relative to the playlist that holds them, so a clip works behind any host or CDN path.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from .errors import InvalidPlaylist

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_URI_ATTRIBUTE = re.compile(r'(?<![A-Z-])URI="([^"]*)"')  # not SERVER-URI and the like


def is_absolute_uri(uri: str) -> bool:
    """``https://...``, ``data:...``, ``skd://...``: URIs that do not depend on where a playlist is."""
    return bool(_SCHEME.match(uri)) or uri.startswith("//")


def _split_suffix(uri: str) -> tuple[str, str]:
    cut = min((i for i in (uri.find("?"), uri.find("#")) if i != -1), default=len(uri))
    return uri[:cut], uri[cut:]


def rewrite_uri_attributes(line: str, rewrite: Callable[[str], str]) -> str:
    """A tag line with each ``URI="..."`` attribute passed through ``rewrite``; an empty one stays empty."""
    return _URI_ATTRIBUTE.sub(lambda m: f'URI="{rewrite(m.group(1))}"' if m.group(1) else m.group(), line)


def resolve(playlist_path: str, uri: str) -> str:
    """The path of ``uri`` as written in the playlist at ``playlist_path``."""
    if is_absolute_uri(uri):
        return uri
    path, suffix = _split_suffix(uri)
    if path.startswith("/"):
        joined = posixpath.normpath(path)
    else:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(playlist_path), path))
    if joined == ".." or joined.startswith("../"):
        raise InvalidPlaylist(f"the URI {uri!r} points outside the storage root")
    return joined + suffix


def relative(target: str, playlist_path: str) -> str:
    """How the playlist at ``playlist_path`` must write a URI for ``target``."""
    if is_absolute_uri(target):
        return target
    path, suffix = _split_suffix(target)
    base = posixpath.dirname(playlist_path) or "."
    if path.startswith("/") != base.startswith("/"):
        return target
    return posixpath.relpath(path, base) + suffix


class Relocator:
    """Rewrites URIs from a source playlist's location to an output playlist's, with a cache.

    Segment URIs are nearly always bare file names next to their playlist, so those take a fast
    path: one relative prefix computed once, then plain concatenation.
    """

    __slots__ = ("_cache", "_out", "_prefix", "_src")

    def __init__(self, source_playlist: str, output_playlist: str) -> None:
        self._src = source_playlist
        self._out = output_playlist
        self._cache: dict[str, str] = {}
        folder = posixpath.dirname(source_playlist)
        self._prefix = relative(folder + "/x", output_playlist)[:-1] if folder else None

    def __call__(self, uri: str) -> str:
        found = self._cache.get(uri)
        if found is None:
            if self._prefix is not None and "/" not in uri and ":" not in uri and uri not in (".", ".."):
                found = self._prefix + uri
            else:
                found = relative(resolve(self._src, uri), self._out)
            self._cache[uri] = found
        return found
