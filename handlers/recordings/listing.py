"""The recordings listing (GET /getrecordings): newest first, at a cost independent of segment count.

IVS low-latency auto-record writes each recording under
``ivs/v1/<account>/<channel>/<year>/<month>/<day>/<hour>/<minute>/<recording_id>/`` with date
parts NOT zero-padded, so S3's key order is not time order ("10/" < "9/"), and one recording
holds thousands of segment and thumbnail objects. Listing every key would cost one request
per 1,000 objects of the whole bucket. Instead this walks the prefix tree one level at a time
with ``delimiter="/"`` (accounts, channels, years, months, days), best-first: the subtree that
can hold the newest recording is opened first, date parts compared as numbers, subtrees
outside ``since``/``until`` or past the cursor are never opened, and the walk stops as soon
as the page is full.

A day folder is read with ``delimiter="/media/"`` instead of three more ``/`` levels (hours,
minutes, recording ids): everything of a recording except its ``events/`` files rolls up into
one ``<h>/<min>/<id>/media/`` prefix, so one request gives every recording of the day and
its events file names (hence its status), about 3 to 5 entries per recording however many
segments it has. That saves two requests per recording when recordings are sparse (one per
hour and one per minute folder). It relies on IVS writing only ``events/`` and ``media/`` in
a recording folder (clips live elsewhere).

Each recording then costs a bounded number of reads, in parallel: its newest events JSON,
one listing of ``media/hls/`` (master size and date, byte-range playlist) and, unless the
events name a latest thumbnail, the first page of ``media/thumbnails/``.

Only the LL tree ``<prefix>v1/`` is read: IVS Real-Time recordings (stage/session/participant
prefixes) are not listed.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from handlers.recordings.events import (
    DEFAULT_BYTE_RANGE_MASTER,
    DEFAULT_THUMBNAILS,
    RecordingEvents,
    Rendition,
    by_height,
    parse_events,
    status_of_files,
)
from handlers.recordings.tree import Node, SortKey, Walk, tree_root
from handlers.storage.base import NotFound, Storage, StoredObject
from handlers.storage.budget import carry
from handlers.web.cursors import InvalidCursor, decode_cursor, encode_cursor
from handlers.web.times import iso_ms
from handlers.web.urls import public_url

MAX_LIMIT = 200
#: Reads per recording run in parallel threads (boto3 clients are thread-safe).
READ_WORKERS = 8
_THUMB = re.compile(r"thumb(\d+)\.jpg$")


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording as the API shows it; :meth:`to_dict` gives the JSON field names."""

    key: str  # the master playlist's key
    url: str
    last_modified: datetime | None  # of the master (None while IVS has not written it yet)
    size: int | None  # of the master
    recording_id: str
    channel_id: str
    account_id: str
    started_at: datetime
    ended_at: datetime | None
    duration: float | None  # seconds, from the events' duration_ms
    status: str  # "recording" | "ended" | "failed" | "unknown" (no events JSON at all)
    byte_range: bool
    renditions: tuple[Rendition, ...]  # highest first
    thumbnail_url: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "url": self.url,
            "lastModified": iso_ms(self.last_modified),
            "size": self.size,
            "recording_id": self.recording_id,
            "channel_id": self.channel_id,
            "account_id": self.account_id,
            "started_at": iso_ms(self.started_at),
            "ended_at": iso_ms(self.ended_at),
            "duration": self.duration,
            "status": self.status,
            "byte_range": self.byte_range,
            "renditions": [r.to_dict() for r in self.renditions],
            "thumbnail_url": self.thumbnail_url,
        }


@dataclass(frozen=True, slots=True)
class RecordingsPage:
    recordings: list[Recording] = field(default_factory=list)
    next_cursor: str | None = None  # None: no more recordings

    def to_dict(self) -> dict[str, Any]:
        return {"recordings": [r.to_dict() for r in self.recordings], "next_cursor": self.next_cursor}


def list_recordings(
    storage: Storage,
    *,
    public_base_url: str,
    prefix: str = "ivs/",
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> RecordingsPage:
    """One page of recordings, newest first: by the start minute in their S3 prefix, then by
    recording id descending (a stable total order, which the cursor relies on).

    ``prefix`` is the folder holding ``v1/`` (IVS writes ``ivs/v1/...``; ``ivs/v1/`` itself is
    accepted too). ``channel`` keeps one channel id. ``since`` (inclusive) and ``until``
    (exclusive) bound the start time. ``cursor`` is a previous page's ``next_cursor``: the page
    continues after the last recording returned, so recordings added meanwhile (newer ones)
    neither shift nor repeat entries. Raises :class:`ValueError` for a bad limit, window,
    channel or prefix and :class:`InvalidCursor` for a bad cursor.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    since, until = _aware(since, "since"), _aware(until, "until")
    if since is not None and until is not None and since >= until:
        raise ValueError("since must be before until")
    if channel is not None and (not channel or "/" in channel):
        raise ValueError("channel must be a channel id (the last part of the channel ARN)")
    scope = _scope(channel, since, until)
    after = _decode(cursor, scope) if cursor else None
    base = public_base_url.rstrip("/")

    leaves = Walk(storage, tree_root(prefix), channel, since, until, after).leaves()
    found: list[tuple[Node, Recording]] = []
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        while len(found) < limit:
            batch = list(islice(leaves, limit - len(found)))
            if not batch:
                break
            for leaf, recording in zip(
                batch, pool.map(carry(lambda n: _read_recording(storage, n, base)), batch), strict=True
            ):
                if recording is not None and _in_window(recording.started_at, since, until):
                    found.append((leaf, recording))
    more = len(found) == limit and next(leaves, None) is not None
    next_cursor = _encode(found[-1][0].upper(), scope) if more else None
    return RecordingsPage([r for _, r in found], next_cursor)


# --- cursor ---------------------------------------------------------------------------------

_CURSOR_SCOPE = "recordings/v2"


def _encode(key: SortKey, scope: str) -> str:
    parts, rid, account, channel = key
    return encode_cursor(scope, [*parts, rid.decode(), account.decode(), channel.decode()])


def _decode(cursor: str, scope: str) -> SortKey:
    values = decode_cursor(cursor, scope)
    if not isinstance(values, list) or len(values) != 8:
        raise InvalidCursor("cursor is damaged; start again without one")
    parts, texts = values[:5], values[5:]
    if not all(type(p) is int for p in parts) or not all(isinstance(t, str) for t in texts):
        raise InvalidCursor("cursor is damaged; start again without one")
    return tuple(parts), texts[0].encode(), texts[1].encode(), texts[2].encode()


def _scope(channel: str | None, since: datetime | None, until: datetime | None) -> str:
    """A cursor continues only the listing it came from (same filters)."""
    return f"{_CURSOR_SCOPE}|{channel or ''}|{iso_ms(since) or ''}|{iso_ms(until) or ''}"


# --- one recording --------------------------------------------------------------------------


def _read_recording(storage: Storage, leaf: Node, base_url: str) -> Recording | None:
    """The facts about one recording: 1 get and 1 or 2 small listings (4 without events JSON)."""
    prefix = leaf.prefix
    events = _read_events(storage, leaf)
    objects = {o.key.rsplit("/", 1)[-1]: o for o in _folder_objects(storage, f"{prefix}{events.hls_path}/")}
    master: StoredObject | None = objects.get(events.master_name)
    if master is None and events.status == "unknown":
        return None  # neither events nor a master: not a recording (or not one yet)
    br_name = events.byte_range_name or DEFAULT_BYTE_RANGE_MASTER
    byte_range = br_name in objects if objects else events.byte_range_name is not None
    renditions = events.renditions
    if not renditions and master is not None:
        renditions = _renditions_from_master(storage, master.key)
    key = f"{prefix}{events.hls_path}/{events.master_name}"
    return Recording(
        key=key,
        url=public_url(base_url, key),
        last_modified=master.last_modified if master else None,
        size=master.size if master else None,
        recording_id=leaf.rid,
        channel_id=leaf.channel,
        account_id=leaf.account,
        started_at=events.started_at or _folder_time(leaf.parts),
        ended_at=events.ended_at,
        duration=events.duration,
        status=events.status,
        byte_range=byte_range,
        renditions=renditions,
        thumbnail_url=_thumbnail_url(storage, prefix, events, base_url),
    )


def _read_events(storage: Storage, leaf: Node) -> RecordingEvents:
    status, file = status_of_files(leaf.events)
    body = None
    if file is not None:
        with suppress(NotFound):  # listed a moment ago: keep the status, read nothing more
            body = storage.get(f"{leaf.prefix}events/{file}")
    return parse_events(body, status)


def _folder_objects(storage: Storage, prefix: str) -> list[StoredObject]:
    """Objects directly in a folder (first page: the rendition folders roll up into prefixes)."""
    return storage.list(prefix, delimiter="/", limit=1000).objects


def _renditions_from_master(storage: Storage, master_key: str) -> tuple[Rendition, ...]:
    import m3u8  # only for recordings without events JSON

    try:
        playlist = m3u8.loads(storage.get(master_key).decode("utf-8", "replace"))
    except NotFound:
        return ()
    except Exception:  # a broken master must not break the listing
        return ()
    found = []
    for variant in playlist.playlists:
        uri = variant.uri or ""
        name = uri.split("/")[0] if "/" in uri else uri.rsplit(".", 1)[0]
        resolution = variant.stream_info.resolution if variant.stream_info else None
        width, height = resolution if resolution else (None, None)
        found.append(Rendition(name, width, height))
    return by_height(found)


def _thumbnail_url(storage: Storage, prefix: str, events: RecordingEvents, base_url: str) -> str | None:
    if events.latest_thumbnail_path is not None:  # IVS keeps the latest thumbnail here: no read needed
        return public_url(base_url, f"{prefix}{events.latest_thumbnail_path}")
    if events.from_file and events.thumbnails_path is None:
        return None  # thumbnails are disabled for this recording
    if not events.from_file:
        listing = storage.list(f"{prefix}media/latest_thumbnail/", limit=1)
        if listing.objects:
            return public_url(base_url, listing.objects[0].key)
    folder = events.thumbnails_path or DEFAULT_THUMBNAILS
    # One page only: a long recording has thousands of thumbnails. The page holds the highest
    # number when there are up to 1,000; beyond that it is a late one, not the very last.
    page = storage.list(f"{prefix}{folder}/", limit=1000).objects
    numbered = [(int(m.group(1)), o.key) for o in page if (m := _THUMB.search(o.key))]
    if numbered:
        return public_url(base_url, max(numbered)[1])
    return public_url(base_url, page[-1].key) if page else None


# --- small helpers --------------------------------------------------------------------------


def _folder_time(parts: tuple[int, ...]) -> datetime:
    year, month, day, hour, minute = parts
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _aware(t: datetime | None, name: str) -> datetime | None:
    if t is None:
        return None
    if t.tzinfo is None:
        raise ValueError(f"{name} must have a time zone")
    return t.astimezone(UTC)


def _in_window(t: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or t >= since) and (until is None or t < until)
