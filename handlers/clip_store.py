"""Where clips live in storage, how one becomes visible at once, and how they are listed cheaply.

Layout under the clips prefix (``clips/`` by default)::

    clips/<clip_id>.m3u8                        the clip's master playlist (its public URL)
    clips/<clip_id>/<rendition>.m3u8            the clipped media playlists
    clips/index/all/<inverted ms>-<clip_id>     one small index object per clip, newest first
    clips/index/recording/<rid>/<inverted ms>-<clip_id>
    clips/<clip_id>.json                        the metadata document, written last

A clip exists when its metadata document does. The document is written last and only if absent,
so a failure half-way leaves nothing visible, a retry completes the clip, and of concurrent
identical requests exactly one wins (the others read the winner's document). Listing reads one
page of index keys (S3 lists keys in ascending order, and inverted times sort newest first) and
then each listed clip's document: the cost of a page is bounded by its size, not by the number of
clips. Index entries without a matching document (a failed attempt, a race loser) are skipped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handlers.source import public_url
from handlers.storage.base import Listing, NotFound, Storage, StorageError

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
JSON_TYPE = "application/json"
INDEX_DIGITS = 13
_INVERT_BASE = 10**INDEX_DIGITS - 1
_CLIP_ID = re.compile(r"^[0-9a-f]{8,64}$")
_RECORDING_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_INDEX_NAME = re.compile(r"^(\d{13})-([0-9a-f]{8,64})$")
_MAX_ROUNDS = 3
_READ_THREADS = 8


class InvalidCursor(ValueError):
    """A cursor this store did not hand out (or one for another listing)."""


@dataclass(frozen=True, slots=True)
class ClipsPage:
    """Metadata documents, newest first, and the cursor of the next page (``None`` at the end)."""

    clips: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


def created_ms(created_at: str) -> int:
    """Milliseconds since the epoch of an ISO 8601 ``created_at`` (``...Z`` or with an offset)."""
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def index_name(ms: int, clip_id: str) -> str:
    """``<inverted ms>-<clip_id>``: ascending key order is newest first."""
    return f"{_INVERT_BASE - ms:0{INDEX_DIGITS}d}-{clip_id}"


class ClipStore:
    """Clips in a :class:`Storage` under ``prefix``; pure storage logic, no HTTP."""

    def __init__(self, storage: Storage, prefix: str = "clips/"):
        self.storage = storage
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"

    # Keys -------------------------------------------------------------------------------------

    def master_key(self, clip_id: str) -> str:
        return f"{self.prefix}{clip_id}.m3u8"

    def doc_key(self, clip_id: str) -> str:
        return f"{self.prefix}{clip_id}.json"

    def index_prefix(self, recording_id: str | None = None) -> str:
        if recording_id is None:
            return f"{self.prefix}index/all/"
        return f"{self.prefix}index/recording/{recording_id}/"

    # Reading ----------------------------------------------------------------------------------

    def read(self, clip_id: str) -> dict[str, Any] | None:
        """The clip's metadata document, or ``None`` when the clip does not (yet) exist."""
        try:
            raw = self.storage.get(self.doc_key(clip_id))
        except NotFound:
            return None
        doc = json.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError(f"metadata document of clip {clip_id} is not an object")
        return doc

    # Writing ----------------------------------------------------------------------------------

    def save(self, doc: Mapping[str, Any], playlists: Mapping[str, str]) -> tuple[dict[str, Any], bool]:
        """Store a clip's playlists, index entries and, last, its document.

        Returns the document that is now visible and whether this call created it: ``False``
        when another writer got there first (its document is returned, ours is dropped).
        Playlists are deterministic for a clip id, so rewriting them over a winner's is harmless.
        """
        clip_id = str(doc["clip_id"])
        if not _CLIP_ID.match(clip_id):
            raise ValueError(f"not a clip id: {clip_id!r}")
        master = self.master_key(clip_id)
        own_dir = f"{self.prefix}{clip_id}/"
        for path in playlists:
            if path != master and not path.startswith(own_dir):
                raise ValueError(f"playlist {path!r} is outside clip {clip_id}")
        for path in sorted(playlists, key=lambda p: p == master):  # renditions first, master last
            self.storage.put(path, playlists[path].encode("utf-8"), PLAYLIST_TYPE)
        name = index_name(created_ms(str(doc["created_at"])), clip_id)
        entry = json.dumps({"clip_id": clip_id, "created_at": doc["created_at"]}).encode()
        for prefix in self._index_prefixes(doc):
            self.storage.put(prefix + name, entry, JSON_TYPE)
        body = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")
        if self.storage.put(self.doc_key(clip_id), body, JSON_TYPE, if_absent=True):
            return dict(doc), True
        winner = self.read(clip_id)
        if winner is None:  # pragma: no cover - if_absent refused, so a document exists
            raise RuntimeError(f"clip {clip_id} has no document although its write was refused")
        return winner, False

    def _index_prefixes(self, doc: Mapping[str, Any]) -> list[str]:
        prefixes = [self.index_prefix()]
        recording_id = (doc.get("recording") or {}).get("id")
        if isinstance(recording_id, str) and _RECORDING_ID.match(recording_id):
            prefixes.append(self.index_prefix(recording_id))
        return prefixes

    # Listing ----------------------------------------------------------------------------------

    def list_page(self, *, recording_id: str | None = None, limit: int = 50, cursor: str | None = None) -> ClipsPage:
        """Up to ``limit`` clips, newest first, after ``cursor``.

        Cost: at most ``_MAX_ROUNDS`` listings plus one GET per listed index entry (read in
        parallel). A page may be shorter than ``limit`` when entries were skipped; only a
        ``None`` cursor means the end.
        """
        if recording_id is not None and not _RECORDING_ID.match(recording_id):
            raise InvalidCursor(f"not a recording id: {recording_id!r}")
        prefix = self.index_prefix(recording_id)
        token = self.decode_cursor(cursor, prefix) if cursor else None
        clips: list[dict[str, Any]] = []
        for _ in range(_MAX_ROUNDS):
            listing = self._list(prefix, token, limit - len(clips), from_client=token is not None and not clips)
            entries = [e for e in (_parse_index(o.key, prefix) for o in listing.objects) if e is not None]
            clips.extend(self._documents(entries))
            token = listing.next_token
            if token is None or len(clips) >= limit:
                break
        return ClipsPage(clips, self.encode_cursor(token, prefix) if token else None)

    def _list(self, prefix: str, token: str | None, limit: int, *, from_client: bool) -> Listing:
        """One listing; a token from a client that the store refuses is the client's fault.

        Local storage says so with ``ValueError``; S3 answers an error like any failure, so a
        probe without the token tells a damaged cursor (400) from a store that is down (503).
        """
        try:
            return self.storage.list(prefix, token=token, limit=limit)
        except ValueError:
            if from_client:
                raise InvalidCursor("cursor is not one this service handed out") from None
            raise
        except StorageError:
            if not from_client:
                raise
            self.storage.list(prefix, limit=1)  # raises StorageError again if the store is down
            raise InvalidCursor("cursor is not one this service handed out") from None

    def _documents(self, entries: list[tuple[int, str]]) -> list[dict[str, Any]]:
        """The documents of index entries, in entry order, skipping absent or mismatched ones."""
        if not entries:
            return []
        with ThreadPoolExecutor(max_workers=min(_READ_THREADS, len(entries))) as pool:
            docs = list(pool.map(lambda e: self._read_quietly(e[1]), entries))
        return [
            doc
            for (ms, clip_id), doc in zip(entries, docs, strict=True)
            if doc is not None and _matches(doc, ms, clip_id)
        ]

    def _read_quietly(self, clip_id: str) -> dict[str, Any] | None:
        try:
            return self.read(clip_id)
        except ValueError:  # an unreadable document is not a clip
            return None

    # Cursors ----------------------------------------------------------------------------------

    @staticmethod
    def encode_cursor(token: str, prefix: str) -> str:
        """Opaque to clients: the storage token, bound to the listing it came from."""
        raw = json.dumps({"p": prefix, "t": token, "c": _check(prefix, token)}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode_cursor(cursor: str, prefix: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            data = json.loads(raw)
        except (binascii.Error, ValueError):
            raise InvalidCursor("cursor is not one this service handed out") from None
        if not isinstance(data, dict) or data.get("p") != prefix or not isinstance(data.get("t"), str):
            raise InvalidCursor("cursor belongs to another listing or is damaged")
        token = data["t"]
        if not token or len(token) > 2048 or data.get("c") != _check(prefix, token):
            raise InvalidCursor("cursor is damaged")
        return token


def _check(prefix: str, token: str) -> str:
    """A checksum that catches damaged or hand-edited cursors before they reach the store."""
    return hashlib.sha256(f"{prefix}\n{token}".encode()).hexdigest()[:12]


def _parse_index(key: str, prefix: str) -> tuple[int, str] | None:
    match = _INDEX_NAME.match(key[len(prefix) :]) if key.startswith(prefix) else None
    if match is None:
        return None
    return _INVERT_BASE - int(match.group(1)), match.group(2)


def _matches(doc: Mapping[str, Any], ms: int, clip_id: str) -> bool:
    try:
        return doc.get("clip_id") == clip_id and created_ms(str(doc.get("created_at"))) == ms
    except ValueError:
        return False


def clip_view(doc: Mapping[str, Any], public_base_url: str) -> dict[str, Any]:
    """What clients see of a clip: the document plus public URLs computed from keys.

    URLs are not stored, so moving the public domain does not leave stale links behind.
    ``key``/``url``/``created`` keep the field names of the original AWS sample's listing.
    """
    view = dict(doc)
    key = str(doc["key"])
    view["url"] = view["clip_url"] = public_url(public_base_url, key)
    view["created"] = doc.get("created_at")
    recording = dict(doc.get("recording") or {})
    if "key" in recording:
        recording["url"] = public_url(public_base_url, str(recording["key"]))
    view["recording"] = recording
    view["renditions"] = [_rendition_view(r, public_base_url) for r in _iter(doc.get("renditions"))]
    return view


def _rendition_view(rendition: Mapping[str, Any], public_base_url: str) -> dict[str, Any]:
    return {
        "name": rendition.get("name"),
        "kind": rendition.get("kind"),
        "url": public_url(public_base_url, str(rendition.get("key"))),
        "segments": rendition.get("segments"),
        "duration": rendition.get("duration"),
    }


def _iter(value: Any) -> Iterable[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
