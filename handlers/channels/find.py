"""A channel's recordings near a window, found by walking only that channel's date tree.

IVS names a recording's folder after the minute it STARTED, so a recording that covers the window
may have started well before it: the walk opens the channel's year, month and day folders from
``window start - LOOKBACK`` (IVS starts a new recording prefix after 48 h) to the window's end,
and drops recordings whose events say they ended before the window. The cost depends on the
recordings near the window (about one listing per day folder plus one events read per
recording), not on the channel's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clipping.errors import ClipError
from handlers.channels.ids import ChannelRef
from handlers.recordings.events import RecordingEvents, parse_events, status_of_files
from handlers.recordings.tree import Node, Walk, tree_root
from handlers.storage.base import NotFound, Storage

#: IVS starts a new prefix for a broadcast after 48 h, so no recording is longer.
LOOKBACK = timedelta(hours=48)
#: Events times are whole seconds and "may not exactly match" the segments' dates.
EVENTS_SLACK = timedelta(seconds=60)


class UnknownChannel(ClipError):
    """No recording folder exists for the channel."""

    code = "not_found"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A recording of the channel, from its folder and newest events file (no playlist read yet)."""

    master_key: str
    recording_id: str
    account: str
    channel: str
    folder_start: datetime  # the minute in its prefix: when it started
    events: RecordingEvents

    @property
    def ends_by(self) -> datetime | None:
        """The latest its media can end, from the events (``None``: still recording or not said)."""
        events = self.events
        if events.ended_at is not None:
            return events.ended_at + EVENTS_SLACK
        if events.duration_ms is not None and events.started_at is not None:
            return events.started_at + timedelta(milliseconds=events.duration_ms) + EVENTS_SLACK
        return None

    def may_overlap(self, since: datetime) -> bool:
        """False when its events say it ended before ``since`` (then no playlist needs reading)."""
        ends_by = self.ends_by
        return ends_by is None or ends_by > since


def ll_root(prefix: str) -> str:
    """The low-latency tree under a recordings prefix (``""`` holds ``ivs/v1/``, as IVS writes it)."""
    return tree_root(prefix or "ivs/")


def channel_recordings(
    storage: Storage, root: str, ref: ChannelRef, since: datetime, until: datetime, lookback: timedelta = LOOKBACK
) -> list[Candidate]:
    """The channel's recordings that started from ``since - lookback`` to ``until``, oldest first.

    :meth:`Candidate.may_overlap` tells which of them may cover the window (the others are the
    recordings before it, for refusals). Raises :class:`UnknownChannel` when the channel has no
    recording folder at all.
    """
    walk = Walk(storage, root, ref.channel_id, since - lookback, until, None, ref.account)
    found = list(_candidates(storage, walk.leaves()))
    if not walk.channel_found:
        raise _unknown(ref)
    return sorted(found, key=lambda c: (c.folder_start, c.recording_id))


def following_recording(
    storage: Storage, root: str, ref: ChannelRef, after: datetime, lookback: timedelta = LOOKBACK
) -> Candidate | None:
    """The first recording that started at or after ``after`` (within ``lookback``), for refusals."""
    walk = Walk(storage, root, ref.channel_id, after, after + lookback, None, ref.account)
    found = sorted(_candidates(storage, walk.leaves()), key=lambda c: (c.folder_start, c.recording_id))
    return found[0] if found else None


def newest_recording(storage: Storage, root: str, ref: ChannelRef) -> Candidate:
    """The channel's newest recording (best-first: a few listings whatever the history)."""
    walk = Walk(storage, root, ref.channel_id, None, None, None, ref.account)
    for candidate in _candidates(storage, walk.leaves()):
        return candidate
    raise _unknown(ref)


def _candidates(storage: Storage, leaves: Iterator[Node]) -> Iterator[Candidate]:
    for leaf in leaves:
        events = _events(storage, leaf)
        yield Candidate(
            master_key=f"{leaf.prefix}{events.hls_path}/{events.master_name}",
            recording_id=leaf.rid,
            account=leaf.account,
            channel=leaf.channel,
            folder_start=_folder_start(leaf.parts),
            events=events,
        )


def _events(storage: Storage, leaf: Node) -> RecordingEvents:
    status, file = status_of_files(leaf.events)
    body = None
    if file is not None:
        with suppress(NotFound):
            body = storage.get(f"{leaf.prefix}events/{file}")
    return parse_events(body, status)


def _unknown(ref: ChannelRef) -> UnknownChannel:
    where = f" in account {ref.account}" if ref.account else ""
    return UnknownChannel(f"no recording of channel {ref.channel_id}{where} was found", field="channel")


def _folder_start(parts: tuple[int, ...]) -> datetime:
    year, month, day, hour, minute = parts
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
