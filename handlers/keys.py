"""The shapes of every id and key part the service accepts: one home, so every route agrees.

Ids come from clients (query parameters, paths, request bodies) and end up in storage keys, so
each pattern admits only characters that need no escaping in S3 keys or URLs.
"""

from __future__ import annotations

import re

#: A clip id: the hex prefix of a sha256 (see :mod:`handlers.clips.command`).
CLIP_ID = re.compile(r"[0-9a-f]{8,64}")
#: An IVS recording id, stage/session/participant id, or a channel id (the end of its ARN).
RESOURCE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
#: S3's "safe" key characters: what IVS keys use, nothing that needs escaping.
KEY_PART = re.compile(r"[A-Za-z0-9!_.*'()=+-]+")
#: An S3 general purpose bucket name (3 to 63 of a-z 0-9 . -, starting and ending alphanumeric).
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
#: The longest key S3 accepts, in UTF-8 bytes.
MAX_KEY_BYTES = 1024


def is_clip_id(value: str) -> bool:
    return CLIP_ID.fullmatch(value) is not None


def is_resource_id(value: str) -> bool:
    return RESOURCE_ID.fullmatch(value) is not None


def safe_resource_id(value: str) -> str:
    """``value`` if it is an id, else the id it becomes with unsafe characters replaced."""
    return value if is_resource_id(value) else re.sub(r"[^A-Za-z0-9_-]", "_", value)[:128] or "_"


def is_bucket_name(value: str) -> bool:
    return BUCKET.fullmatch(value) is not None and ".." not in value


def is_key_part(value: str) -> bool:
    return KEY_PART.fullmatch(value) is not None


def key_too_long(key: str) -> bool:
    return len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES
