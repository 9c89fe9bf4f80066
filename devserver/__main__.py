"""``python -m devserver``: the whole stack on one port (what ``make run`` starts).

The port is bound before the handlers are imported, so a taken port fails fast with one line,
and the environment the handlers read (``STORAGE_URL``, ``PUBLIC_BASE_URL``) is set from the
actual address first.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shlex
import signal
import socket
import sys
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from devserver.accesslog import AccessLog
from devserver.app import DevApp
from devserver.media import FileMediaSource, MediaSource, StorageMediaSource, served_prefixes
from devserver.routes import load_routes
from devserver.sample import find_master_key, find_master_key_in_storage, install_sample
from devserver.server import (
    DEFAULT_CLEANUP_INTERVAL,
    DEFAULT_CLIENT_TIMEOUT,
    DEFAULT_THREADS,
    DevServer,
    ServerLimits,
    bind,
)
from devserver.studio import Studio, StudioConfig
from devserver.tasks import BackgroundTasks, PeriodicJob
from handlers.config import ConfigError, Settings, load_settings
from handlers.storage.base import Storage, StorageError
from handlers.web.cors import api_policy, media_policy

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_DATA = ".data"
CLIP_WINDOW = (5, 25)  # seconds, relative: inside the ~40 s sample


@dataclass(frozen=True, slots=True)
class Options:
    """The command line, validated."""

    host: str
    port: int
    data: Path
    sample: bool
    storage: str | None
    client_timeout: int = DEFAULT_CLIENT_TIMEOUT
    threads: int = DEFAULT_THREADS


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m devserver",
        description="Run the clip API (the Lambdas behind an emulated HTTP API), /media and the studio locally.",
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
    parser.add_argument(
        "--client-timeout",
        type=int,
        default=DEFAULT_CLIENT_TIMEOUT,
        metavar="SECONDS",
        help=f"close connections idle or stuck mid-request this long (default {DEFAULT_CLIENT_TIMEOUT})",
    )
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help=f"request threads (default {DEFAULT_THREADS})"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.storage is not None and not args.storage.startswith("s3://"):
        parser.error("--storage takes s3://<bucket>")
    if args.client_timeout < 1 or args.threads < 1:
        parser.error("--client-timeout and --threads must be at least 1")
    return Options(
        args.host,
        args.port,
        Path(args.data).resolve(),
        not args.no_sample,
        args.storage,
        args.client_timeout,
        args.threads,
    )


def display_host(host: str) -> str:
    """The host to put in URLs: wildcard addresses are reached via loopback."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def configure_environment(environ: MutableMapping[str, str], storage_url: str, base_url: str) -> Settings:
    """Set what the handlers read; other settings pass through from the caller's env."""
    environ["STORAGE_URL"] = storage_url
    environ["PUBLIC_BASE_URL"] = f"{base_url}/media"
    environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "ivs-clip-manifest-local")
    return load_settings(environ)


def recordings_prefixes(settings: Settings) -> tuple[str, ...]:
    """The recordings prefixes (``RECORDINGS_PREFIX``, a comma-separated list); ``""`` means any key."""
    return tuple(settings.recordings_prefixes)


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
        f"  Studio: {base_url}/",
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


#: How often the local stack sweeps expired clips (in AWS an EventBridge schedule runs the sweep).
SWEEP_INTERVAL = 60.0


def background_jobs(settings: Settings, storage: Storage) -> list[PeriodicJob]:
    """The periodic jobs the local stack runs beside the API (scheduled Lambdas in AWS)."""
    from handlers import sweep_expired

    sweep = sweep_expired.make_handler(settings, storage)

    def run_sweep() -> None:
        sweep({"source": "devserver", "detail-type": "Scheduled Event"}, None)

    return [PeriodicJob("sweep-expired", SWEEP_INTERVAL, run_sweep, run_now=True)]


def run(options: Options, environ: MutableMapping[str, str] | None = None) -> int:
    """Bind, configure, serve until Ctrl-C or SIGTERM; returns the exit code."""
    environ = os.environ if environ is None else environ
    try:
        sock = bind(options.host, options.port)
    except OSError as exc:
        print(_bind_error(options, exc), file=sys.stderr, flush=True)
        return 1
    try:
        return _serve(sock, options, environ)
    finally:
        sock.close()


def _serve(sock: socket.socket, options: Options, environ: MutableMapping[str, str]) -> int:
    port = sock.getsockname()[1]
    base_url = f"http://{display_host(options.host)}:{port}"
    storage_url = options.storage or options.data.as_uri()
    try:
        settings = configure_environment(environ, storage_url, base_url)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    if options.storage is None:
        options.data.mkdir(parents=True, exist_ok=True)
        if options.sample and install_sample(options.data):
            print(f"Copied the sample recording into {options.data}", flush=True)
    from handlers.storage import open_storage

    storage = open_storage(settings.storage_url)
    routes = load_routes(settings, storage)
    prefixes = recordings_prefixes(settings)
    media: MediaSource
    if options.storage is None:
        media = FileMediaSource(options.data)
        master = find_master_key(options.data, prefixes)
        where = f"{options.data} ({storage_url})"
    else:
        media = StorageMediaSource(storage)
        try:
            master = find_master_key_in_storage(storage, prefixes)
        except StorageError as exc:  # no credentials yet, say; the API answers 503 until fixed
            print(f"warning: cannot list {storage_url}: {exc}", file=sys.stderr, flush=True)
            master = None
        where = storage_url
    access_log = AccessLog()
    app = DevApp(
        routes=routes,
        api_cors=api_policy(settings.cors_allow_origins),
        media=media,
        media_prefixes=served_prefixes(prefixes, settings.clips_prefix),
        media_cors=media_policy(settings.cors_allow_origins),
        studio=Studio(StudioConfig(api_url=base_url, media_url=settings.public_base_url)),
        access_log=access_log,
    )
    limits = ServerLimits(
        threads=options.threads,
        channel_timeout=options.client_timeout,
        cleanup_interval=min(DEFAULT_CLEANUP_INTERVAL, options.client_timeout),
    )
    server = DevServer(app, sock, limits=limits, access_log=access_log)
    tasks = BackgroundTasks()
    for job in background_jobs(settings, storage):
        tasks.every(job)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.shutdown()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(banner(base_url, where, master), flush=True)
    try:
        server.serve_forever()
    finally:
        tasks.stop()
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
