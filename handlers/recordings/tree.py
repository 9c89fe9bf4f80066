"""The IVS low-latency prefix tree, walked best-first so the newest recordings come out first.

See :mod:`handlers.recordings.listing` for why the walk is shaped as it is: date parts are not
zero-padded (key order is not time order), so each level is read with ``delimiter="/"`` and
children are ordered by number, and a day folder is read in one listing with ``"/media/"``.
"""

from __future__ import annotations

import calendar
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from handlers.storage.base import Storage, list_pages

_MEDIA = "/media/"
# Levels of the tree below <prefix>v1/: what a node's children are (_RECORDINGS: a day folder).
_ACCOUNTS, _CHANNELS, _YEARS, _MONTHS, _DAYS, _RECORDINGS, LEAF = range(7)
_BIG = 1 << 30  # above any date part: upper bound for parts not known yet
_MAX = b"\xff"  # above any UTF-8 string

SortKey = tuple[tuple[int, ...], bytes, bytes, bytes]  # (y, m, d, h, min), id, account, channel


@dataclass(frozen=True, slots=True)
class Node:
    prefix: str  # ends with "/"
    level: int  # what its children are (a LEAF node is one recording)
    account: str = ""
    channel: str = ""
    parts: tuple[int, ...] = ()
    rid: str = ""
    events: frozenset[str] = frozenset()  # leaves: names of the files in events/

    def upper(self) -> SortKey:
        """No recording below this node sorts above this key (newest-first order is descending)."""
        if self.level == LEAF:
            return self.parts, self.rid.encode(), self.account.encode(), self.channel.encode()
        return self.parts + (_BIG,) * (5 - len(self.parts)), _MAX, _MAX, _MAX

    def lower(self) -> SortKey:
        if self.level == LEAF:
            return self.upper()
        return self.parts + (-1,) * (5 - len(self.parts)), b"", b"", b""


class _Entry:
    """Heap entry: heapq pops the smallest, so "smaller" here means "newer upper bound"."""

    __slots__ = ("key", "node")

    def __init__(self, node: Node) -> None:
        self.node = node
        self.key = node.upper()

    def __lt__(self, other: _Entry) -> bool:
        return self.key > other.key


class Walk:
    """Best-first search over the prefix tree, yielding recording leaves newest first."""

    def __init__(
        self,
        storage: Storage,
        root: str,
        channel: str | None,
        since: datetime | None,
        until: datetime | None,
        after: SortKey | None,
        account: str | None = None,
    ) -> None:
        self.storage = storage
        self.channel = channel
        #: Whether any ``<account>/<channel>/`` folder held a year folder (the channel exists).
        self.channel_found = False
        # Folders are pruned by the minutes they cover; the prefix is the recording's start time.
        self.since, self.until = since, until
        self.after = after
        if account is not None and channel is not None:
            # Both known (a channel ARN): start at the channel's folder, list nothing above it.
            self.heap = [_Entry(Node(f"{root}{account}/{channel}/", _YEARS, account, channel))]
        else:
            self.heap = [_Entry(Node(root, _ACCOUNTS))]

    def leaves(self) -> Iterator[Node]:
        while self.heap:
            node = heapq.heappop(self.heap).node
            if node.level == LEAF:
                yield node
                continue
            for child in self._children(node):
                if self._wanted(child):
                    heapq.heappush(self.heap, _Entry(child))

    def _wanted(self, node: Node) -> bool:
        if self.after is not None and node.lower() >= self.after:
            return False
        if node.parts and (self.since is not None or self.until is not None):
            span = time_span(node.parts)
            if span is None:
                return False
            start, end = span
            if (self.since is not None and end <= self.since) or (self.until is not None and start >= self.until):
                return False
        return True

    def _children(self, node: Node) -> Iterator[Node]:
        if node.level == _RECORDINGS:
            yield from self._recordings_of_day(node)
            return
        if node.level == _ACCOUNTS and self.channel is not None:
            # The channel is known: go straight to <account>/<channel>/ without listing channels.
            for name in self._folders(node.prefix):
                yield Node(f"{node.prefix}{name}/{self.channel}/", _YEARS, name, self.channel)
            return
        for name in self._folders(node.prefix):
            child = f"{node.prefix}{name}/"
            if node.level == _ACCOUNTS:
                yield Node(child, _CHANNELS, name)
            elif node.level == _CHANNELS:
                yield Node(child, _YEARS, node.account, name)
            elif (number := _number(name)) is not None:  # a date level; anything else is not IVS's
                self.channel_found = self.channel_found or node.level == _YEARS
                parts = (*node.parts, number)
                if time_span(parts) is not None:
                    yield Node(child, node.level + 1, node.account, node.channel, parts)

    def _folders(self, prefix: str) -> Iterator[str]:
        for page in list_pages(self.storage, prefix, delimiter="/"):
            for p in page.prefixes:
                yield p[len(prefix) : -1]

    def _recordings_of_day(self, day: Node) -> Iterator[Node]:
        """Every recording folder ``<h>/<min>/<id>/`` of a day, from one listing (see module doc)."""
        found: dict[tuple[int, int, str], set[str]] = {}
        for page in list_pages(self.storage, day.prefix, delimiter=_MEDIA):
            objects, prefixes = page.objects, page.prefixes
            for key in [o.key for o in objects] + prefixes:
                parts = key[len(day.prefix) :].split("/")
                hour, minute = (_number(p) for p in parts[:2]) if len(parts) >= 4 else (None, None)
                if hour is None or minute is None or not parts[2]:
                    continue
                events = found.setdefault((hour, minute, parts[2]), set())
                if parts[3] == "events" and len(parts) == 5:
                    events.add(parts[4])
        for (hour, minute, rid), events in found.items():
            when = (*day.parts, hour, minute)
            if time_span(when) is not None:
                prefix = f"{day.prefix}{hour}/{minute}/{rid}/"
                yield Node(prefix, LEAF, day.account, day.channel, when, rid, frozenset(events))


def _number(name: str) -> int | None:
    """A date part as a number (IVS does not zero-pad them, but a padded one reads the same)."""
    return int(name) if name.isascii() and name.isdigit() and len(name) <= 6 else None


def tree_root(prefix: str) -> str:
    if not isinstance(prefix, str) or prefix.startswith("/") or "//" in prefix:
        raise ValueError("prefix must be a relative key prefix such as 'ivs/'")
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    return prefix if prefix == "v1/" or prefix.endswith("/v1/") else prefix + "v1/"


def time_span(parts: tuple[int, ...]) -> tuple[datetime, datetime] | None:
    """The UTC start times a folder of date parts (year, month, ...) covers, or None if invalid."""
    try:
        year = parts[0]
        if len(parts) == 1:
            return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        month = parts[1]
        if len(parts) == 2:
            start = datetime(year, month, 1, tzinfo=UTC)
            return start, start + timedelta(days=calendar.monthrange(year, month)[1])
        day, hour, minute = (*parts[2:5], 0, 0)[:3]
        start = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    step = {3: timedelta(days=1), 4: timedelta(hours=1), 5: timedelta(minutes=1)}[len(parts)]
    return start, start + step
