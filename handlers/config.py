"""Settings from the environment, checked once at cold start so a bad deployment fails loudly."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from handlers.keys import is_bucket_name, is_key_part

DEFAULT_CLIPS_PREFIX = "clips/"
DEFAULT_RECORDINGS_PREFIX = "ivs/"
#: Unset RECORDINGS_PREFIX: the low-latency tree IVS writes (``ivs/``, listed as a date tree) and
#: ``""``, any other key outside the clips prefix (IVS Real-Time recordings have no common root).
DEFAULT_RECORDINGS_PREFIXES: tuple[str, ...] = (DEFAULT_RECORDINGS_PREFIX, "")
DEFAULT_MAX_CLIP_SECONDS = 86_400.0
DEFAULT_THUMBNAIL_INTERVAL_SECONDS = 60.0  # IVS's default thumbnail targetIntervalSeconds
DEFAULT_MP4_MAX_SECONDS = 3600.0  # the longest window exported as MP4 (the export function's /tmp and time)
MAX_TTL_SECONDS = 10 * 365.25 * 86_400  # clips expire at most ten years ahead

_EVENT_BUS = re.compile(r"^(arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/)?[A-Za-z0-9._/-]{1,256}$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
#: A Lambda function name, name with alias/version, or ARN (what ``lambda.invoke`` accepts).
_FUNCTION = re.compile(r"^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,140}(:[A-Za-z0-9_$-]+)?$")


class ConfigError(RuntimeError):
    """A missing or invalid environment variable; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the handlers need to know about their deployment."""

    storage_url: str  # s3://bucket or file:///absolute/dir
    public_base_url: str  # without a trailing slash
    clips_prefix: str = DEFAULT_CLIPS_PREFIX  # ends with "/"
    recordings_prefixes: tuple[str, ...] = DEFAULT_RECORDINGS_PREFIXES  # each ends with "/", or "" for any key
    max_clip_seconds: float = DEFAULT_MAX_CLIP_SECONDS
    cors_allow_origins: tuple[str, ...] = ("*",)
    event_bus_name: str | None = None  # EventBridge bus for clip events; None: events go to the log
    default_clip_ttl_seconds: float | None = None  # clips made without expires_at live this long; None: forever
    thumbnail_interval_seconds: float = DEFAULT_THUMBNAIL_INTERVAL_SECONDS  # when the events JSON does not say
    mp4_max_seconds: float = DEFAULT_MP4_MAX_SECONDS  # longer requested windows are refused (422 too_long)
    mp4_function_name: str | None = None  # the export worker, invoked asynchronously; None: a local thread

    @property
    def bucket(self) -> str | None:
        """The S3 bucket behind ``s3://`` URIs in requests; ``None`` for local file storage."""
        parts = urlsplit(self.storage_url)
        return parts.netloc if parts.scheme == "s3" else None


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate every setting; raises :class:`ConfigError` naming the first bad one."""
    return Settings(
        storage_url=_storage_url(_required(environ, "STORAGE_URL")),
        public_base_url=_base_url(_required(environ, "PUBLIC_BASE_URL")),
        clips_prefix=_prefix(environ, "CLIPS_PREFIX", DEFAULT_CLIPS_PREFIX),
        recordings_prefixes=_recordings_prefixes(environ, _prefix(environ, "CLIPS_PREFIX", DEFAULT_CLIPS_PREFIX)),
        max_clip_seconds=_seconds(environ, "MAX_CLIP_SECONDS", DEFAULT_MAX_CLIP_SECONDS),
        cors_allow_origins=_origins(environ, "CORS_ALLOW_ORIGINS"),
        event_bus_name=_event_bus(environ, "EVENT_BUS_NAME"),
        default_clip_ttl_seconds=_ttl(environ, "DEFAULT_CLIP_TTL_SECONDS"),
        thumbnail_interval_seconds=_seconds(environ, "THUMBNAIL_INTERVAL_SECONDS", DEFAULT_THUMBNAIL_INTERVAL_SECONDS),
        mp4_max_seconds=_seconds(environ, "MP4_MAX_SECONDS", DEFAULT_MP4_MAX_SECONDS),
        mp4_function_name=_function_name(environ, "MP4_FUNCTION_NAME"),
    )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


def _storage_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme == "s3":
        if not is_bucket_name(parts.netloc) or parts.path.strip("/") or parts.query or parts.fragment:
            raise ConfigError(f"STORAGE_URL must be s3://<bucket> with a valid bucket name, not {value!r}")
        return f"s3://{parts.netloc}"
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/") or parts.query:
            raise ConfigError(f"STORAGE_URL must be file:///<absolute directory>, not {value!r}")
        return value
    raise ConfigError(f"STORAGE_URL must start with s3:// or file:///, not {value!r}")


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) URL without query or fragment, not {value!r}")
    if parts.username or parts.password:
        raise ConfigError("PUBLIC_BASE_URL must not carry credentials")
    try:
        parts.port  # noqa: B018  (validates the port)
    except ValueError as exc:
        raise ConfigError(f"PUBLIC_BASE_URL has an invalid port: {value!r}") from exc
    return value.rstrip("/")


def _recordings_prefixes(environ: Mapping[str, str], clips_prefix: str) -> tuple[str, ...]:
    """RECORDINGS_PREFIX: a comma-separated list of key prefixes; unset means every key but the clips.

    ``*`` in the list stands for ``""`` (any key outside the clips prefix). A prefix inside the
    clips prefix is refused: clips are never sources.
    """
    name = "RECORDINGS_PREFIX"
    raw = [p.strip() for p in environ.get(name, "").split(",") if p.strip()]
    if not raw:
        return DEFAULT_RECORDINGS_PREFIXES
    prefixes = tuple("" if p == "*" else _check_prefix(name, p, DEFAULT_RECORDINGS_PREFIX) for p in raw)
    for prefix in prefixes:
        if prefix and prefix.startswith(clips_prefix):
            raise ConfigError(f"{name} {prefix!r} lies inside CLIPS_PREFIX {clips_prefix!r}: clips are never sources")
    return prefixes


def _prefix(environ: Mapping[str, str], name: str, default: str) -> str:
    return _check_prefix(name, environ.get(name, "").strip() or default, default)


def _check_prefix(name: str, value: str, default: str) -> str:
    if not value.endswith("/"):
        value += "/"
    parts = value[:-1].split("/")
    if value.startswith("/") or not all(p and p not in (".", "..") and is_key_part(p) for p in parts):
        raise ConfigError(f"{name} must be a key prefix such as {default!r}, not {value!r}")
    return value


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds, not {raw!r}")
    return value


def _event_bus(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    if not _EVENT_BUS.match(value):
        raise ConfigError(f"{name} must be an EventBridge bus name or ARN, not {value!r}")
    return value


def _function_name(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    if not _FUNCTION.match(value):
        raise ConfigError(f"{name} must be a Lambda function name or ARN, not {value!r}")
    return value


def _ttl(environ: Mapping[str, str], name: str) -> float | None:
    """Seconds a clip lives by default; unset or ``0`` means clips do not expire by default."""
    if environ.get(name, "").strip() in ("", "0"):
        return None
    value = _seconds(environ, name, 0.0)
    if value > MAX_TTL_SECONDS:
        raise ConfigError(f"{name} must be at most ten years ({MAX_TTL_SECONDS:.0f} s), not {value:g}")
    return value


def _origins(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = environ.get(name, "").strip() or "*"
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ConfigError(f"{name} must list origins such as https://example.com or *, not {origin!r}")
    return origins or ("*",)
