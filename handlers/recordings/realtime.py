"""IVS Real-Time recordings in the bucket, found newest first at a cost independent of segment count.

What AWS documents (docs/ivs-recording-format.md §5) and what is assumed here:

- Individual participant recordings are written under
  ``<stage_id>/<stage_session_id>/<participant_id>/<timestamp>/`` at the bucket root, the
  timestamp like ``2024-01-01T12-00-55Z`` (UTC, hyphens for colons): the folder name is the
  recording's start, which orders them.
- Composite recordings default to ``<stageId>/<compositionId>/<destinationId>/composite/``. The
  folder name carries no time, so a composite is ordered by the ``LastModified`` of the first
  events file listed for it (``recording-started.json``, written when recording starts):
  **assumed**, AWS does not say when that file is written, nor document the composite's segment
  format or PDT, which the clipper detects from the playlists themselves.
- Both layouts put a recording folder four levels below the bucket root and hold only
  ``events/`` and ``media/`` in it. A recordings prefix of ``""`` means that root (minus the
  clips prefix and the other configured prefixes, the low-latency ``ivs/`` tree among them);
  a prefix such as ``<stage_id>/`` is the part of that path already known. Composites under a
  custom ``recordingPrefix`` of another depth are not found by this walk (clip them by key).

The walk lists folder levels (stage, session, participant) with ``delimiter="/"`` and reads
each third-level folder with ``delimiter="/media/"``: a recording's thousands of segments roll
up into one ``<timestamp>/media/`` prefix and its events files come back by name (hence its
status), so one request gives every recording of a participant. Session and participant ids
are random, not time-ordered, so every folder down to that level is listed for each page:
the cost grows with the number of stages, sessions and participants, never with segments.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from handlers.keys import is_resource_id
from handlers.storage.base import Storage, StoredObject, list_pages

#: A position in the merged listing, compared descending: (start epoch seconds, rank, ids).
#: Rank 0 is Real-Time and 1 low-latency, so within one second the kinds never interleave.
MergeKey = tuple[int, int, tuple[str, ...]]
RT_RANK = 0
COMPOSITE_FOLDER = "composite"
#: ``arn:aws:ivs:<region>:<account>:stage/<id>`` (any AWS partition).
STAGE_ARN = re.compile(r"arn:aws[a-z-]{0,16}:ivs:[a-z0-9-]{1,32}:(\d{12}):stage/([A-Za-z0-9_-]{1,128})")
#: Folder levels between a ``""`` root and the folder read with ``"/media/"``.
_LEVELS = 3
_MEDIA = "/media/"
_EVENTS = "events"
#: Start times from a folder name or an events file's date may differ from the events JSON's
#: ``recording_started_at`` by a little; the window is checked again on the recording read.
_SLACK = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class RealtimeLeaf:
    """One Real-Time recording folder, before its events file is read."""

    prefix: str  # the recording folder, ending with "/"
    stage: str  # the first part of the key: IVS's stage id in both documented layouts
    parts: tuple[str, ...]  # the folders below the stage: session, participant, timestamp (or ..., "composite")
    started: datetime  # from the timestamp folder, else the first events file's LastModified
    events: frozenset[str]  # names of the files in events/

    @property
    def key(self) -> MergeKey:
        return int(self.started.timestamp()), RT_RANK, (self.stage, *self.parts)

    @property
    def composite_folder(self) -> bool:
        return self.parts[-1] == COMPOSITE_FOLDER


def parse_folder_time(name: str) -> datetime | None:
    """``2024-01-01T12-00-55Z`` (IVS's participant timestamp folder) as a UTC instant."""
    try:
        return datetime.strptime(name, "%Y-%m-%dT%H-%M-%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def stage_id_of(value: str) -> str | None:
    """The stage id a ``stage`` filter names: an id, or a stage ARN (``arn:aws:ivs:…:stage/<id>``)."""
    text = value.strip()
    if is_resource_id(text):
        return text
    match = STAGE_ARN.fullmatch(text)
    return match.group(2) if match else None


def stage_arn_parts(arn: str | None) -> tuple[str, str] | None:
    """(account, stage id) of a stage ARN, as the events JSON's ``stage_arn`` gives it."""
    match = STAGE_ARN.fullmatch(arn or "")
    return (match.group(1), match.group(2)) if match else None


class RealtimeWalk:
    """Every Real-Time recording under the roots, yielded newest first (see the module doc)."""

    def __init__(
        self,
        storage: Storage,
        roots: Sequence[str],
        *,
        excluded: Sequence[str] = (),
        stage: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before: MergeKey | None = None,
    ) -> None:
        self.storage = storage
        self.roots = tuple(dict.fromkeys(roots))
        #: Top-level folders of a ``""`` root that are not stages (``ivs/``, ``clips/``, ...).
        self.excluded = frozenset(p.split("/", 1)[0] for p in excluded if p)
        self.stage = stage
        self.since, self.until, self.before = since, until, before

    def leaves(self) -> Iterator[RealtimeLeaf]:
        found = [leaf for root in self.roots for leaf in self._under(root) if self._wanted(leaf)]
        found.sort(key=lambda leaf: leaf.key, reverse=True)
        yield from found

    def _wanted(self, leaf: RealtimeLeaf) -> bool:
        if self.before is not None and leaf.key >= self.before:
            return False
        if self.since is not None and leaf.started < self.since - _SLACK:
            return False
        return self.until is None or leaf.started < self.until + _SLACK

    def _under(self, root: str) -> Iterator[RealtimeLeaf]:
        known = [p for p in root.split("/") if p]
        if len(known) > _LEVELS:
            return  # deeper than the documented layouts (see the module doc)
        if self.stage is not None:
            if (known and known[0] != self.stage) or (not known and self.stage in self.excluded):
                return
            known = known or [self.stage]
        folders = [f"{'/'.join(known)}/" if known else ""]
        for level in range(len(known), _LEVELS):
            folders = [
                f"{folder}{name}/"
                for folder in folders
                for name in self._folders(folder)
                if level > 0 or name not in self.excluded
            ]
        for folder in folders:
            yield from self._recordings_in(folder)

    def _recordings_in(self, folder: str) -> Iterator[RealtimeLeaf]:
        """The recording folders ``<folder><name>/`` and their events files, from one listing."""
        events: dict[str, set[str]] = {}
        first_event: dict[str, StoredObject] = {}
        media: set[str] = set()
        for page in list_pages(self.storage, folder, delimiter=_MEDIA):
            objects, prefixes = page.objects, page.prefixes
            for prefix in prefixes:
                name, _, rest = prefix[len(folder) :].partition("/")
                if rest == "media/" and is_resource_id(name):
                    media.add(name)
            for obj in objects:
                parts = obj.key[len(folder) :].split("/")
                if len(parts) == 3 and parts[1] == _EVENTS and is_resource_id(parts[0]) and parts[2]:
                    events.setdefault(parts[0], set()).add(parts[2])
                    if parts[0] not in first_event or obj.last_modified < first_event[parts[0]].last_modified:
                        first_event[parts[0]] = obj
        stage, *between = folder.strip("/").split("/")
        for name in sorted(media | set(events)):
            started = parse_folder_time(name)
            if started is None and name in first_event:
                started = first_event[name].last_modified.astimezone(UTC).replace(microsecond=0)
            if started is None:
                continue  # neither a timestamp folder nor an events file: not a recording (yet)
            yield RealtimeLeaf(f"{folder}{name}/", stage, (*between, name), started, frozenset(events.get(name, ())))

    def _folders(self, prefix: str) -> Iterator[str]:
        for page in list_pages(self.storage, prefix, delimiter="/"):
            for p in page.prefixes:
                name = p[len(prefix) : -1]
                if is_resource_id(name):  # IVS ids; hidden and temporary names are never stages
                    yield name
