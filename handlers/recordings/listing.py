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

IVS Real-Time recordings (participant and composite) are found by
:class:`handlers.recordings.realtime.RealtimeWalk` under the Real-Time roots the recordings
prefixes give (see :func:`listing_roots`). Both walks yield newest first, so the page merges
them by start time (the LL prefix's minute, the RT timestamp folder's second) and one cursor
holds the position in that merged order; ``channel`` keeps only low-latency recordings and
``stage`` only Real-Time ones.
"""

from __future__ import annotations

import calendar
import heapq
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Literal

from handlers.recordings.events import (
    DEFAULT_BYTE_RANGE_MASTER,
    DEFAULT_THUMBNAILS,
    RecordingEvents,
    Rendition,
    by_height,
    parse_events,
    status_of_files,
)
from handlers.recordings.realtime import RT_RANK, MergeKey, RealtimeLeaf, RealtimeWalk, stage_arn_parts
from handlers.recordings.source import recording_id_of
from handlers.recordings.tree import Node, SortKey, Walk, tree_root
from handlers.storage.base import NotFound, Storage, StoredObject
from handlers.storage.budget import carry
from handlers.web.cursors import InvalidCursor, decode_cursor, encode_cursor
from handlers.web.times import iso_ms
from handlers.web.urls import public_url

MAX_LIMIT = 200
#: Reads per recording run in parallel threads (boto3 clients are thread-safe).
READ_WORKERS = 8
_THUMB = re.compile(r"(\d+)\.jpg$")  # LL thumb12.jpg, RT high/12.jpg
LL_RANK = 1
Kind = Literal["low-latency", "real-time-participant", "real-time-composite"]
#: Master names IVS writes: Real-Time ``multivariant.m3u8``, low-latency ``master.m3u8``.
RT_MASTER = "multivariant.m3u8"


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording as the API shows it; :meth:`to_dict` gives the JSON field names."""

    key: str  # the master playlist's key
    url: str
    last_modified: datetime | None  # of the master (None while IVS has not written it yet)
    size: int | None  # of the master
    recording_id: str
    channel_id: str | None  # low-latency only
    account_id: str | None  # None: a Real-Time recording whose events name no stage ARN
    started_at: datetime
    ended_at: datetime | None
    duration: float | None  # seconds, from the events' duration_ms
    status: str  # "recording" | "ended" | "failed" | "unknown" (no events JSON at all)
    byte_range: bool
    renditions: tuple[Rendition, ...]  # highest first
    thumbnail_url: str | None
    kind: Kind = "low-latency"
    stage_id: str | None = None  # Real-Time only
    session_id: str | None = None  # Real-Time: the stage session (a composite's when its events say)
    participant_id: str | None = None  # participant recordings only

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
            "kind": self.kind,
            "stage_id": self.stage_id,
            "session_id": self.session_id,
            "participant_id": self.participant_id,
        }


@dataclass(frozen=True, slots=True)
class RecordingsPage:
    recordings: list[Recording] = field(default_factory=list)
    next_cursor: str | None = None  # None: no more recordings

    def to_dict(self) -> dict[str, Any]:
        return {"recordings": [r.to_dict() for r in self.recordings], "next_cursor": self.next_cursor}


def listing_roots(
    recordings_prefixes: Sequence[str], clips_prefix: str
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(the LL prefix, the Real-Time roots, what a ``""`` root skips) for the recordings prefixes.

    The first non-empty prefix holds the LL ``v1/`` tree (``ivs/`` when there is none); every
    other prefix, and ``""`` (the bucket root), is a Real-Time root. A ``""`` root skips the
    clips prefix and the other prefixes (each walked on its own).
    """
    named = [p for p in recordings_prefixes if p]
    ll = named[0] if named else "ivs/"
    realtime = tuple(dict.fromkeys(p for p in recordings_prefixes if p != ll))
    return ll, realtime, tuple(dict.fromkeys([clips_prefix, *named]))


def list_recordings(
    storage: Storage,
    *,
    public_base_url: str,
    prefix: str = "ivs/",
    realtime_roots: Sequence[str] = (),
    excluded: Sequence[str] = ("clips/",),
    channel: str | None = None,
    stage: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> RecordingsPage:
    """One page of recordings, newest first: by start (LL: the minute in the S3 prefix; RT: the
    timestamp folder), then Real-Time before low-latency, then ids descending (a stable total
    order, which the cursor relies on).

    ``prefix`` is the folder holding ``v1/`` (IVS writes ``ivs/v1/...``; ``ivs/v1/`` itself is
    accepted too). ``realtime_roots`` are where Real-Time recordings are looked for (``""``: the
    bucket root, minus the ``excluded`` prefixes); none lists low-latency ones only. ``channel``
    keeps one channel id (low-latency only), ``stage`` one stage id (Real-Time only). ``since``
    (inclusive) and ``until`` (exclusive) bound the start time. ``cursor`` is a previous page's
    ``next_cursor``: the page continues after the last recording returned, so recordings added
    meanwhile (newer ones) neither shift nor repeat entries. Raises :class:`ValueError` for a bad
    limit, window, channel, stage or prefix and :class:`InvalidCursor` for a bad cursor.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    since, until = _aware(since, "since"), _aware(until, "until")
    if since is not None and until is not None and since >= until:
        raise ValueError("since must be before until")
    if channel is not None and (not channel or "/" in channel):
        raise ValueError("channel must be a channel id (the last part of the channel ARN)")
    if stage is not None and (not stage or "/" in stage):
        raise ValueError("stage must be a stage id (the last part of the stage ARN)")
    if channel is not None and stage is not None:
        raise ValueError("channel (low-latency) and stage (Real-Time) exclude each other")
    scope = _scope(channel, stage, since, until)
    after = _decode(cursor, scope) if cursor else None
    base = public_base_url.rstrip("/")

    streams: list[Iterator[_Candidate]] = []
    if stage is None:
        walk = Walk(storage, tree_root(prefix), channel, since, until, _ll_after(after))
        streams.append(_Candidate.low_latency(leaf, storage, base) for leaf in walk.leaves())
    if channel is None and realtime_roots:
        rt = RealtimeWalk(
            storage, realtime_roots, excluded=excluded, stage=stage, since=since, until=until, before=after
        )
        streams.append(_Candidate.realtime(leaf, storage, base) for leaf in rt.leaves())
    candidates = heapq.merge(*streams, key=lambda c: c.key, reverse=True)
    found: list[tuple[MergeKey, Recording]] = []
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        while len(found) < limit:
            batch = list(islice(candidates, limit - len(found)))
            if not batch:
                break
            for candidate, recording in zip(batch, pool.map(carry(lambda c: c.read()), batch), strict=True):
                if recording is not None and _in_window(recording.started_at, since, until):
                    found.append((candidate.key, recording))
    more = len(found) == limit and next(candidates, None) is not None
    next_cursor = _encode(found[-1][0], scope) if more else None
    return RecordingsPage([r for _, r in found], next_cursor)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A recording found by a walk, with its place in the merged order and how to read it."""

    key: MergeKey
    read: Callable[[], Recording | None]

    @classmethod
    def low_latency(cls, leaf: Node, storage: Storage, base: str) -> _Candidate:
        year, month, day, hour, minute = leaf.parts
        epoch = calendar.timegm((year, month, day, hour, minute, 0))
        key = (epoch, LL_RANK, (leaf.rid, leaf.account, leaf.channel))
        return cls(key, lambda: _read_recording(storage, leaf, base))

    @classmethod
    def realtime(cls, leaf: RealtimeLeaf, storage: Storage, base: str) -> _Candidate:
        return cls(leaf.key, lambda: _read_realtime(storage, leaf, base))


# --- cursor ---------------------------------------------------------------------------------

_CURSOR_SCOPE = "recordings/v3"


def _encode(key: MergeKey, scope: str) -> str:
    epoch, rank, ids = key
    return encode_cursor(scope, [epoch, rank, list(ids)])


def _decode(cursor: str, scope: str) -> MergeKey:
    values = decode_cursor(cursor, scope)
    damaged = InvalidCursor("cursor is damaged; start again without one")
    if not isinstance(values, list) or len(values) != 3:
        raise damaged
    epoch, rank, ids = values
    if type(epoch) is not int or rank not in (RT_RANK, LL_RANK) or not isinstance(ids, list):
        raise damaged
    if not all(isinstance(i, str) for i in ids) or (rank == LL_RANK and len(ids) != 3):
        raise damaged
    try:
        datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError):
        raise damaged from None
    return epoch, rank, tuple(ids)


def _ll_after(after: MergeKey | None) -> SortKey | None:
    """The LL walk's own bound for a merged position: LL recordings strictly after it."""
    if after is None:
        return None
    epoch, rank, ids = after
    if rank == LL_RANK:
        rid, account, channel = ids
        return _minute_parts(epoch), rid.encode(), account.encode(), channel.encode()
    # After a Real-Time recording at second t come LL minutes m < t (rank 0 sorts below rank 1).
    return _minute_parts(-(-epoch // 60) * 60), b"", b"", b""


def _minute_parts(epoch: int) -> tuple[int, ...]:
    t = datetime.fromtimestamp(epoch, UTC)
    return t.year, t.month, t.day, t.hour, t.minute


def _scope(channel: str | None, stage: str | None, since: datetime | None, until: datetime | None) -> str:
    """A cursor continues only the listing it came from (same filters)."""
    return f"{_CURSOR_SCOPE}|{channel or ''}|{stage or ''}|{iso_ms(since) or ''}|{iso_ms(until) or ''}"


# --- one recording --------------------------------------------------------------------------


def _read_recording(storage: Storage, leaf: Node, base_url: str) -> Recording | None:
    """The facts about one recording: 1 get and 1 or 2 small listings (4 without events JSON)."""
    prefix = leaf.prefix
    events = _read_events(storage, prefix, leaf.events)
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


def _read_events(storage: Storage, prefix: str, names: frozenset[str]) -> RecordingEvents:
    status, file = status_of_files(names)
    body = None
    if file is not None:
        with suppress(NotFound):  # listed a moment ago: keep the status, read nothing more
            body = storage.get(f"{prefix}events/{file}")
    return parse_events(body, status)


def _read_realtime(storage: Storage, leaf: RealtimeLeaf, base_url: str) -> Recording | None:
    """One Real-Time recording: its events file, one listing of ``media/hls/``, maybe one of thumbnails."""
    prefix = leaf.prefix
    events = _read_events(storage, prefix, leaf.events)
    objects = {o.key.rsplit("/", 1)[-1]: o for o in _folder_objects(storage, f"{prefix}{events.hls_path}/")}
    name = events.master_name
    if not events.from_file:  # no events file: whichever master IVS wrote
        name = next((n for n in (RT_MASTER, events.master_name) if n in objects), RT_MASTER)
    master = objects.get(name)
    if master is None and events.status == "unknown":
        return None
    renditions = events.renditions
    if not renditions and master is not None:
        renditions = _renditions_from_master(storage, master.key)
    composite = events.composite_hint or leaf.composite_folder
    arn = stage_arn_parts(events.stage_arn)
    account, stage = arn if arn else (None, leaf.stage)
    session = events.session_id or (None if composite else leaf.parts[0])
    participant = None if composite else events.participant_id or leaf.parts[1]
    key = f"{prefix}{events.hls_path}/{name}"
    br_name = events.byte_range_name or DEFAULT_BYTE_RANGE_MASTER
    return Recording(
        key=key,
        url=public_url(base_url, key),
        last_modified=master.last_modified if master else None,
        size=master.size if master else None,
        recording_id=recording_id_of(key),
        channel_id=None,
        account_id=account,
        started_at=events.started_at or leaf.started,
        ended_at=events.ended_at,
        duration=events.duration,
        status=events.status,
        byte_range=br_name in objects,
        renditions=renditions,
        thumbnail_url=_realtime_thumbnail_url(storage, prefix, events, base_url),
        kind="real-time-composite" if composite else "real-time-participant",
        stage_id=stage,
        session_id=session,
        participant_id=participant,
    )


def _realtime_thumbnail_url(storage: Storage, prefix: str, events: RecordingEvents, base_url: str) -> str | None:
    """RT thumbnails sit one folder deeper than LL ones (``high/``, ``1280x720/``)."""
    folder = events.thumbnail_folders[0] if events.thumbnail_folders else None
    latest = events.latest_thumbnail_path
    if latest is not None and latest.endswith(".jpg"):
        return public_url(base_url, f"{prefix}{latest}")
    if latest is not None and folder is not None:  # AWS's example: media/latest_thumbnail + high/thumb.jpg
        return public_url(base_url, f"{prefix}{latest}/{folder}/thumb.jpg")
    if events.from_file and events.thumbnails_path is None:
        return None
    if not events.from_file:
        listing = storage.list(f"{prefix}media/latest_thumbnail/", limit=1)
        if listing.objects:
            return public_url(base_url, listing.objects[0].key)
    where = f"{prefix}{events.thumbnails_path or DEFAULT_THUMBNAILS}/" + (f"{folder}/" if folder else "")
    return _highest_thumbnail(storage.list(where, limit=1000).objects, base_url)


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
    return _highest_thumbnail(storage.list(f"{prefix}{folder}/", limit=1000).objects, base_url)


def _highest_thumbnail(page: list[StoredObject], base_url: str) -> str | None:
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
