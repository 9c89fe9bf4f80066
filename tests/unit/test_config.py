"""Settings come from the environment and a bad one stops the service with its name."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.config import ConfigError, Settings, load_settings

BASE = {"STORAGE_URL": "s3://my-bucket", "PUBLIC_BASE_URL": "https://d111.cloudfront.net/"}


def test_defaults_apply_when_only_required_settings_are_given() -> None:
    settings = load_settings(BASE)
    assert settings == Settings(
        storage_url="s3://my-bucket",
        public_base_url="https://d111.cloudfront.net",
        clips_prefix="clips/",
        recordings_prefixes=("ivs/", ""),  # the IVS LL tree, and any other key but the clips
        max_clip_seconds=86_400.0,
        cors_allow_origins=("*",),
    )


def test_bucket_is_taken_from_an_s3_storage_url() -> None:
    assert load_settings(BASE).bucket == "my-bucket"


def test_file_storage_has_no_bucket() -> None:
    settings = load_settings({**BASE, "STORAGE_URL": "file:///tmp/data"})
    assert settings.bucket is None


def test_every_setting_is_read() -> None:
    settings = load_settings(
        {
            **BASE,
            "CLIPS_PREFIX": "out/clips",
            "RECORDINGS_PREFIX": "rec/",
            "MAX_CLIP_SECONDS": "3600",
            "CORS_ALLOW_ORIGINS": "https://a.example, http://localhost:3000",
        }
    )
    assert settings.clips_prefix == "out/clips/"
    assert settings.recordings_prefixes == ("rec/",)
    assert settings.max_clip_seconds == 3600.0
    assert settings.cors_allow_origins == ("https://a.example", "http://localhost:3000")


@pytest.mark.parametrize("name", ["STORAGE_URL", "PUBLIC_BASE_URL"])
def test_missing_required_setting_is_named(name: str) -> None:
    env = {k: v for k, v in BASE.items() if k != name}
    with pytest.raises(ConfigError, match=name):
        load_settings(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORAGE_URL", "http://bucket"),
        ("STORAGE_URL", "s3://Bad_Bucket"),
        ("STORAGE_URL", "s3://bucket/some/path"),
        ("STORAGE_URL", "file://relative/dir"),
        ("PUBLIC_BASE_URL", "ftp://example.com"),
        ("PUBLIC_BASE_URL", "https://example.com/?q=1"),
        ("PUBLIC_BASE_URL", "https://user:pw@example.com"),
        ("PUBLIC_BASE_URL", "example.com"),
        ("CLIPS_PREFIX", "/clips/"),
        ("CLIPS_PREFIX", "clips/../x/"),
        ("RECORDINGS_PREFIX", "ivs//"),
        ("MAX_CLIP_SECONDS", "ten"),
        ("MAX_CLIP_SECONDS", "0"),
        ("MAX_CLIP_SECONDS", "-5"),
        ("MAX_CLIP_SECONDS", "nan"),
        ("MAX_CLIP_SECONDS", "inf"),
        ("CORS_ALLOW_ORIGINS", "example.com"),
        ("CORS_ALLOW_ORIGINS", "https://a.example/path"),
    ],
)
def test_invalid_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({**BASE, name: value})


def recording_builder() -> tuple[list[Settings], Any]:
    """A handler factory that records the settings it was built with."""
    builds: list[Settings] = []

    def build(settings: Settings, storage: object) -> object:
        builds.append(settings)
        return lambda event, context: {"statusCode": 200}

    return builds, build


def test_handler_fails_loudly_at_cold_start_naming_the_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers.web.http import lazy_handler

    monkeypatch.delenv("STORAGE_URL", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cdn.example")
    handler = lazy_handler(lambda settings, storage: lambda event, context: {})
    with pytest.raises(ConfigError, match="STORAGE_URL"):
        handler({}, None)


def test_handler_builds_once_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from handlers.web.http import lazy_handler

    monkeypatch.setenv("STORAGE_URL", f"file://{tmp_path}")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cdn.example")
    builds, build = recording_builder()
    handler = lazy_handler(build)  # type: ignore[arg-type]
    assert handler({}, None) == handler({}, None) == {"statusCode": 200}
    assert len(builds) == 1 and builds[0].public_base_url == "https://cdn.example"


def test_inside_lambda_a_bad_setting_fails_the_init_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers.web.http import lazy_handler

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "clipmanifest")
    monkeypatch.delenv("STORAGE_URL", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cdn.example")
    with pytest.raises(ConfigError, match="STORAGE_URL"):
        lazy_handler(lambda settings, storage: lambda event, context: {})


def test_inside_lambda_the_handler_is_built_at_import(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from handlers.web.http import lazy_handler

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "clipmanifest")
    monkeypatch.setenv("STORAGE_URL", f"file://{tmp_path}")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cdn.example")
    builds, build = recording_builder()
    handler = lazy_handler(build)  # type: ignore[arg-type]
    assert len(builds) == 1
    assert handler({}, None) == {"statusCode": 200} and len(builds) == 1


def test_recordings_prefix_star_means_any_key_and_none_may_lie_inside_the_clips() -> None:
    assert load_settings({**BASE, "RECORDINGS_PREFIX": "ivs/,*"}).recordings_prefixes == ("ivs/", "")
    with pytest.raises(ConfigError, match="CLIPS_PREFIX"):
        load_settings({**BASE, "RECORDINGS_PREFIX": "clips/old/"})
