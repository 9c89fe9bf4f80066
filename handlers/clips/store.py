"""Where clips live in storage, how one becomes visible at once, and how they are listed cheaply.

Layout under the clips prefix (``clips/`` by default)::

    clips/<clip_id>.m3u8                        the clip's master playlist (its public URL)
    clips/<clip_id>/<rendition>.m3u8            the clipped media playlists
    clips/index/all/<inverted ms>-<clip_id>     one small index object per clip, newest first
    clips/index/recording/<rid>/<inverted ms>-<clip_id>
    clips/<clip_id>.json                        the metadata document, written last
    clips/index/expires/<epoch ms>-<clip_id>    one entry per expiring clip, soonest first (the sweep)
    clips/<clip_id>/media/...                   copies of the clip's bytes once promoted (owned)
    clips/<clip_id>/owned/<rendition>.m3u8      the playlists of an owned clip (over those copies)
    clips/<clip_id>/poster.jpg                  the poster's copy once promoted
    clips/<clip_id>.mp4                         the MP4 export, when one was made
    clips/deleting/<clip_id>.json               a tombstone while a deletion is in progress

A clip exists when its metadata document does and it has not expired. The document is written last and only if absent,
so a failure half-way leaves nothing visible, a retry completes the clip, and of concurrent
identical requests exactly one wins (the others read the winner's document). Listing reads one
page of index keys (S3 lists keys in ascending order, and inverted times sort newest first) and
then each listed clip's document: the cost of a page is bounded by its size, not by the number of
clips. Index entries without a matching document (a failed attempt, a race loser) are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from handlers.clips.record import ClipRecord, DamagedRecord, Mp4State
from handlers.keys import is_clip_id, is_resource_id
from handlers.storage.base import Listing, NotFound, Storage, StorageError, delete_keys, list_pages
from handlers.storage.budget import carry
from handlers.web.cursors import InvalidCursor, decode_cursor, encode_cursor
from handlers.web.times import epoch_ms

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
JSON_TYPE = "application/json"
INDEX_DIGITS = 13
_INVERT_BASE = 10**INDEX_DIGITS - 1
_INDEX_NAME = re.compile(r"(\d{13})-([0-9a-f]{8,64})")
_TOMBSTONE_NAME = re.compile(r"([0-9a-f]{8,64})\.json")
_MAX_ROUNDS = 3
_READ_THREADS = 8


@dataclass(frozen=True, slots=True)
class ClipsPage:
    """Clip records, newest first, and the cursor of the next page (``None`` at the end)."""

    clips: list[ClipRecord] = field(default_factory=list)
    next_cursor: str | None = None


def index_name(ms: int, clip_id: str) -> str:
    """``<inverted ms>-<clip_id>``: ascending key order is newest first."""
    return f"{_INVERT_BASE - ms:0{INDEX_DIGITS}d}-{clip_id}"


def expiry_name(ms: int, clip_id: str) -> str:
    """``<epoch ms>-<clip_id>``: ascending key order is soonest expiry first."""
    return f"{ms:0{INDEX_DIGITS}d}-{clip_id}"


@dataclass(frozen=True, slots=True)
class ExpiryEntry:
    key: str
    expires_ms: int
    clip_id: str


class ClipStore:
    """Clips in a :class:`Storage` under ``prefix``; pure storage logic, no HTTP.

    ``clock`` decides expiry for readers: an expired clip is absent to :meth:`read_visible` and
    :meth:`list_page` from the instant it expires, whether or not the sweep has run.
    """

    def __init__(self, storage: Storage, prefix: str = "clips/", clock: Callable[[], datetime] | None = None):
        self.storage = storage
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.now = clock or (lambda: datetime.now(UTC))

    # Keys -------------------------------------------------------------------------------------

    def master_key(self, clip_id: str) -> str:
        return f"{self.prefix}{clip_id}.m3u8"

    def doc_key(self, clip_id: str) -> str:
        return f"{self.prefix}{clip_id}.json"

    def own_prefix(self, clip_id: str) -> str:
        """Every object of the clip but its master, document, MP4 and index entries is under here."""
        return f"{self.prefix}{clip_id}/"

    def media_prefix(self, clip_id: str) -> str:
        return f"{self.prefix}{clip_id}/media/"

    def owned_playlist_key(self, clip_id: str, rendition_key: str) -> str:
        """Where an owned clip's rendition playlist goes: a NEW name, so the old one stays in force."""
        own = self.own_prefix(clip_id)
        rest = rendition_key.removeprefix(own).removeprefix("owned/")
        return f"{own}owned/{rest}"

    def poster_key(self, clip_id: str) -> str:
        return f"{self.prefix}{clip_id}/poster.jpg"

    def mp4_key(self, clip_id: str) -> str:
        return f"{self.prefix}{clip_id}.mp4"

    def expiry_prefix(self) -> str:
        return f"{self.prefix}index/expires/"

    def tombstone_prefix(self) -> str:
        return f"{self.prefix}deleting/"

    def tombstone_key(self, clip_id: str) -> str:
        return f"{self.tombstone_prefix()}{clip_id}.json"

    def index_prefix(self, recording_id: str | None = None) -> str:
        if recording_id is None:
            return f"{self.prefix}index/all/"
        return f"{self.prefix}index/recording/{recording_id}/"

    # Reading ----------------------------------------------------------------------------------

    def read(self, clip_id: str) -> ClipRecord | None:
        """The clip's record, or ``None`` when the clip does not (yet) exist.

        Raises :class:`DamagedRecord` for a document that is not a clip record.
        """
        try:
            raw = self.storage.get(self.doc_key(clip_id))
        except NotFound:
            return None
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise DamagedRecord(f"metadata document of clip {clip_id} is not JSON") from None
        return ClipRecord.from_json(data)

    def read_visible(self, clip_id: str) -> ClipRecord | None:
        """The clip's record unless it does not exist or has expired by the store's clock."""
        record = self.read(clip_id)
        return None if record is None or record.expired(self.now()) else record

    # Writing ----------------------------------------------------------------------------------

    def save(self, record: ClipRecord, playlists: Mapping[str, str]) -> tuple[ClipRecord, bool]:
        """Store a clip's playlists, index entries and, last, its document.

        Returns the document that is now visible and whether this call created it: ``False``
        when another writer got there first (its document is returned, ours is dropped).
        Playlists are deterministic for a clip id, so rewriting them over a winner's is harmless.
        """
        clip_id = record.clip_id
        if not is_clip_id(clip_id):
            raise ValueError(f"not a clip id: {clip_id!r}")
        master = self.master_key(clip_id)
        own_dir = f"{self.prefix}{clip_id}/"
        for path in playlists:
            if path != master and not path.startswith(own_dir):
                raise ValueError(f"playlist {path!r} is outside clip {clip_id}")
        for path in sorted(playlists, key=lambda p: p == master):  # renditions first, master last
            self.storage.put(path, playlists[path].encode("utf-8"), PLAYLIST_TYPE)
        entry = json.dumps({"clip_id": clip_id, "created_ms": record.created_ms}).encode()
        for key in self.index_keys(record):
            self.storage.put(key, entry, JSON_TYPE)
        if self.storage.put(self.doc_key(clip_id), _document(record), JSON_TYPE, if_absent=True):
            return record, True
        winner = self.read(clip_id)
        if winner is None:  # pragma: no cover - if_absent refused, so a document exists
            raise RuntimeError(f"clip {clip_id} has no document although its write was refused")
        return winner, False

    def replace_record(self, record: ClipRecord) -> None:
        """Overwrite an existing clip's document (promotion, export state); the caller checked it exists."""
        self.storage.put(self.doc_key(record.clip_id), _document(record), JSON_TYPE)

    def update_mp4(
        self, clip_id: str, created_ms: int, state: Mp4State, *, only_if: Callable[[Mp4State | None], bool]
    ) -> ClipRecord | None:
        """Set the clip's ``mp4`` on its CURRENT document, when ``only_if(current mp4)`` still holds.

        The document is read again first, so nothing else in it is lost (a promotion since, a new
        title) and an export never lands on a clip deleted meanwhile or made anew under the same id
        (``created_ms`` differs). Returns the document written, or ``None`` when nothing was.
        """
        try:
            current = self.read(clip_id)
        except DamagedRecord:
            return None
        if current is None or current.created_ms != created_ms or current.expired(self.now()):
            return None
        if not only_if(current.mp4):
            return None
        updated = current.with_changes(mp4=state)
        self.replace_record(updated)
        return updated

    def index_keys(self, record: ClipRecord) -> list[str]:
        """The clip's listing entries (all, per recording) and its expiry entry, if it expires."""
        name = index_name(record.created_ms, record.clip_id)
        keys = [self.index_prefix() + name]
        if is_resource_id(record.recording.id):
            keys.append(self.index_prefix(record.recording.id) + name)
        if record.expires_at is not None:
            keys.append(self.expiry_prefix() + expiry_name(epoch_ms(record.expires_at), record.clip_id))
        return keys

    # Deleting ---------------------------------------------------------------------------------

    def write_tombstone(self, record: ClipRecord) -> None:
        """Remember what is being deleted, so a retry can finish after the document is gone."""
        self.storage.put(self.tombstone_key(record.clip_id), _document(record), JSON_TYPE)

    def read_tombstone(self, clip_id: str) -> ClipRecord | None:
        try:
            raw = self.storage.get(self.tombstone_key(clip_id))
        except NotFound:
            return None
        try:
            return ClipRecord.from_json(json.loads(raw))
        except (ValueError, UnicodeDecodeError):  # DamagedRecord is a ValueError too
            return None

    def purge(self, clip_id: str, records: list[ClipRecord]) -> None:
        """Remove every object of the clip; the document first, the tombstone last.

        Deleting the document first makes the clip invisible at once (GET 404, unlisted), so a
        crash half-way never leaves a visible clip with missing playlists. ``records`` (the
        document and/or the tombstone) name the index entries, which depend on creation and
        expiry times. Everything else lives under the clip's own prefix and is found by listing
        it, which also catches leftovers of an interrupted promotion or a failed POST.
        """
        if not is_clip_id(clip_id):
            raise ValueError(f"not a clip id: {clip_id!r}")
        self.storage.delete(self.doc_key(clip_id))
        keys = [self.master_key(clip_id), self.mp4_key(clip_id)]
        for record in records:
            keys.extend(self.index_keys(record))
            keys.extend(r.key for r in record.renditions)
        keys.extend(self._all_under(self.own_prefix(clip_id)))
        delete_keys(self.storage, dict.fromkeys(keys))
        self.storage.delete(self.tombstone_key(clip_id))

    def _all_under(self, prefix: str) -> Iterator[str]:
        for page in list_pages(self.storage, prefix):
            yield from (o.key for o in page.objects)

    def pending_deletions(self, limit: int = 100) -> list[str]:
        """Ids of clips whose deletion was interrupted (a tombstone remains), up to ``limit``."""
        page = self.storage.list(self.tombstone_prefix(), limit=limit)
        found = (_TOMBSTONE_NAME.fullmatch(o.key[len(self.tombstone_prefix()) :]) for o in page.objects)
        return [m.group(1) for m in found if m is not None]

    # Expiry -----------------------------------------------------------------------------------

    def expired_entries(self, now: datetime, limit: int = 1000) -> list[ExpiryEntry]:
        """Expiry index entries due at ``now``, soonest first: one listing, never a scan of all clips.

        The listing is in ascending key order, and keys start with the expiry time, so the first
        entry later than ``now`` ends the walk.
        """
        now_ms = epoch_ms(now)
        prefix = self.expiry_prefix()
        due: list[ExpiryEntry] = []
        token = None
        while len(due) < limit:
            page = self.storage.list(prefix, token=token, limit=min(1000, limit - len(due)))
            for obj in page.objects:
                match = _INDEX_NAME.fullmatch(obj.key[len(prefix) :])
                if match is None:
                    continue
                ms = int(match.group(1))
                if ms > now_ms:
                    return due
                due.append(ExpiryEntry(obj.key, ms, match.group(2)))
            token = page.next_token
            if token is None:
                break
        return due

    # Listing ----------------------------------------------------------------------------------

    def list_page(self, *, recording_id: str | None = None, limit: int = 50, cursor: str | None = None) -> ClipsPage:
        """Up to ``limit`` clips, newest first, after ``cursor``.

        Cost: at most ``_MAX_ROUNDS`` listings plus one GET per listed index entry (read in
        parallel). A page may be shorter than ``limit`` when entries were skipped; only a
        ``None`` cursor means the end.
        """
        if recording_id is not None and not is_resource_id(recording_id):
            raise ValueError(f"not a recording id: {recording_id!r}")
        prefix = self.index_prefix(recording_id)
        token = _decode_token(cursor, prefix) if cursor else None
        clips: list[ClipRecord] = []
        for _ in range(_MAX_ROUNDS):
            listing = self._list(prefix, token, limit - len(clips), from_client=token is not None and not clips)
            entries = [e for e in (_parse_index(o.key, prefix) for o in listing.objects) if e is not None]
            now = self.now()
            clips.extend(doc for doc in self._documents(entries) if not doc.expired(now))
            token = listing.next_token
            if token is None or len(clips) >= limit:
                break
        return ClipsPage(clips, encode_cursor(prefix, token) if token else None)

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

    def _documents(self, entries: list[tuple[int, str]]) -> list[ClipRecord]:
        """The documents of index entries, in entry order, skipping absent or mismatched ones."""
        if not entries:
            return []
        with ThreadPoolExecutor(max_workers=min(_READ_THREADS, len(entries))) as pool:
            docs = list(pool.map(carry(lambda e: self._read_quietly(e[1])), entries))
        return [
            doc
            for (ms, clip_id), doc in zip(entries, docs, strict=True)
            if doc is not None and doc.clip_id == clip_id and doc.created_ms == ms
        ]

    def _read_quietly(self, clip_id: str) -> ClipRecord | None:
        try:
            return self.read(clip_id)
        except DamagedRecord:  # an unreadable document is not a clip
            return None


def _document(record: ClipRecord) -> bytes:
    return json.dumps(record.to_json(), sort_keys=True, separators=(",", ":")).encode("utf-8")


def _decode_token(cursor: str, prefix: str) -> str:
    token = decode_cursor(cursor, prefix)
    if not isinstance(token, str) or not token or len(token) > 2048:
        raise InvalidCursor("cursor is damaged; start again without one")
    return token


def _parse_index(key: str, prefix: str) -> tuple[int, str] | None:
    match = _INDEX_NAME.fullmatch(key[len(prefix) :]) if key.startswith(prefix) else None
    if match is None:
        return None
    return _INVERT_BASE - int(match.group(1)), match.group(2)
