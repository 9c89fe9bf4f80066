"""``python -m handlers.local``: the whole stack on one port (what ``make run`` starts).

The port is bound before the handlers are imported, so a taken port fails fast with one line,
and the environment the handlers read at import (``STORAGE_URL``, ``PUBLIC_BASE_URL``) is set
from the actual address first.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import json
import os
import shlex
import signal
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from handlers.config import ConfigError, Settings, load_settings
from handlers.local.cors import CorsPolicy
from handlers.local.media import FileMediaSource, MediaSource, StorageMediaSource
from handlers.local.sample import find_master_key, find_master_key_in_storage, install_sample
from handlers.local.server import LocalApp, LocalHTTPServer, Route, make_server
from handlers.storage.base import Storage, StorageError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_DATA = ".data"
CLIP_WINDOW = (5, 25)  # seconds, relative: inside the ~40 s sample

#: method + path → (handler module, Lambda function name), as the HTTP API routes them.
ROUTE_MODULES: dict[str, tuple[str, str]] = {
    "POST /clipmanifest": ("handlers.clip_manifest", "clip-manifest"),
    "GET /getrecordings": ("handlers.get_recordings", "get-recordings"),
    "GET /getclips": ("handlers.get_clips", "get-clips"),
}
# As infra/api.py (the HTTP API's cors_configuration) and infra/cdn.py (the media CORS policy) set them.
_PREFLIGHT_MAX_AGE = 3600
_API_ALLOW_HEADERS = ("authorization", "content-type")
_MEDIA_METHODS = ("GET", "HEAD", "OPTIONS")
_MEDIA_EXPOSE_HEADERS = ("Content-Length", "Content-Range", "ETag")


@dataclass(frozen=True, slots=True)
class Options:
    """The command line, validated."""

    host: str
    port: int
    data: Path
    sample: bool
    storage: str | None


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m handlers.local",
        description="Run the clip API (the three Lambdas behind an emulated HTTP API) and /media locally.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)")
    parser.add_argument(
        "--data",
        default=DEFAULT_DATA,
        help=f"directory holding recordings and clips (default {DEFAULT_DATA})",
    )
    parser.add_argument("--no-sample", action="store_true", help="do not copy the bundled sample recording")
    parser.add_argument(
        "--storage",
        metavar="s3://BUCKET",
        help="use a real bucket (with the usual AWS environment) instead of --data; no sample is copied",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.storage is not None and not args.storage.startswith("s3://"):
        parser.error("--storage takes s3://<bucket>")
    return Options(args.host, args.port, Path(args.data).resolve(), not args.no_sample, args.storage)


def display_host(host: str) -> str:
    """The host to put in URLs: wildcard addresses are reached via loopback."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def configure_environment(environ: MutableMapping[str, str], storage_url: str, base_url: str) -> Settings:
    """Set what the handlers read at import; other settings pass through from the caller's env."""
    environ["STORAGE_URL"] = storage_url
    environ["PUBLIC_BASE_URL"] = f"{base_url}/media"
    environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "ivs-clip-manifest-local")
    return load_settings(environ)


def load_routes(
    settings: Settings, storage: Storage, modules: Mapping[str, tuple[str, str]] = ROUTE_MODULES
) -> dict[str, Route]:
    """Route to the real Lambda modules, built over one shared store with their own factory.

    ``make_handler(settings, storage)`` is what each module's lazy ``handler`` calls at cold start,
    so this is the deployed code path minus reading the environment a second time.
    """
    routes: dict[str, Route] = {}
    for route_key, (module_name, function_name) in modules.items():
        module = importlib.import_module(module_name)
        factory = getattr(module, "make_handler", None)
        handler = factory(settings, storage) if factory is not None else module.handler
        routes[route_key] = Route(handler=handler, function_name=function_name)
    return routes


def build_app(settings: Settings, routes: Mapping[str, Route], media: MediaSource) -> LocalApp:
    methods = tuple(sorted({key.split(" ", 1)[0] for key in routes} | {"OPTIONS"}))
    cors = CorsPolicy(
        allow_origins=settings.cors_allow_origins,
        allow_methods=methods,
        allow_headers=_API_ALLOW_HEADERS,
        max_age=_PREFLIGHT_MAX_AGE,
    )
    media_cors = CorsPolicy(
        allow_origins=settings.cors_allow_origins,
        allow_methods=_MEDIA_METHODS,
        allow_headers=("*",),
        expose_headers=_MEDIA_EXPOSE_HEADERS,
        max_age=_PREFLIGHT_MAX_AGE,
    )
    return LocalApp(routes=routes, cors=cors, media=media, media_cors=media_cors)


def banner(base_url: str, where: str, master_key: str | None) -> str:
    """What to try first: the URLs and three copy-paste curl commands."""
    body = json.dumps(
        {
            "master_url": master_key or "<a master_url from getrecordings>",
            "start_time": CLIP_WINDOW[0],
            "end_time": CLIP_WINDOW[1],
        }
    )
    quoted = shlex.quote(body)
    lines = [
        f"ivs-clip-manifest local server on {base_url}",
        f"  API:   POST {base_url}/clipmanifest   GET {base_url}/getrecordings   GET {base_url}/getclips",
        f"  Media: {base_url}/media/<key>   (the PUBLIC_BASE_URL of the answers)",
        f"  Data:  {where}",
        "",
        "Try:",
        f"  curl -s {base_url}/getrecordings",
        f"  curl -s -X POST {base_url}/clipmanifest -H 'content-type: application/json' -d {quoted}",
        f"  curl -s {base_url}/getclips",
        "",
        "Play the clip: give the answer's clip_url to any HLS player, e.g. ffplay '<clip_url>' or VLC.",
        "",
        "Ready. Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(options: Options, environ: MutableMapping[str, str] | None = None) -> int:
    """Bind, configure, serve until interrupted; returns the exit code."""
    environ = os.environ if environ is None else environ
    if options.storage is None:
        options.data.mkdir(parents=True, exist_ok=True)
        if options.sample and install_sample(options.data):
            print(f"Copied the sample recording into {options.data}", flush=True)
    try:
        server = make_server(LocalApp(routes={}), options.host, options.port)
    except OSError as exc:
        print(_bind_error(options, exc), file=sys.stderr, flush=True)
        return 1
    with server:
        return _serve(server, options, environ)


def _serve(server: LocalHTTPServer, options: Options, environ: MutableMapping[str, str]) -> int:
    port = server.server_address[1]
    base_url = f"http://{display_host(options.host)}:{port}"
    storage_url = options.storage or options.data.as_uri()
    try:
        settings = configure_environment(environ, storage_url, base_url)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    from handlers.storage import open_storage

    storage = open_storage(settings.storage_url)
    routes = load_routes(settings, storage)
    media: MediaSource
    if options.storage is None:
        media = FileMediaSource(options.data)
        master = find_master_key(options.data, settings.recordings_prefix)
        where = f"{options.data} ({storage_url})"
    else:
        media = StorageMediaSource(storage)
        try:
            master = find_master_key_in_storage(storage, settings.recordings_prefix)
        except StorageError as exc:  # no credentials yet, say; the API answers 503 until fixed
            print(f"warning: cannot list {storage_url}: {exc}", file=sys.stderr, flush=True)
            master = None
        where = storage_url
    server.app = build_app(settings, routes, media)
    print(banner(base_url, where, master), flush=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    print("stopped", flush=True)
    return 0


def _bind_error(options: Options, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        where = f"{options.host}:{options.port}"
        return f"error: port {options.port} is already in use ({where}); stop the other server or pass --port"
    if exc.errno == errno.EACCES:
        return f"error: not allowed to listen on {options.host}:{options.port}; pick a port above 1023"
    return f"error: cannot listen on {options.host}:{options.port}: {exc.strerror or exc}"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(parse_args(argv))
    except KeyboardInterrupt:  # Ctrl-C during start-up
        print("stopped", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
