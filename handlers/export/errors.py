"""The one error type of the export, so the HTTP layer can map `code` to a status without parsing text."""

from __future__ import annotations


class ExportError(Exception):
    """An export that cannot be made, with a machine `code` and a message for people.

    Codes: `not_media_playlist`, `empty_playlist`, `encrypted`, `bad_uri`, `window_outside`,
    `discontinuity`, `read_failed`, `no_video`, `unsupported_codec`, `unreadable_media`, `ffmpeg_failed`,
    `timeout`, `inexact`, `no_variants`, `unknown_rendition`. `detail` holds the last stderr lines of
    ffmpeg when it was ffmpeg that failed.
    """

    def __init__(self, code: str, message: str, *, detail: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.detail = detail
