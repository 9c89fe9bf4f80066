"""Fake Amazon IVS low-latency recordings, written into any Storage (no real media).

Layout, playlists and events JSON follow docs/ivs-recording-format.md §1 (what IVS writes to
S3): ``ivs/v1/<account>/<channel>/<y>/<m>/<d>/<h>/<min>/<recording_id>/`` with date parts not
zero-padded. Segments are tiny dummy ``.ts`` objects (188-byte "TS packets", one per
byte-range sub-segment, so byte ranges stay inside the object) and thumbnails are tiny
dummy JPEGs. Use :func:`write_fake_recording` for one recording and
:func:`write_fake_recordings` for a batch spread over time. For large layouts on moto, write
through :func:`tests.support.s3.direct_storage` (much faster than HTTP puts).

Example::

    rec = write_fake_recording(storage, channel="chanA", recording_id="rec1",
                               started_at=datetime(2025, 6, 30, 22, 1, tzinfo=UTC))
    storage.get(rec.master_key)
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

Status = Literal["ended", "recording", "failed"]
RenditionSpec = tuple[str, int | None, int | None]  # (folder name, width, height); None: audio only

#: The IVS STANDARD channel ladder for a 720p30 input.
DEFAULT_RENDITIONS: tuple[RenditionSpec, ...] = (
    ("720p30", 1280, 720),
    ("480p30", 852, 480),
    ("360p30", 640, 360),
    ("160p30", 284, 160),
)
DEFAULT_ACCOUNT = "123456789012"
TS_PACKET = 188
#: IVS's first PDT comes a little after recording_started_at (41.550 vs 41 in the real sample).
FIRST_PDT_OFFSET = timedelta(milliseconds=550)

M3U8 = "application/vnd.apple.mpegurl"
JSON = "application/json"


class Writable(Protocol):
    """What the writers need: any :class:`handlers.storage.base.Storage`, or a seeder."""

    def put(self, key: str, body: bytes, content_type: str, *, if_absent: bool = False) -> bool: ...


@dataclass(frozen=True, slots=True)
class FakeRecording:
    """What was written: where it is and what the listing should report for it."""

    account: str
    channel: str
    recording_id: str
    prefix: str  # no trailing slash, as in IVS events
    started_at: datetime  # recording_started_at (whole seconds, UTC)
    ended_at: datetime | None  # recording_ended_at (whole seconds, as IVS writes it)
    duration_ms: int | None
    status: Status
    byte_range: bool
    renditions: tuple[RenditionSpec, ...]  # in the order given (the master's order)
    thumbnails: int
    latest_thumbnail: bool
    keys: tuple[str, ...]  # every key written, in write order

    @property
    def master_key(self) -> str:
        return f"{self.prefix}/media/hls/master.m3u8"

    def key(self, relative: str) -> str:
        """The full key of a path relative to the recording prefix (e.g. ``events/recording-ended.json``)."""
        return f"{self.prefix}/{relative}"


def recording_prefix(account: str, channel: str, started_at: datetime, recording_id: str) -> str:
    """``ivs/v1/<account>/<channel>/<y>/<m>/<d>/<h>/<min>/<id>`` in UTC, date parts unpadded."""
    t = _utc(started_at)
    return f"ivs/v1/{account}/{channel}/{t.year}/{t.month}/{t.day}/{t.hour}/{t.minute}/{recording_id}"


def write_fake_recording(
    storage: Writable,
    *,
    account: str = DEFAULT_ACCOUNT,
    channel: str = "chanA",
    started_at: datetime,
    recording_id: str,
    renditions: Sequence[RenditionSpec] = DEFAULT_RENDITIONS,
    status: Status = "ended",
    segments: int = 3,
    segment_seconds: float = 10.0,
    byte_range: bool = True,
    thumbnails: int = 2,
    latest_thumbnail: bool = False,
    extra_objects: int = 0,
) -> FakeRecording:
    """Write one fake IVS LL recording and return what was written.

    - ``events/recording-started.json`` always; ``recording-ended.json`` (status "ended") or
      ``recording-failed.json`` ("failed") with ``duration_ms``; renditions listed in a shuffled
      order (IVS does not keep it stable); ``byte_range_playlist`` fields only if ``byte_range``.
    - ``media/hls/master.m3u8`` (IVS style, no trailing newline) and, if ``byte_range``,
      ``byte-range-multivariant.m3u8`` and ``<rendition>/byte-range-variant.m3u8`` (1 s sub-ranges).
    - ``<rendition>/playlist.m3u8``: PDT on every segment, 3-decimal EXTINF, TARGETDURATION 12,
      PLAYLIST-TYPE EVENT, ENDLIST unless ``status == "recording"``; ``segments`` segments of
      ``segment_seconds`` each (<= 12) and the dummy ``N.ts`` objects.
    - ``thumbnails`` dummy ``media/thumbnails/thumbN.jpg``; ``latest_thumbnail`` adds
      ``media/latest_thumbnail/thumb.jpg`` (IVS storage LATEST).
    - ``extra_objects`` unreferenced dummy objects ``media/hls/<first rendition>/extraN.bin``, to make
      a recording "heavy" for listing-cost tests without a long playlist.
    """
    if segments < 0 or thumbnails < 0 or extra_objects < 0:
        raise ValueError("segments, thumbnails and extra_objects must be >= 0")
    if not 0 < segment_seconds <= 12:
        raise ValueError("segment_seconds must be in (0, 12]: IVS writes TARGETDURATION 12")
    if not renditions:
        raise ValueError("a recording needs at least one rendition")
    started = _utc(started_at).replace(microsecond=0)
    prefix = recording_prefix(account, channel, started, recording_id)
    seg_ms = round(segment_seconds * 1000)
    duration_ms = None if status == "recording" else segments * seg_ms
    ended = None if duration_ms is None else (started + timedelta(milliseconds=duration_ms)).replace(microsecond=0)
    specs = tuple(renditions)
    written: list[str] = []

    def put(relative: str, body: bytes, content_type: str) -> None:
        storage.put(f"{prefix}/{relative}", body, content_type)
        written.append(f"{prefix}/{relative}")

    shuffle = random.Random(f"{recording_id}/{account}/{channel}")
    started_json = _events_json(
        account, channel, started, None, "started", None, specs, byte_range, thumbnails, latest_thumbnail, shuffle
    )
    put("events/recording-started.json", started_json, JSON)

    put("media/hls/master.m3u8", _multivariant(account, channel, specs, "playlist.m3u8"), M3U8)
    if byte_range:
        body = _multivariant(account, channel, specs, "byte-range-variant.m3u8")
        put("media/hls/byte-range-multivariant.m3u8", body, M3U8)
    subs_per_segment = max(1, math.ceil(segment_seconds))
    for name, _w, _h in specs:
        put(f"media/hls/{name}/playlist.m3u8", _media_playlist(started, segments, seg_ms, status), M3U8)
        if byte_range:
            body = _byte_range_playlist(started, segments, seg_ms, subs_per_segment)
            put(f"media/hls/{name}/byte-range-variant.m3u8", body, M3U8)
        for n in range(segments):
            put(f"media/hls/{name}/{n}.ts", _dummy_ts(subs_per_segment), "video/mp2t")
    for n in range(extra_objects):
        put(f"media/hls/{specs[0][0]}/extra{n}.bin", b"x", "application/octet-stream")
    for n in range(thumbnails):
        put(f"media/thumbnails/thumb{n}.jpg", _dummy_jpeg(n), "image/jpeg")
    if latest_thumbnail:
        put("media/latest_thumbnail/thumb.jpg", _dummy_jpeg(max(thumbnails - 1, 0)), "image/jpeg")

    if status != "recording":
        body = _events_json(
            account,
            channel,
            started,
            ended,
            status,
            duration_ms,
            specs,
            byte_range,
            thumbnails,
            latest_thumbnail,
            shuffle,
        )
        put(f"events/recording-{status}.json", body, JSON)

    return FakeRecording(
        account=account,
        channel=channel,
        recording_id=recording_id,
        prefix=prefix,
        started_at=started,
        ended_at=ended,
        duration_ms=duration_ms,
        status=status,
        byte_range=byte_range,
        renditions=specs,
        thumbnails=thumbnails,
        latest_thumbnail=latest_thumbnail,
        keys=tuple(written),
    )


def write_fake_recordings(
    storage: Writable,
    count: int,
    *,
    first_started_at: datetime,
    step: timedelta = timedelta(minutes=47),
    channels: Sequence[str] = ("chanA",),
    id_prefix: str = "rec",
    **options: object,
) -> list[FakeRecording]:
    """``count`` recordings, the i-th started ``first_started_at + i * step``, channels in turn.

    Recording ids are ``<id_prefix><i:05d>``; ``options`` go to :func:`write_fake_recording`.
    Returned oldest first.
    """
    return [
        write_fake_recording(
            storage,
            channel=channels[i % len(channels)],
            started_at=first_started_at + i * step,
            recording_id=f"{id_prefix}{i:05d}",
            **options,  # type: ignore[arg-type]
        )
        for i in range(count)
    ]


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError("started_at must be timezone-aware")
    return t.astimezone(UTC)


def _iso_z(t: datetime, ms: bool = False) -> str:
    if ms:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _events_json(
    account: str,
    channel: str,
    started: datetime,
    ended: datetime | None,
    status: str,
    duration_ms: int | None,
    specs: tuple[RenditionSpec, ...],
    byte_range: bool,
    thumbnails: int,
    latest_thumbnail: bool,
    shuffle: random.Random,
) -> bytes:
    renditions = []
    for name, width, height in specs:
        r: dict[str, object] = {"path": name, "playlist": "playlist.m3u8"}
        if byte_range:
            r["byte_range_playlist"] = "byte-range-variant.m3u8"
        if width is not None and height is not None:
            r["resolution_width"], r["resolution_height"] = width, height
        renditions.append(r)
    shuffle.shuffle(renditions)
    hls: dict[str, object] = {"path": "media/hls", "playlist": "master.m3u8"}
    if byte_range:
        hls["byte_range_playlist"] = "byte-range-multivariant.m3u8"
    if duration_ms is not None:
        hls["duration_ms"] = duration_ms
    hls["renditions"] = renditions
    media: dict[str, object] = {"hls": hls}
    if thumbnails:
        media["thumbnails"] = {"path": "media/thumbnails", "resolution_width": 640, "resolution_height": 360}
    if latest_thumbnail:
        media["latest_thumbnail"] = {
            "path": "media/latest_thumbnail/thumb.jpg",
            "resolution_width": 640,
            "resolution_height": 360,
        }
    doc: dict[str, object] = {
        "version": "v1",
        "recording_started_at": _iso_z(started),
        "channel_arn": f"arn:aws:ivs:us-east-1:{account}:channel/{channel}",
        "recording_status": {
            "started": "RECORDING_STARTED",
            "ended": "RECORDING_ENDED",
            "failed": "RECORDING_ENDED_WITH_FAILURE",
        }[status],
    }
    if ended is not None:
        doc["recording_ended_at"] = _iso_z(ended)
    if status == "failed":
        doc["recording_status_message"] = "InternalServerException"
    doc["media"] = media
    return json.dumps(doc, separators=(",", ":")).encode()


def _multivariant(account: str, channel: str, specs: tuple[RenditionSpec, ...], playlist: str) -> bytes:
    lines = [
        "#EXTM3U",
        f'#EXT-X-SESSION-DATA:DATA-ID="net.live-video.content.id",VALUE="{channel}"',
        f'#EXT-X-SESSION-DATA:DATA-ID="net.live-video.customer.id",VALUE="{account}"',
    ]
    for name, width, height in specs:
        if width is None or height is None:
            lines.append('#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=64000,CODECS="mp4a.40.2"')
        else:
            label = name.split("p")[0] + "p" if "p" in name else name
            lines.append(f'#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="{name}",NAME="{label}",AUTOSELECT=YES,DEFAULT=YES')
            lines.append(
                f"#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH={width * height * 2 + 64000},"
                f'CODECS="avc1.4D401F,mp4a.40.2",RESOLUTION={width}x{height},VIDEO="{name}"'
            )
        lines.append(f"{name}/{playlist}")
    return "\n".join(lines).encode()  # IVS writes no trailing newline here


def _media_playlist(started: datetime, segments: int, seg_ms: int, status: str) -> bytes:
    pdt = started + FIRST_PDT_OFFSET
    total_ms = segments * seg_ms
    written_at = started + timedelta(milliseconds=total_ms + 5000)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:12",
        f"#ID3-EQUIV-TDTG:{written_at.strftime('%Y-%m-%dT%H:%M:%S')}",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-TWITCH-ELAPSED-SECS:0.000",
        f"#EXT-X-TWITCH-TOTAL-SECS:{total_ms / 1000:.3f}",
    ]
    for n in range(segments):
        lines += [f"#EXT-X-PROGRAM-DATE-TIME:{_iso_z(pdt, ms=True)}", f"#EXTINF:{seg_ms / 1000:.3f},", f"{n}.ts"]
        pdt += timedelta(milliseconds=seg_ms)
    if status != "recording":
        lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


def _byte_range_playlist(started: datetime, segments: int, seg_ms: int, subs: int) -> bytes:
    pdt = started + FIRST_PDT_OFFSET
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:4",
        "#EXT-X-TARGETDURATION:12",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    for n in range(segments):
        left = seg_ms
        for i in range(subs):
            part = 1000 if i < subs - 1 else left
            left -= part
            lines += [
                f"#EXT-X-PROGRAM-DATE-TIME:{_iso_z(pdt, ms=True)}",
                f"#EXTINF:{part / 1000:.3f},",
                f"#EXT-X-BYTERANGE:{TS_PACKET}@{i * TS_PACKET}",
                f"{n}.ts",
            ]
            pdt += timedelta(milliseconds=part)
    lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


def _dummy_ts(packets: int) -> bytes:
    return (b"\x47" + b"\xff" * (TS_PACKET - 1)) * packets


def _dummy_jpeg(n: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + f"fake thumbnail {n}".encode() + b"\xff\xd9"


# --- IVS Real-Time (docs/ivs-recording-format.md §5) ---------------------------------------------

RT_ACCOUNT = "123456789012"
#: A composite rendition folder as AWS's doc draws it: name plus a hash suffix.
COMPOSITE_RENDITIONS: tuple[RenditionSpec, ...] = (("720p30-abcdeABCDE12", 1280, 720),)


@dataclass(frozen=True, slots=True)
class FakeRealtimeRecording:
    """A Real-Time recording as written: participant (``<stage>/<session>/<participant>/<ts>``) or composite."""

    kind: Literal["real-time-participant", "real-time-composite"]
    stage: str
    session: str | None
    participant: str | None
    prefix: str  # no trailing slash
    started_at: datetime
    status: Status
    keys: tuple[str, ...]

    @property
    def master_key(self) -> str:
        return f"{self.prefix}/media/hls/multivariant.m3u8"

    @property
    def recording_id(self) -> str:
        """What the listing (and the clips index) calls it: the folder of ``media/``."""
        return self.prefix.rsplit("/", 1)[-1]


def realtime_folder_name(t: datetime) -> str:
    """IVS's participant timestamp folder, ``2024-01-01T12-00-55Z``."""
    return _utc(t).strftime("%Y-%m-%dT%H-%M-%SZ")


def write_fake_participant_recording(
    storage: Writable,
    *,
    stage: str = "stageAbCd1234",
    session: str = "st-Session0001",
    participant: str = "partAAAA0001",
    started_at: datetime,
    status: Status = "ended",
    segments: int = 3,
    thumbnails: int = 2,
    latest_thumbnail: bool = True,
    extra_objects: int = 0,
    events: bool = True,
) -> FakeRealtimeRecording:
    """One individual participant recording as RT-IND documents it: fMP4 ``high/`` rendition with
    ``init-0.mp4``, 5-decimal ``EXTINF``, a PDT only at the start, no MEDIA-SEQUENCE, thumbnails
    under ``media/thumbnails/high/N.jpg`` and ``media/latest_thumbnail/high/thumb.jpg``, events
    with ``stage_arn``/``session_id``/``participant_id`` and no byte-range or resolution fields.
    ``events=False`` writes no events files (a recording IVS has not described yet).
    """
    started = _utc(started_at).replace(microsecond=0)
    prefix = f"{stage}/{session}/{participant}/{realtime_folder_name(started)}"
    extra: dict[str, object] = {"session_id": session, "participant_id": participant}
    keys = _write_realtime(
        storage, prefix, stage, started, status, segments, thumbnails, latest_thumbnail, extra_objects, events,
        renditions=(("high", None, None),), extra=extra,
    )  # fmt: skip
    return FakeRealtimeRecording("real-time-participant", stage, session, participant, prefix, started, status, keys)


def write_fake_composite_recording(
    storage: Writable,
    *,
    stage: str = "stageAbCd1234",
    composition: str = "compAbCd1234",
    destination: str = "destAbCd1234",
    session: str | None = "st-Session0001",
    started_at: datetime,
    status: Status = "ended",
    segments: int = 3,
    thumbnails: int = 2,
    latest_thumbnail: bool = True,
    extra_objects: int = 0,
) -> FakeRealtimeRecording:
    """One composite recording at the default ``<stage>/<composition>/<destination>/composite``:
    renditions with a hash suffix and ``resolution_*``, thumbnails by ``resolutions[]`` in
    ``WxH`` folders (RT-COMP). AWS documents neither the composite's segment format nor its PDT;
    this writes fMP4 with one PDT like the participant recording.
    """
    started = _utc(started_at).replace(microsecond=0)
    prefix = f"{stage}/{composition}/{destination}/composite"
    extra: dict[str, object] = {"session_id": session} if session else {}
    keys = _write_realtime(
        storage, prefix, stage, started, status, segments, thumbnails, latest_thumbnail, extra_objects, True,
        renditions=COMPOSITE_RENDITIONS, extra=extra,
    )  # fmt: skip
    return FakeRealtimeRecording("real-time-composite", stage, session, None, prefix, started, status, keys)


def _write_realtime(
    storage: Writable,
    prefix: str,
    stage: str,
    started: datetime,
    status: Status,
    segments: int,
    thumbnails: int,
    latest_thumbnail: bool,
    extra_objects: int,
    events: bool,
    *,
    renditions: tuple[RenditionSpec, ...],
    extra: dict[str, object],
) -> tuple[str, ...]:
    written: list[str] = []
    composite = any(h is not None for _n, _w, h in renditions)
    thumb_folders = [f"{w}x{h}" for _n, w, h in renditions] if composite else [n for n, _w, _h in renditions]

    def put(relative: str, body: bytes, content_type: str) -> None:
        storage.put(f"{prefix}/{relative}", body, content_type)
        written.append(f"{prefix}/{relative}")

    seg_ms = [5637 + 11 * (n % 3) for n in range(segments)]  # RT segments vary around 6 s
    duration_ms = None if status == "recording" else sum(seg_ms)

    def doc(state: str) -> bytes:
        hls: dict[str, object] = {"path": "media/hls", "playlist": "multivariant.m3u8"}
        if duration_ms is not None and state != "started":
            hls["duration_ms"] = duration_ms
        hls["renditions"] = [
            {"path": n, "playlist": "playlist.m3u8"}
            | ({"resolution_width": w, "resolution_height": h} if w and h else {})
            for n, w, h in renditions
        ]
        media: dict[str, object] = {"hls": hls}
        thumbs: list[dict[str, object]] = [{"path": f} for f in thumb_folders]
        if composite:
            thumbs = [{"width": w, "height": h} for _n, w, h in renditions]
        section = "resolutions" if composite else "renditions"
        if thumbnails:
            media["thumbnails"] = {"path": "media/thumbnails", section: thumbs}
        if latest_thumbnail:
            media["latest_thumbnail"] = {"path": "media/latest_thumbnail", section: thumbs}
        body: dict[str, object] = {
            "version": "v1",
            "stage_arn": f"arn:aws:ivs:us-west-2:{RT_ACCOUNT}:stage/{stage}",
            **extra,
            "recording_started_at": _iso_z(started),
            "recording_status": {
                "started": "RECORDING_STARTED", "ended": "RECORDING_ENDED", "failed": "RECORDING_ENDED_WITH_FAILURE",
            }[state],
            "media": media,
        }  # fmt: skip
        if state != "started" and duration_ms is not None:
            body["recording_ended_at"] = _iso_z(started + timedelta(milliseconds=duration_ms))
        return json.dumps(body, separators=(",", ":")).encode()

    if events:
        put("events/recording-started.json", doc("started"), JSON)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for name, width, height in renditions:
        resolution = f",RESOLUTION={width}x{height}" if width and height else ""
        inf = f'#EXT-X-STREAM-INF:BANDWIDTH=2500000,CODECS="avc1.42e01f,mp4a.40.2"{resolution}'
        lines += [inf, f"{name}/playlist.m3u8"]
    put("media/hls/multivariant.m3u8", ("\n".join(lines) + "\n").encode(), M3U8)
    for name, _w, _h in renditions:
        playlist = [
            "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:6", "#EXT-X-PLAYLIST-TYPE:VOD",
            '#EXT-X-MAP:URI="init-0.mp4"', f"#EXT-X-PROGRAM-DATE-TIME:{_iso_z(started, ms=True)}",
        ]  # fmt: skip
        for n, ms in enumerate(seg_ms):
            playlist += [f"#EXTINF:{ms / 1000:.5f},", f"{n}.mp4"]
        if status != "recording":
            playlist.append("#EXT-X-ENDLIST")
        put(f"media/hls/{name}/playlist.m3u8", ("\n".join(playlist) + "\n").encode(), M3U8)
        put(f"media/hls/{name}/init-0.mp4", b"\x00\x00\x00\x18ftypiso6", "video/mp4")
        for n in range(segments):
            put(f"media/hls/{name}/{n}.mp4", b"\x00\x00\x00\x10moof" + bytes(8), "video/mp4")
        for n in range(extra_objects):
            put(f"media/hls/{name}/extra{n}.bin", b"x", "application/octet-stream")
    for folder in thumb_folders:
        for n in range(thumbnails):
            put(f"media/thumbnails/{folder}/{n + 1}.jpg", _dummy_jpeg(n), "image/jpeg")
        if latest_thumbnail:
            put(f"media/latest_thumbnail/{folder}/thumb.jpg", _dummy_jpeg(thumbnails), "image/jpeg")
    if events and status != "recording":
        put(f"events/recording-{status}.json", doc(status), JSON)
    return tuple(written)
