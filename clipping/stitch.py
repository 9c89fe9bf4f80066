"""Join clips of several recordings into one clip: one media playlist per rendition, one master.

Each part is a finished clipped media playlist (what :func:`clipping.clip_recording` writes) of
one recording; parts come in time order. The joined playlist keeps every part's lines as they
are and adds what HLS needs where two recordings meet (RFC 8216bis §4.4.3, §6.2.1, §6.2.4):

- ``#EXT-X-DISCONTINUITY`` before each later part (timestamps, encoder and init restart there);
- a ``#EXT-X-PROGRAM-DATE-TIME`` on the first segment of every part, so players place each
  recording at its wall-clock time across the gap;
- ``#EXT-X-KEY:METHOD=NONE`` before a part without keys that follows one with keys;
- one ``#EXT-X-TARGETDURATION`` for every rendition (the largest of all parts), the highest
  ``#EXT-X-VERSION`` any part needs, ``VOD`` and ``#EXT-X-ENDLIST``;
- a discontinuity sequence that is the same function of time in every rendition: parts must
  hold as many discontinuities in each rendition, or the join is refused.

Byte ranges need nothing more: the engine writes an explicit ``@offset`` on every range, and a
part whose first range has none is refused, since the offset would then chain across recordings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import InvalidPlaylist
from .timeparse import format_iso

_HEADER_TAGS = (
    "#EXTM3U",
    "#EXT-X-VERSION:",
    "#EXT-X-TARGETDURATION:",
    "#EXT-X-PLAYLIST-TYPE:",
    "#EXT-X-MEDIA-SEQUENCE:",
    "#EXT-X-DISCONTINUITY-SEQUENCE:",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    "#EXT-X-I-FRAMES-ONLY",
    "#EXT-X-START:",
    "#EXT-X-DEFINE:",
)
_PDT = "#EXT-X-PROGRAM-DATE-TIME:"
_DISCONTINUITY = "#EXT-X-DISCONTINUITY"


@dataclass(frozen=True, slots=True)
class ClipPart:
    """One recording's clipped media playlist and where its first segment starts (epoch µs, or None)."""

    text: str
    start_us: int | None = None


@dataclass(frozen=True, slots=True)
class _Parsed:
    version: int
    target: int
    media_sequence: int
    discontinuity_sequence: int
    independent: bool
    iframes_only: bool
    start: str | None  # the #EXT-X-START line
    defines: tuple[str, ...]
    body: tuple[str, ...]  # segment lines, no ENDLIST

    @property
    def discontinuities(self) -> int:
        return sum(1 for line in self.body if line == _DISCONTINUITY)

    @property
    def has_keys(self) -> bool:
        return any(line.startswith("#EXT-X-KEY:") and "METHOD=NONE" not in line for line in self.body)

    @property
    def has_map(self) -> bool:
        return any(line.startswith("#EXT-X-MAP:") for line in self.body)


def target_duration(parts: Sequence[ClipPart]) -> int:
    """The largest ``#EXT-X-TARGETDURATION`` of the parts (every part already covers its EXTINFs)."""
    return max(_parse(p.text).target for p in parts)


def stitch(parts: Sequence[ClipPart], target: int | None = None) -> str:
    """The parts of one rendition as one VOD media playlist (see the module doc for the rules)."""
    if not parts:
        raise InvalidPlaylist("nothing to stitch: no clip parts")
    parsed = [_parse(p.text) for p in parts]
    target = max(target or 0, *(p.target for p in parsed))
    first = parsed[0]
    head = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{max(p.version for p in parsed)}",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-MEDIA-SEQUENCE:{first.media_sequence}",
    ]
    if first.discontinuity_sequence:
        head.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{first.discontinuity_sequence}")
    if all(p.independent for p in parsed):
        head.append("#EXT-X-INDEPENDENT-SEGMENTS")
    if all(p.iframes_only for p in parsed):
        head.append("#EXT-X-I-FRAMES-ONLY")
    head.extend(_defines(parsed))
    if first.start:
        head.append(first.start)
    body: list[str] = []
    for index, (part, raw) in enumerate(zip(parsed, parts, strict=True)):
        if index:
            previous = parsed[index - 1]
            if previous.has_map and not part.has_map:
                raise InvalidPlaylist(
                    "cannot join a recording with an init section (#EXT-X-MAP) to a later one without: "
                    "HLS has no way to end an init section"
                )
            body.append(_DISCONTINUITY)
            if _keys_in_force(parsed[:index]) and not part.has_keys:
                body.append("#EXT-X-KEY:METHOD=NONE")
        body.extend(_dated(part.body, raw.start_us, index))
    return "\n".join((*head, *body, "#EXT-X-ENDLIST")) + "\n"


def stitch_renditions(parts: Mapping[str, Sequence[ClipPart]]) -> dict[str, str]:
    """Every rendition's parts joined, with one target duration and matching discontinuities.

    ``parts`` maps a rendition name to its parts in time order; every rendition must have one
    part per recording.
    """
    counts = {len(p) for p in parts.values()}
    if len(counts) > 1:
        raise InvalidPlaylist("every rendition needs one part per recording to be stitched")
    target = max((target_duration(p) for p in parts.values()), default=1)
    _check_discontinuities(parts)
    return {name: stitch(p, target) for name, p in parts.items()}


def common_master(master_text: str, keep: Mapping[str, str]) -> str:
    """A clip master listing only the playlists in ``keep`` (URI as written → new URI).

    A variant (``#EXT-X-STREAM-INF`` and its URI line), an ``#EXT-X-MEDIA`` or an
    ``#EXT-X-I-FRAME-STREAM-INF`` whose playlist is not kept is left out; URI-less lines stay.
    """
    out: list[str] = []
    pending: str | None = None
    for raw in master_text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXT-X-STREAM-INF"):
            pending = line
            continue
        if pending is not None and not line.startswith("#"):
            if line in keep:
                out += [pending, keep[line]]
            pending = None
            continue
        uri = _uri_attribute(line)
        if uri is not None:
            if uri not in keep:
                continue
            line = line.replace(f'URI="{uri}"', f'URI="{keep[uri]}"')
        out.append(line)
    return "\n".join(out) + "\n"


def _uri_attribute(line: str) -> str | None:
    if not line.startswith(("#EXT-X-MEDIA:", "#EXT-X-I-FRAME-STREAM-INF:")):
        return None
    at = line.find('URI="')
    if at == -1:
        return None
    end = line.find('"', at + 5)
    return line[at + 5 : end] if end != -1 else None


def _check_discontinuities(parts: Mapping[str, Sequence[ClipPart]]) -> None:
    """Discontinuity sequence numbers must match across renditions (8216bis §6.2.4)."""
    by_rendition = {name: [_parse(p.text).discontinuities for p in ps] for name, ps in parts.items()}
    if len({tuple(v) for v in by_rendition.values()}) > 1:
        raise InvalidPlaylist(
            "the renditions hold different numbers of discontinuities per recording "
            f"({by_rendition}); their joined playlists could not keep one discontinuity sequence"
        )


def _keys_in_force(parsed: Sequence[_Parsed]) -> bool:
    """Whether an encryption key is still in force at the end of these parts."""
    for part in reversed(parsed):
        for line in reversed(part.body):
            if line.startswith("#EXT-X-KEY:"):
                return "METHOD=NONE" not in line
    return False


def _defines(parsed: Sequence[_Parsed]) -> list[str]:
    seen: list[str] = []
    for part in parsed:
        for line in part.defines:
            if line not in seen:
                seen.append(line)
    return seen


def _dated(body: tuple[str, ...], start_us: int | None, index: int) -> list[str]:
    """The part's lines with a date on its first segment (and a check of its first byte range)."""
    lines = list(body)
    first_extinf = next((i for i, line in enumerate(lines) if line.startswith("#EXTINF:")), None)
    if first_extinf is None:
        raise InvalidPlaylist(f"clip part {index + 1} holds no segment")
    uri_at = next((i for i in range(first_extinf, len(lines)) if not lines[i].startswith("#")), len(lines))
    first_range = next((line for line in lines[: uri_at + 1] if line.startswith("#EXT-X-BYTERANGE:")), None)
    if first_range is not None and "@" not in first_range:
        raise InvalidPlaylist(f"clip part {index + 1} starts with a byte range without an explicit offset")
    dated = any(line.startswith(_PDT) for line in lines[:uri_at])
    if not dated and start_us is not None:
        lines.insert(first_extinf, _PDT + format_iso(start_us))
    return lines


def _parse(text: str) -> _Parsed:
    """Header values and body lines of a clipped media playlist (as the engine writes them)."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise InvalidPlaylist("a clip part is not an HLS playlist")
    values: dict[str, str] = {}
    defines: list[str] = []
    body: list[str] = []
    flags: set[str] = set()
    start: str | None = None
    for line in lines[1:]:
        if line == "#EXT-X-ENDLIST":
            continue
        if body or not line.startswith(_HEADER_TAGS):
            body.append(line)
            continue
        tag, _, value = line.partition(":")
        if tag == "#EXT-X-START":
            start = line
        elif tag == "#EXT-X-DEFINE":
            defines.append(line)
        elif value:
            values[tag] = value
        else:
            flags.add(tag)
    try:
        return _Parsed(
            version=int(values.get("#EXT-X-VERSION", "3")),
            target=int(values.get("#EXT-X-TARGETDURATION", "1")),
            media_sequence=int(values.get("#EXT-X-MEDIA-SEQUENCE", "0")),
            discontinuity_sequence=int(values.get("#EXT-X-DISCONTINUITY-SEQUENCE", "0")),
            independent="#EXT-X-INDEPENDENT-SEGMENTS" in flags,
            iframes_only="#EXT-X-I-FRAMES-ONLY" in flags,
            start=start,
            defines=tuple(defines),
            body=tuple(body),
        )
    except ValueError:
        raise InvalidPlaylist("a clip part has a malformed header value") from None
