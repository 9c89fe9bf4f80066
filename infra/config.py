"""Stack settings: one typed value read from Pulumi config, with the defaults applied here.

The defaults live in code, not only in Pulumi.yaml, because the CLI is what applies Pulumi.yaml
defaults: unit tests under mocks (and any program run without the CLI) would otherwise see nothing.
A test keeps Pulumi.yaml's documented defaults equal to these.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

ORIGIN_ACCESS_KINDS = ("oac", "oai")
ARCHITECTURES = ("arm64", "x86_64")
RUNTIMES = ("python3.12", "python3.13")
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
IVS_CHANNEL_TYPES = ("BASIC", "STANDARD", "ADVANCED_SD", "ADVANCED_HD")
IVS_LATENCY_MODES = ("LOW", "NORMAL")
#: What CloudWatch Logs accepts as a retention (0: never expire).
LOG_RETENTION_DAYS = (
    0,
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
#: Clips expire at most ten years ahead (as the handlers check ``expires_at``).
MAX_CLIP_TTL_SECONDS = 315_576_000
EVENT_BUS_ARN = re.compile(r"arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]{1,256}")
#: CloudFront's default maximum TTL; segments are cached at most this long.
MAX_CACHE_SECONDS = 31_536_000


#: Key prefix of the web studio's files in the bucket (its page is also served as ``index.html``).
STUDIO_PREFIX = "studio/"
#: Key prefix of function archives too large to upload directly (the MP4 worker's): never served.
CODE_PREFIX = "lambda-code/"


class SettingsError(pulumi.RunError, ValueError):
    """A config value that would deploy something broken; raised before any resource exists."""


@dataclass(frozen=True)
class Settings:
    """Everything the program reads from config. Field names are the snake_case config keys."""

    # Storage
    existing_bucket_name: str = ""
    manage_existing_bucket: bool = False
    force_destroy_bucket: bool = False
    recordings_prefix: str = "ivs/"
    clips_prefix: str = "clips/"
    cors_allow_origins: tuple[str, ...] = ("*",)
    # CDN
    origin_access: str = "oac"
    cdn_price_class: str = "PriceClass_100"
    playlist_cache_seconds: int = 5
    segment_cache_seconds: int = 31_536_000
    # Functions
    lambda_runtime: str = "python3.12"
    lambda_architecture: str = "arm64"
    lambda_memory_mb: int = 128
    lambda_timeout_seconds: int = 40
    lambda_deps_dir: str = "build/deps"
    log_level: str = "INFO"
    log_retention_days: int = 14
    max_clip_seconds: int = 86_400
    # Clip lifecycle
    default_clip_ttl_seconds: int = 0  # 0: clips do not expire unless a request says so
    event_bus_arn: str = ""  # EventBridge bus for Clip Created/Deleted/Expired/Promoted; empty: none
    # MP4 export: POST /clips/{clip_id}/mp4 and its ffmpeg worker (needs build/deps-export)
    mp4_export: bool = True
    mp4_export_deps_dir: str = "build/deps-export"
    # API
    throttling_burst_limit: int = 100
    throttling_rate_limit: int = 50
    jwt_issuer: str = ""
    jwt_audience: tuple[str, ...] = ()
    # IVS (optional)
    create_ivs_channel: bool = False
    ivs_channel_type: str = "STANDARD"
    ivs_latency_mode: str = "LOW"
    ivs_thumbnail_interval_seconds: int = 60
    ivs_reconnect_window_seconds: int = 60
    #: An IVS Real-Time stage recording every participant into the bucket (under ``<stage_id>/``).
    create_ivs_stage: bool = False
    # Web studio (optional): served by the CDN when the directory exists
    studio_dir: str = "studio"

    def __post_init__(self) -> None:
        _one_of("originAccess", self.origin_access, ORIGIN_ACCESS_KINDS)
        _one_of("cdnPriceClass", self.cdn_price_class, PRICE_CLASSES)
        _one_of("lambdaArchitecture", self.lambda_architecture, ARCHITECTURES)
        _one_of("lambdaRuntime", self.lambda_runtime, RUNTIMES)
        _one_of("logLevel", self.log_level, LOG_LEVELS)
        _one_of("logRetentionDays", self.log_retention_days, LOG_RETENTION_DAYS)
        _one_of("ivsChannelType", self.ivs_channel_type, IVS_CHANNEL_TYPES)
        _one_of("ivsLatencyMode", self.ivs_latency_mode, IVS_LATENCY_MODES)
        _between("ivsThumbnailIntervalSeconds", self.ivs_thumbnail_interval_seconds, 5, 60)
        _between("ivsReconnectWindowSeconds", self.ivs_reconnect_window_seconds, 0, 300)
        _between("playlistCacheSeconds", self.playlist_cache_seconds, 0, MAX_CACHE_SECONDS - 1)
        _between("segmentCacheSeconds", self.segment_cache_seconds, 1, MAX_CACHE_SECONDS)
        _between("defaultClipTtlSeconds", self.default_clip_ttl_seconds, 0, MAX_CLIP_TTL_SECONDS)
        _check(
            not self.event_bus_arn or EVENT_BUS_ARN.fullmatch(self.event_bus_arn) is not None,
            f"eventBusArn must be an EventBridge bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>), "
            f"not {self.event_bus_arn!r}",
        )
        _check(
            not self.manage_existing_bucket or self.uses_existing_bucket,
            "manageExistingBucket applies only together with existingBucketName",
        )
        for key, prefix in (("recordingsPrefix", self.recordings_prefix), ("clipsPrefix", self.clips_prefix)):
            ok = prefix.endswith("/") and not prefix.startswith("/") and "*" not in prefix
            _check(ok, f"{key} must look like 'name/' (got {prefix!r})")
        clips, recordings = self.clips_prefix, self.recordings_prefix
        overlap = clips.startswith(recordings) or recordings.startswith(clips)
        _check(not overlap, "clipsPrefix and recordingsPrefix must not overlap: clips are the only writes")
        _check(bool(self.cors_allow_origins), "corsAllowOrigins must list at least one origin (or '*')")
        _check(
            bool(self.jwt_issuer) == bool(self.jwt_audience),
            "jwtIssuer and jwtAudience go together: set both to protect POST /clipmanifest, or neither",
        )
        _check(not self.jwt_issuer or self.jwt_issuer.startswith("https://"), "jwtIssuer must be https")
        _check(
            self.playlist_cache_seconds < self.segment_cache_seconds,
            "playlistCacheSeconds must be below segmentCacheSeconds: playlists must expire first",
        )
        for key, prefix in (("recordingsPrefix", self.recordings_prefix), ("clipsPrefix", self.clips_prefix)):
            for reserved, what in ((STUDIO_PREFIX, "the web studio is served from"), (CODE_PREFIX, "code is kept")):
                _check(
                    not (prefix.startswith(reserved) or reserved.startswith(prefix)),
                    f"{key} must not overlap {reserved!r}, where {what}",
                )

    @property
    def jwt_enabled(self) -> bool:
        return bool(self.jwt_issuer and self.jwt_audience)

    @property
    def uses_existing_bucket(self) -> bool:
        return bool(self.existing_bucket_name)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Settings from camelCase config keys; unknown keys are an error (a typo must not pass)."""
        names = {config_key(f.name): f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(names))
        _check(not unknown, f"unknown config keys: {unknown}")
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            try:
                kwargs[names[key]] = _coerce(getattr(DEFAULTS, names[key]), value)
            except (TypeError, ValueError):
                raise SettingsError(
                    f"{key} must be a {type(getattr(DEFAULTS, names[key])).__name__} (got {value!r})"
                ) from None
        return cls(**kwargs)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SettingsError(message)


def _one_of(key: str, value: object, allowed: tuple[object, ...]) -> None:
    _check(value in allowed, f"{key} must be one of {allowed} (got {value!r})")


def _between(key: str, value: int, low: int, high: int) -> None:
    _check(low <= value <= high, f"{key} must be between {low} and {high} (got {value!r})")


def config_key(field_name: str) -> str:
    """snake_case field → camelCase config key (``cors_allow_origins`` → ``corsAllowOrigins``)."""
    head, *rest = field_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _coerce(default: Any, value: Any) -> Any:
    """Config values arrive as strings from the CLI and as YAML types from files; accept both."""
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).strip().lower() in {"true", "1", "yes"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, tuple):
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(item).strip() for item in items if str(item).strip())
    return str(value)


DEFAULTS = Settings()


def load_settings(config: pulumi.Config | None = None) -> Settings:
    """Read every known key of the project namespace; missing keys keep the defaults above."""
    config = config or pulumi.Config()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = config.get(config_key(f.name))
        if raw is not None:
            values[config_key(f.name)] = _parse(raw) if isinstance(f.default, tuple) else raw
    return Settings.from_mapping(values)


def _parse(raw: str) -> Any:
    """A list key holds a YAML list (JSON text to the SDK) or a comma-separated string."""
    return json.loads(raw) if raw.lstrip().startswith("[") else raw


def stack_file_settings(path: Path, project: str) -> Settings:
    """The settings a committed ``Pulumi.<stack>.yaml`` gives, for tools that run before the CLI (CI's build)."""
    import yaml

    document = yaml.safe_load(path.read_text()) or {}
    prefix = f"{project}:"
    values = {k.removeprefix(prefix): v for k, v in (document.get("config") or {}).items() if k.startswith(prefix)}
    return Settings.from_mapping(values)
