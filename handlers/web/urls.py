"""Public URLs of stored objects: computed from keys when answering, never stored."""

from __future__ import annotations

from urllib.parse import quote

_SAFE = "/!*'()=+-_.~"


def public_url(public_base_url: str, key: str) -> str:
    """The URL that serves a stored object (the CloudFront domain in AWS, ``/media`` locally)."""
    return public_base_url.rstrip("/") + "/" + quote(key, safe=_SAFE)
