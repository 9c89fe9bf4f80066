"""``python -m clipping clip SOURCE --start S --end E --out DIR``: clip a recording on disk."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .engine import clip_recording
from .errors import ClipError, InvalidPlaylist
from .model import BOUNDARIES, DEFAULT_MAX_SECONDS, ClipRequest


def _read_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidPlaylist(f"{path} is not UTF-8 text, so not an HLS playlist") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m clipping", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    clip = commands.add_parser("clip", help="clip a recording's master playlist into a directory")
    clip.add_argument("source", help="path of the recording's master (or byte-range multivariant) playlist")
    clip.add_argument("--start", required=True, help="relative seconds, epoch seconds or ISO 8601")
    clip.add_argument("--end", required=True, help="relative seconds, epoch seconds or ISO 8601")
    clip.add_argument("--byte-range", action="store_true", help="clip the byte-range playlists")
    clip.add_argument("--boundary", choices=BOUNDARIES, default="outer")
    clip.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS)
    clip.add_argument("--name", default="clip", help="file name of the clip's master, without .m3u8")
    clip.add_argument("--out", required=True, type=Path, help="directory to write the clip into")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    source = Path(args.source).resolve()
    out_dir = args.out.resolve()
    try:
        request = ClipRequest.from_values(args.start, args.end, args.byte_range, args.boundary, args.max_seconds)
        clip = clip_recording(source.as_posix(), request, _read_file, (out_dir / f"{args.name}.m3u8").as_posix())
    except ClipError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path, text in clip.playlists.items():
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(json.dumps(clip.summary(), indent=2))
    return 0
