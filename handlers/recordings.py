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

import base64
import binascii
import calendar
import heapq
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import quote

from handlers.storage.base import NotFound, Storage, StoredObject

MAX_LIMIT = 200
#: Reads per recording run in parallel threads (boto3 clients are thread-safe).
READ_WORKERS = 8
#: Which events file decides the status, most final first (IVS never writes both ended and failed).
_EVENT_FILES = (
    ("ended", "recording-ended.json"),
    ("failed", "recording-failed.json"),
    ("recording", "recording-started.json"),
)
_MEDIA = "/media/"
_THUMB = re.compile(r"thumb(\d+)\.jpg$")

# Levels of the tree below <prefix>v1/: what a node's children are (_RECORDINGS: a day folder).
_ACCOUNTS, _CHANNELS, _YEARS, _MONTHS, _DAYS, _RECORDINGS, _LEAF = range(7)
_BIG = 1 << 30  # above any date part: upper bound for parts not known yet
_MAX = b"\xff"  # above any UTF-8 string


class InvalidCursor(ValueError):
    """The cursor was not made by :func:`list_recordings` (or is from an incompatible version)."""


@dataclass(frozen=True, slots=True)
class Rendition:
    name: str
    width: int | None
    height: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "width": self.width, "height": self.height}


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
            "lastModified": _iso(self.last_modified),
            "size": self.size,
            "recording_id": self.recording_id,
            "channel_id": self.channel_id,
            "account_id": self.account_id,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
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
    after = decode_cursor(cursor) if cursor else None
    base = public_base_url.rstrip("/")

    leaves = _Walk(storage, _tree_root(prefix), channel, since, until, after).leaves()
    found: list[tuple[_Node, Recording]] = []
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        while len(found) < limit:
            batch = list(islice(leaves, limit - len(found)))
            if not batch:
                break
            for leaf, recording in zip(
                batch, pool.map(lambda n: _read_recording(storage, n, base), batch), strict=True
            ):
                if recording is not None and _in_window(recording.started_at, since, until):
                    found.append((leaf, recording))
    more = len(found) == limit and next(leaves, None) is not None
    next_cursor = encode_cursor(found[-1][0].upper()) if more else None
    return RecordingsPage([r for _, r in found], next_cursor)


# --- cursor ---------------------------------------------------------------------------------

_SortKey = tuple[tuple[int, ...], bytes, bytes, bytes]  # (y, m, d, h, min), id, account, channel


def encode_cursor(key: _SortKey) -> str:
    parts, rid, account, channel = key
    raw = json.dumps({"v": 1, "after": [*parts, rid.decode(), account.decode(), channel.decode()]})
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> _SortKey:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        data = json.loads(raw)
        values = data["after"]
        if data.get("v") != 1 or not isinstance(values, list) or len(values) != 8:
            raise ValueError("unknown cursor version")
        parts, texts = values[:5], values[5:]
        if not all(type(p) is int for p in parts) or not all(isinstance(t, str) for t in texts):
            raise ValueError("bad cursor fields")
        return tuple(parts), texts[0].encode(), texts[1].encode(), texts[2].encode()
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, AttributeError) as exc:
        raise InvalidCursor("cursor is not valid: start again without one") from exc


# --- the tree walk --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    prefix: str  # ends with "/"
    level: int  # what its children are (a _LEAF node is one recording)
    account: str = ""
    channel: str = ""
    parts: tuple[int, ...] = ()
    rid: str = ""
    events: frozenset[str] = frozenset()  # leaves: names of the files in events/

    def upper(self) -> _SortKey:
        """No recording below this node sorts above this key (newest-first order is descending)."""
        if self.level == _LEAF:
            return self.parts, self.rid.encode(), self.account.encode(), self.channel.encode()
        return self.parts + (_BIG,) * (5 - len(self.parts)), _MAX, _MAX, _MAX

    def lower(self) -> _SortKey:
        if self.level == _LEAF:
            return self.upper()
        return self.parts + (-1,) * (5 - len(self.parts)), b"", b"", b""


class _Entry:
    """Heap entry: heapq pops the smallest, so "smaller" here means "newer upper bound"."""

    __slots__ = ("key", "node")

    def __init__(self, node: _Node) -> None:
        self.node = node
        self.key = node.upper()

    def __lt__(self, other: _Entry) -> bool:
        return self.key > other.key


class _Walk:
    """Best-first search over the prefix tree, yielding recording leaves newest first."""

    def __init__(
        self,
        storage: Storage,
        root: str,
        channel: str | None,
        since: datetime | None,
        until: datetime | None,
        after: _SortKey | None,
    ) -> None:
        self.storage = storage
        self.channel = channel
        # Folders are pruned by the minutes they cover; the prefix is the recording's start time.
        self.since, self.until = since, until
        self.after = after
        self.heap = [_Entry(_Node(root, _ACCOUNTS))]

    def leaves(self) -> Iterator[_Node]:
        while self.heap:
            node = heapq.heappop(self.heap).node
            if node.level == _LEAF:
                yield node
                continue
            for child in self._children(node):
                if self._wanted(child):
                    heapq.heappush(self.heap, _Entry(child))

    def _wanted(self, node: _Node) -> bool:
        if self.after is not None and node.lower() >= self.after:
            return False
        if node.parts and (self.since is not None or self.until is not None):
            span = _time_span(node.parts)
            if span is None:
                return False
            start, end = span
            if (self.since is not None and end <= self.since) or (self.until is not None and start >= self.until):
                return False
        return True

    def _children(self, node: _Node) -> Iterator[_Node]:
        if node.level == _RECORDINGS:
            yield from self._recordings_of_day(node)
            return
        if node.level == _ACCOUNTS and self.channel is not None:
            # The channel is known: go straight to <account>/<channel>/ without listing channels.
            for name in self._folders(node.prefix):
                yield _Node(f"{node.prefix}{name}/{self.channel}/", _YEARS, name, self.channel)
            return
        for name in self._folders(node.prefix):
            child = f"{node.prefix}{name}/"
            if node.level == _ACCOUNTS:
                yield _Node(child, _CHANNELS, name)
            elif node.level == _CHANNELS:
                yield _Node(child, _YEARS, node.account, name)
            elif (number := _number(name)) is not None:  # a date level; anything else is not IVS's
                parts = (*node.parts, number)
                if _time_span(parts) is not None:
                    yield _Node(child, node.level + 1, node.account, node.channel, parts)

    def _folders(self, prefix: str) -> Iterator[str]:
        for _objects, prefixes in self._pages(prefix, "/"):
            for p in prefixes:
                yield p[len(prefix) : -1]

    def _recordings_of_day(self, day: _Node) -> Iterator[_Node]:
        """Every recording folder ``<h>/<min>/<id>/`` of a day, from one listing (see module doc)."""
        found: dict[tuple[int, int, str], set[str]] = {}
        for objects, prefixes in self._pages(day.prefix, _MEDIA):
            for key in [o.key for o in objects] + prefixes:
                parts = key[len(day.prefix) :].split("/")
                hour, minute = (_number(p) for p in parts[:2]) if len(parts) >= 4 else (None, None)
                if hour is None or minute is None or not parts[2]:
                    continue
                events = found.setdefault((hour, minute, parts[2]), set())
                if parts[3] == "events" and len(parts) == 5:
                    events.add(parts[4])
        for (hour, minute, rid), events in found.items():
            parts = (*day.parts, hour, minute)
            if _time_span(parts) is not None:
                prefix = f"{day.prefix}{hour}/{minute}/{rid}/"
                yield _Node(prefix, _LEAF, day.account, day.channel, parts, rid, frozenset(events))

    def _pages(self, prefix: str, delimiter: str) -> Iterator[tuple[list[StoredObject], list[str]]]:
        token: str | None = None
        while True:
            page = self.storage.list(prefix, delimiter=delimiter, token=token, limit=1000)
            yield page.objects, page.prefixes
            if not page.next_token:
                return
            token = page.next_token


def _number(name: str) -> int | None:
    """A date part as a number (IVS does not zero-pad them, but a padded one reads the same)."""
    return int(name) if name.isascii() and name.isdigit() and len(name) <= 6 else None


def _tree_root(prefix: str) -> str:
    if not isinstance(prefix, str) or prefix.startswith("/") or "//" in prefix:
        raise ValueError("prefix must be a relative key prefix such as 'ivs/'")
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    return prefix if prefix == "v1/" or prefix.endswith("/v1/") else prefix + "v1/"


def _time_span(parts: tuple[int, ...]) -> tuple[datetime, datetime] | None:
    """The UTC start times a folder of date parts (year, month, ...) covers, or None if invalid."""
    try:
        year = parts[0]
        if len(parts) == 1:
            return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        month = parts[1]
        if len(parts) == 2:
            start = datetime(year, month, 1, tzinfo=UTC)
            return start, start + timedelta(days=calendar.monthrange(year, month)[1])
        start = datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
    except (ValueError, OverflowError):
        return None
    step = {3: timedelta(days=1), 4: timedelta(hours=1), 5: timedelta(minutes=1)}[len(parts)]
    return start, start + step


# --- one recording --------------------------------------------------------------------------


def _read_recording(storage: Storage, leaf: _Node, base_url: str) -> Recording | None:
    """The facts about one recording: 1 get and 1 or 2 small listings (4 without events JSON)."""
    prefix = leaf.prefix
    status, events = "unknown", None
    for name, file in _EVENT_FILES:
        if file in leaf.events:
            status = name
            with suppress(NotFound):  # listed a moment ago: keep the status, read nothing more
                events = _json_object(storage.get(f"{prefix}events/{file}"))
            break
    media = (events or {}).get("media") if isinstance((events or {}).get("media"), dict) else {}
    hls = media.get("hls") if isinstance(media.get("hls"), dict) else {}

    hls_path = _relative_path(hls.get("path"), "media/hls")
    master_name = _relative_path(hls.get("playlist"), "master.m3u8")
    objects = {o.key.rsplit("/", 1)[-1]: o for o in _folder_objects(storage, f"{prefix}{hls_path}/")}
    master: StoredObject | None = objects.get(master_name)
    if master is None and status == "unknown":
        return None  # neither events nor a master: not a recording (or not one yet)
    br_name = _relative_path(hls.get("byte_range_playlist"), "byte-range-multivariant.m3u8")
    byte_range = br_name in objects if objects else bool(hls.get("byte_range_playlist"))

    renditions = _renditions_from_events(hls)
    if not renditions and master is not None:
        renditions = _renditions_from_master(storage, master.key)

    started_at = _parse_time((events or {}).get("recording_started_at")) or _folder_time(leaf.parts)
    duration_ms = hls.get("duration_ms")
    key = f"{prefix}{hls_path}/{master_name}"
    return Recording(
        key=key,
        url=_url(base_url, key),
        last_modified=master.last_modified if master else None,
        size=master.size if master else None,
        recording_id=leaf.rid,
        channel_id=leaf.channel,
        account_id=leaf.account,
        started_at=started_at,
        ended_at=_parse_time((events or {}).get("recording_ended_at")),
        duration=_seconds(duration_ms),
        status=status,
        byte_range=byte_range,
        renditions=renditions,
        thumbnail_url=_thumbnail_url(storage, prefix, media, events is not None, base_url),
    )


def _folder_objects(storage: Storage, prefix: str) -> list[StoredObject]:
    """Objects directly in a folder (first page: the rendition folders roll up into prefixes)."""
    return storage.list(prefix, delimiter="/", limit=1000).objects


def _renditions_from_events(hls: dict[str, Any]) -> tuple[Rendition, ...]:
    items = hls.get("renditions")
    if not isinstance(items, list):
        return ()
    found = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            width, height = item.get("resolution_width"), item.get("resolution_height")
            found.append(
                Rendition(
                    item["path"], width if isinstance(width, int) else None, height if isinstance(height, int) else None
                )
            )
    return _by_height(found)


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
    return _by_height(found)


def _by_height(renditions: list[Rendition]) -> tuple[Rendition, ...]:
    return tuple(sorted(renditions, key=lambda r: (-(r.height or 0), -(r.width or 0), r.name)))


def _thumbnail_url(
    storage: Storage, prefix: str, media: dict[str, Any], have_events: bool, base_url: str
) -> str | None:
    latest = media.get("latest_thumbnail") if isinstance(media.get("latest_thumbnail"), dict) else None
    if latest is not None:  # the events say IVS keeps the latest thumbnail here: no read needed
        return _url(base_url, f"{prefix}{_relative_path(latest.get('path'), 'media/latest_thumbnail/thumb.jpg')}")
    sequential = media.get("thumbnails") if isinstance(media.get("thumbnails"), dict) else None
    if have_events and sequential is None:
        return None  # thumbnails are disabled for this recording
    if not have_events:
        listing = storage.list(f"{prefix}media/latest_thumbnail/", limit=1)
        if listing.objects:
            return _url(base_url, listing.objects[0].key)
    folder = _relative_path((sequential or {}).get("path"), "media/thumbnails")
    # One page only: a long recording has thousands of thumbnails. The page holds the highest
    # number when there are up to 1,000; beyond that it is a late one, not the very last.
    page = storage.list(f"{prefix}{folder}/", limit=1000).objects
    numbered = [(int(m.group(1)), o.key) for o in page if (m := _THUMB.search(o.key))]
    if numbered:
        return _url(base_url, max(numbered)[1])
    return _url(base_url, page[-1].key) if page else None


# --- small helpers --------------------------------------------------------------------------


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _relative_path(value: Any, default: str) -> str:
    """A path from the events JSON, used only if it stays inside the recording's prefix."""
    if isinstance(value, str) and value and not value.startswith("/") and ".." not in value.split("/"):
        return value.strip("/")
    return default


def _folder_time(parts: tuple[int, ...]) -> datetime:
    year, month, day, hour, minute = parts
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _seconds(duration_ms: Any) -> float | None:
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int | float) or duration_ms < 0:
        return None
    return duration_ms / 1000


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _aware(t: datetime | None, name: str) -> datetime | None:
    if t is None:
        return None
    if t.tzinfo is None:
        raise ValueError(f"{name} must have a time zone")
    return t.astimezone(UTC)


def _in_window(t: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or t >= since) and (until is None or t < until)


def _iso(t: datetime | None) -> str | None:
    if t is None:
        return None
    t = t.astimezone(UTC)
    text = t.isoformat(timespec="milliseconds" if t.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _url(base_url: str, key: str) -> str:
    return f"{base_url}/{quote(key, safe='/')}"
