"""Which recording a request names: ``master_url`` → a storage key, and keys → public URLs.

The service reads only its own bucket: a ``master_url`` is accepted as a URL under the public
base URL, an ``s3://`` URI of our bucket, or a bare key, and must end up as a plain ``.m3u8`` key
under the recordings prefix. Anything else is refused before any read, so the service never
fetches an arbitrary URL and never leaves its prefix through ``..`` or encoded tricks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from urllib.parse import SplitResult, unquote, urlsplit

from clipping.errors import ClipError
from handlers.config import DEFAULT_CLIPS_PREFIX
from handlers.keys import is_key_part, is_resource_id, key_too_long, safe_resource_id

FIELD = "master_url"
#: Longest path segment accepted: what file systems allow, far beyond any IVS key part.
MAX_PART_BYTES = 255
_HLS_DIR = "/media/hls/"


class InvalidSource(ClipError):
    """``master_url`` does not name a playlist of ours."""

    code = "invalid_master_url"


class InvalidFilter(ClipError):
    """A listing filter that names no recording."""

    code = "invalid_parameter"


def resolve_master_key(
    value: object,
    *,
    public_base_url: str,
    bucket: str | None,
    recordings_prefixes: Sequence[str],
    clips_prefix: str = DEFAULT_CLIPS_PREFIX,
) -> str:
    """The storage key a ``master_url`` names, or :class:`InvalidSource` saying why not.

    A recordings prefix of ``""`` admits any key (IVS Real-Time recordings have no common root)
    except the clips prefix: a clip is never the source of a clip.
    """
    if not isinstance(value, str):
        raise _refuse("master_url must be a string")
    text = value.strip()
    if not text:
        raise _refuse("master_url is empty")
    if len(text) > 2048 or not text.isprintable():
        raise _refuse("master_url is too long or contains control characters")
    if "\\" in text:
        raise _refuse("master_url must not contain backslashes")
    parts = _split(text)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        key = _key_from_public_url(text, public_base_url)
    elif scheme == "s3":
        if bucket is None or parts.netloc != bucket:
            raise _refuse("master_url names another bucket; give a key or a URL of this service's recordings")
        if parts.query or parts.fragment:
            raise _refuse("master_url must not carry a query or fragment")
        key = parts.path.removeprefix("/")
    elif scheme or text.startswith("//"):
        raise _refuse(f"master_url must be https, s3 or a key; {scheme or 'network-path'} URLs are not read")
    else:
        key = text.removeprefix("/")
    return _check_key(key, recordings_prefixes, clips_prefix)


def _split(text: str) -> SplitResult:
    """``urlsplit`` refuses malformed hosts (an unclosed ``[``, full-width ``／`` or ``＠``) itself."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (validates the port and the bracketed host)
    except ValueError:
        raise _refuse("master_url has a malformed host or port") from None
    if not parts.netloc.isascii():
        raise _refuse("master_url has a malformed host (only ASCII host names are read)")
    return parts


def _key_from_public_url(text: str, public_base_url: str) -> str:
    parts, base = _split(text), urlsplit(public_base_url)
    try:
        port, base_port = parts.port, base.port
    except ValueError:
        raise _refuse("master_url has an invalid port") from None
    defaults = {"http": 80, "https": 443}
    same_origin = (
        parts.scheme.lower() == base.scheme.lower()
        and (parts.hostname or "") == (base.hostname or "").lower()
        and (port or defaults[parts.scheme.lower()]) == (base_port or defaults[base.scheme.lower()])
        and not parts.username
        and not parts.password
    )
    if not same_origin:
        raise _refuse(f"master_url must be under {public_base_url}/ (other hosts are not read)")
    if parts.query or parts.fragment:
        raise _refuse("master_url must not carry a query or fragment")
    base_path = base.path.rstrip("/") + "/"
    if not parts.path.startswith(base_path):
        raise _refuse(f"master_url must be under {public_base_url}/")
    encoded = parts.path[len(base_path) :]
    if re.search(r"%(?![0-9A-Fa-f]{2})", encoded):
        raise _refuse("master_url has a malformed percent-escape")
    if re.search(r"%(2[fF]|5[cC])", encoded):
        raise _refuse("master_url must not contain encoded slashes or backslashes")
    try:
        return unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        raise _refuse("master_url has percent-escapes that are not UTF-8") from None


def _check_key(key: str, recordings_prefixes: Sequence[str], clips_prefix: str) -> str:
    if "%" in key or "\\" in key:
        raise _refuse("master_url must not contain encoded characters or backslashes once decoded")
    if key_too_long(key):
        raise _refuse("master_url names a key longer than 1024 bytes")
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise _refuse("master_url must not contain empty, '.' or '..' path segments")
    if not all(is_key_part(p) for p in parts):
        raise _refuse("master_url contains characters that recording keys never use")
    if any(len(p) > MAX_PART_BYTES for p in parts):
        raise _refuse(f"master_url has a path segment longer than {MAX_PART_BYTES} bytes")
    if not key.endswith(".m3u8"):
        raise _refuse("master_url must name an HLS playlist (.m3u8)")
    if clips_prefix and key.startswith(clips_prefix):
        raise _refuse(f"master_url names a clip ({clips_prefix}...); give the recording's master playlist")
    if not any(key.startswith(prefix) for prefix in recordings_prefixes):
        shown = " or ".join(p or "(any prefix)" for p in recordings_prefixes)
        raise _refuse(f"master_url must name a recording under {shown}")
    return key


def _refuse(message: str) -> InvalidSource:
    return InvalidSource(message, field=FIELD)


def recording_id_of(key: str) -> str:
    """The recording id of a master key: IVS's own for low-latency keys, unique for the others.

    Low-latency keys end ``v1/<account>/<channel>/<y>/<m>/<d>/<h>/<min>/<recording_id>/media/hls/...``
    and IVS makes the id unique. Other layouts have no such id (every Real-Time composite folder is
    ``composite``, participants' are timestamps), so theirs is the folder name plus a digest of the
    whole prefix: two recordings never share a clips index.
    """
    head = (key.split(_HLS_DIR, 1)[0] if _HLS_DIR in key else key.rsplit("/", 1)[0]).rstrip("/")
    parts = head.split("/")
    name = parts[-1]
    if len(parts) >= 9 and parts[-9] == "v1" and all(p.isdigit() for p in parts[-6:-1]):
        return safe_resource_id(name)
    digest = hashlib.sha256(head.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return safe_resource_id(f"{name[:119]}-{digest}")


def recording_key_of(key: str) -> str:
    """The recording's prefix (``.../<recording_id>/``) of a master key, as recordings are listed."""
    if _HLS_DIR in key:
        return key.split(_HLS_DIR, 1)[0] + "/"
    return key.rsplit("/", 1)[0] + "/"


def recording_filter(value: str | None) -> str | None:
    """The recording id a ``recording`` filter names: given as is, or taken from a recording's key."""
    if value is None:
        return None
    text = value.strip().strip("/")
    if is_resource_id(text):
        return text
    if "/" in text and ".." not in text.split("/") and "\\" not in text:
        candidate = recording_id_of(text if text.endswith(".m3u8") else text + "/media/hls/master.m3u8")
        if is_resource_id(candidate):
            return candidate
    raise InvalidFilter("recording must be a recording id or a recording's key", field="recording")
