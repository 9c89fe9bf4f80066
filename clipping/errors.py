"""Errors the clip engine raises; each carries a machine code (adapters map codes to statuses)."""

from __future__ import annotations

from typing import Any


class ClipError(ValueError):
    """Base of every refusal the engine makes about its input.

    ``code`` is a stable machine code, ``field`` names the request field at fault (if one is),
    and ``details`` carries extra JSON-safe facts (for example the recording's available range).
    """

    code = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class InvalidTime(ClipError):
    """A start or end time that cannot be read (wrong type, NaN, epoch milliseconds, bad ISO)."""

    code = "invalid_time"


class InvalidWindow(ClipError):
    """A window that is empty, reversed or longer than allowed."""

    code = "invalid_window"


class InvalidOption(ClipError):
    """An option such as ``boundary`` with a value the engine does not know."""

    code = "invalid_option"


class InvalidPlaylist(ClipError):
    """A playlist that is not HLS, or not the kind expected (a media playlist given as master...)."""

    code = "invalid_playlist"


class PlaylistNotFound(ClipError):
    """A playlist the recording refers to is missing. Loaders raise it for absent paths."""

    code = "not_found"


class NoByteRangePlaylist(PlaylistNotFound):
    """``byte_range`` was asked for but the recording has no byte-range playlists."""

    code = "no_byte_range"


class OutOfRange(ClipError):
    """The window is not inside the recording; ``details['available']`` states the range."""

    code = "out_of_range"
