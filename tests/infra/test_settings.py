"""Config: documented keys, defaults equal in Pulumi.yaml and code, bad values refused early."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml

from infra.config import DEFAULTS, Settings, SettingsError, config_key
from tests.infra import harness as h

SCHEMA_FIELDS = {"type", "items", "description", "secret", "default"}
SCHEMA_TYPES = {"string", "integer", "boolean", "array"}


def project_config() -> dict[str, dict[str, Any]]:
    return yaml.safe_load((h.ROOT / "Pulumi.yaml").read_text())["config"]


def code_keys() -> set[str]:
    return {config_key(f.name) for f in dataclasses.fields(Settings)}


def as_yaml_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def test_project_is_ivs_clip_manifest_on_python() -> None:
    project = yaml.safe_load((h.ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == h.PROJECT
    assert project["runtime"]["name"] == "python"


def test_pulumi_yaml_documents_every_key_the_program_reads() -> None:
    assert set(project_config()) == code_keys()


@pytest.mark.parametrize("key", sorted(code_keys()))
def test_pulumi_yaml_default_equals_the_code_default(key: str) -> None:
    field = {config_key(f.name): f.name for f in dataclasses.fields(Settings)}[key]
    assert project_config()[key]["default"] == as_yaml_value(getattr(DEFAULTS, field))


@pytest.mark.parametrize("key", sorted(code_keys()))
def test_pulumi_yaml_key_is_a_valid_typed_declaration(key: str) -> None:
    declaration = project_config()[key]
    assert set(declaration) <= SCHEMA_FIELDS and declaration.get("description")
    assert declaration["type"] in SCHEMA_TYPES
    assert declaration["type"] != "array" or declaration["items"] == {"type": "string"}


def test_the_deploy_docs_list_every_key() -> None:
    docs = (h.ROOT / "docs" / "deploy.md").read_text()
    assert [key for key in sorted(code_keys()) if f"`{key}`" not in docs] == []


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_stack_files_use_only_known_keys(stack_name: str) -> None:
    config = yaml.safe_load((h.ROOT / f"Pulumi.{stack_name}.yaml").read_text())["config"]
    project_keys = {k.split(":", 1)[1] for k in config if k.startswith(f"{h.PROJECT}:")}
    assert project_keys <= code_keys()
    assert "aws:region" in config


def test_list_keys_accept_a_comma_separated_string() -> None:
    settings = Settings.from_mapping({"corsAllowOrigins": "https://a.example, https://b.example"})
    assert settings.cors_allow_origins == ("https://a.example", "https://b.example")


def test_cli_strings_become_typed_values() -> None:
    settings = Settings.from_mapping({"lambdaMemoryMb": "256", "createIvsChannel": "true"})
    assert (settings.lambda_memory_mb, settings.create_ivs_channel) == (256, True)


@pytest.mark.parametrize(
    "values",
    [
        {"originAccess": "public"},
        {"lambdaArchitecture": "i386"},
        {"lambdaRuntime": "python3.9"},
        {"clipsPrefix": "clips"},
        {"clipsPrefix": "ivs/clips/"},
        {"corsAllowOrigins": ""},
        {"jwtIssuer": "https://issuer.example.com/"},
        {"jwtAudience": ["app"]},
        {"jwtIssuer": "http://issuer.example.com/", "jwtAudience": ["app"]},
        {"playlistCacheSeconds": 60, "segmentCacheSeconds": 30},
        {"corsOrigins": ["https://typo.example"]},
    ],
    ids=lambda values: ",".join(values),
)
def test_settings_that_would_deploy_something_broken_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_mapping(values)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ivsThumbnailIntervalSeconds", 4),
        ("ivsThumbnailIntervalSeconds", 61),
        ("ivsReconnectWindowSeconds", -1),
        ("ivsReconnectWindowSeconds", 301),
        ("ivsChannelType", "PREMIUM"),
        ("ivsLatencyMode", "ULTRA"),
        ("logRetentionDays", 10),
        ("logRetentionDays", -1),
        ("logLevel", "VERBOSE"),
        ("cdnPriceClass", "PriceClass_300"),
        ("playlistCacheSeconds", -1),
        ("segmentCacheSeconds", 0),
        ("segmentCacheSeconds", 31_536_001),
        ("lambdaMemoryMb", "lots"),
        ("manageExistingBucket", True),
        ("clipsPrefix", "studio/"),
    ],
)
def test_out_of_range_settings_are_refused_naming_the_key(key: str, value: Any) -> None:
    with pytest.raises(SettingsError, match=key):
        Settings.from_mapping({key: value})


@pytest.mark.parametrize(
    "values",
    [
        {"ivsThumbnailIntervalSeconds": 5, "ivsReconnectWindowSeconds": 0},
        {"ivsThumbnailIntervalSeconds": 60, "ivsReconnectWindowSeconds": 300},
        {"logRetentionDays": 0},
        {"logRetentionDays": 3653},
        {"playlistCacheSeconds": 0, "segmentCacheSeconds": 1},
        {"existingBucketName": "b", "manageExistingBucket": True},
    ],
    ids=lambda values: ",".join(f"{k}={v}" for k, v in values.items()),
)
def test_the_edges_of_the_allowed_ranges_are_accepted(values: dict[str, Any]) -> None:
    Settings.from_mapping(values)


def test_origin_access_control_is_the_default_and_the_identity_still_selectable() -> None:
    assert DEFAULTS.origin_access == "oac"
    assert Settings.from_mapping({"originAccess": "oai"}).origin_access == "oai"
