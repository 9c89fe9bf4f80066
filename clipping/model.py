"""Values that go into and come out of the clip engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

from .errors import InvalidOption
from .timeparse import TimePoint, parse_time

Boundary = Literal["outer", "inner", "nearest"]
BOUNDARIES: tuple[str, ...] = ("outer", "inner", "nearest")
DEFAULT_MAX_SECONDS = 86_400.0

#: Reads the playlist at a path (a storage key or a file path) and returns its text.
#: It raises :class:`clipping.PlaylistNotFound` (or ``FileNotFoundError``) when there is none.
PlaylistReader = Callable[[str], str]
#: Like :data:`PlaylistReader`, but it may answer a :class:`clipping.source.RandomText` instead of
#: the whole text, so that long playlists are read a few blocks at a time.
SourceReader = Callable[[str], Any]
#: Runs callables, maybe in parallel threads, and returns their results in order; the first
#: failure (in order) is raised. The service passes one that carries the request's time budget.
Parallel = Callable[[Sequence[Callable[[], Any]]], list[Any]]
#: ``source``: the clip keeps the source's media and discontinuity sequence numbers (the whole
#: text is needed to count them); ``clip``: the clip numbers itself from 0 (a new VOD playlist).
Numbering = Literal["source", "clip"]


def sequential(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """The default :data:`Parallel`: one task after the other."""
    return [task() for task in tasks]


TimeValue = int | float | str


@dataclass(frozen=True, slots=True)
class ClipRequest:
    """What to cut: a window, already parsed, and the options that shape it.

    Adapters parse user input once (:func:`clipping.parse_time`, :func:`parse_boundary`); the
    engine trusts these values and never reads them again.
    """

    start: TimePoint
    end: TimePoint
    byte_range: bool = False
    boundary: Boundary = "outer"
    max_seconds: float = DEFAULT_MAX_SECONDS

    @classmethod
    def from_values(
        cls,
        start: TimeValue,
        end: TimeValue,
        byte_range: bool = False,
        boundary: str = "outer",
        max_seconds: float = DEFAULT_MAX_SECONDS,
    ) -> ClipRequest:
        """Parse raw times and options (the CLI's and tests' way in); refusals name the field."""
        return cls(
            parse_time(start, "start_time"),
            parse_time(end, "end_time"),
            byte_range,
            parse_boundary(boundary),
            max_seconds,
        )


def parse_boundary(value: object) -> Boundary:
    """``outer``, ``inner`` or ``nearest``; anything else (``False``, ``0``, ``[]``) is refused."""
    if isinstance(value, str) and value in BOUNDARIES:
        return cast(Boundary, value)
    raise InvalidOption(f"boundary must be one of {', '.join(BOUNDARIES)}", field="boundary")


@dataclass(frozen=True, slots=True)
class RenditionSummary:
    """One clipped media playlist of the clip."""

    name: str
    kind: str  # "variant", "audio", "subtitles", "video", "closed-captions" or "iframe"
    path: str  # output path of the clipped playlist
    segments: int
    duration: float  # seconds, the sum of the kept EXTINF values
    start_offset: float  # seconds from the first kept segment's start to the requested start


@dataclass(frozen=True, slots=True)
class Notice:
    """Something true of a clip that its playlists cannot show: ``code`` for machines, ``message`` for people."""

    code: str
    message: str
    renditions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Clip:
    """A finished clip: the playlists to store and what they cover.

    Times are ISO 8601 UTC with milliseconds (``None`` when the recording carries no dates);
    the ``*_seconds`` fields are relative to the recording's first instant.
    """

    master_path: str
    playlists: dict[str, str]  # output path -> playlist text; the master comes first
    source_master_path: str
    byte_range: bool
    boundary: str
    start_time: str | None
    end_time: str | None
    start_seconds: float
    end_seconds: float
    duration: float
    requested_start_time: str | None
    requested_end_time: str | None
    requested_start_seconds: float
    requested_end_seconds: float
    start_offset: float
    renditions: tuple[RenditionSummary, ...]
    notices: tuple[Notice, ...] = ()

    def summary(self) -> dict[str, Any]:
        """JSON-ready description of the clip, without the playlist texts."""
        data = asdict(self)
        data.pop("playlists")
        data["renditions"] = [asdict(r) for r in self.renditions]
        data["notices"] = [{**asdict(n), "renditions": list(n.renditions)} for n in self.notices]
        return data
