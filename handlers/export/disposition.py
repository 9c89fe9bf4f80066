"""`Content-Disposition` for a downloaded clip: a safe ASCII `filename` plus RFC 5987 `filename*` when needed.

Why: titles are user text; a header must never carry quotes, control characters, path separators or
raw non-ASCII, and browsers that understand `filename*` (all current ones) should get the real title.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME = 120  # characters of the stem, before ".mp4"
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()\-+,!&=@#$%^~\[\]{}]")
_SPACES = re.compile(r"\s+")
_ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides ALPHA / DIGIT


def _clean(title: str) -> str:
    """The title without control/format characters, separators or quotes, whitespace collapsed."""
    kept = "".join(
        " " if ch in '/\\"' or unicodedata.category(ch) in ("Zs", "Zl", "Zp") else ch
        for ch in unicodedata.normalize("NFC", title)
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\t\n"
    )
    return _SPACES.sub(" ", kept).strip(" .")[:MAX_NAME].strip(" .")


def safe_filename(title: str | None, clip_id: str) -> tuple[str, str]:
    """(ASCII fallback name, full Unicode name), both ending in `.mp4`."""
    fallback_stem = "clip-" + (re.sub(r"[^A-Za-z0-9_-]", "", clip_id)[:64] or "export")
    full = _clean(title or "")
    if not full:
        return fallback_stem + ".mp4", fallback_stem + ".mp4"
    ascii_stem = unicodedata.normalize("NFKD", full).encode("ascii", "ignore").decode("ascii")
    ascii_stem = _SPACES.sub(" ", _UNSAFE_ASCII.sub("_", ascii_stem)).strip(" ._")
    if not ascii_stem.strip("_ "):
        ascii_stem = fallback_stem
    return ascii_stem + ".mp4", full + ".mp4"


def content_disposition(title: str | None, clip_id: str) -> str:
    """`attachment; filename="…"` (ASCII), plus `filename*=UTF-8''…` when the title is not plain ASCII."""
    ascii_name, full_name = safe_filename(title, clip_id)
    header = f'attachment; filename="{ascii_name}"'
    if full_name != ascii_name:
        header += "; filename*=UTF-8''" + quote(full_name, safe=_ATTR_CHARS)
    return header
