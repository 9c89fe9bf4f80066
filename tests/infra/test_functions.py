"""Functions: one per route, sized as specified, sharing one archive, configured through env vars."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.routes import ROUTES
from tests.infra import harness as h
from tests.infra.conftest import CORS_ORIGINS

HANDLERS = {
    "clipmanifest": "handlers.clip_manifest.handler",
    "getrecordings": "handlers.get_recordings.handler",
    "getclips": "handlers.get_clips.handler",
}


def functions(stack: h.Recorded) -> dict[str, dict[str, Any]]:
    return {f.name: f.inputs for f in stack.of_type(h.FUNCTION)}


def test_there_is_one_function_per_route_with_its_handler(stack: h.Recorded) -> None:
    assert {name: f["handler"] for name, f in functions(stack).items()} == HANDLERS


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_function_size_is_128_mb_40_s(stack: h.Recorded, name: str) -> None:
    function = functions(stack)[name]
    assert (function["memorySize"], function["timeout"]) == (128, 40)


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_function_runs_python_312_or_newer_on_arm64(stack: h.Recorded, name: str) -> None:
    function = functions(stack)[name]
    major, minor = function["runtime"].removeprefix("python").split(".")
    assert (int(major), int(minor)) >= (3, 12)
    assert function["architectures"] == ["arm64"]


def test_all_functions_share_one_code_archive(stack: h.Recorded) -> None:
    archives = [{name: asset.path for name, asset in f["code"].assets.items()} for f in functions(stack).values()]
    assert archives[0] and archives[1:] == [archives[0]] * 2


def test_each_function_has_its_own_role(stack: h.Recorded) -> None:
    roles = {name: f["role"] for name, f in functions(stack).items()}
    assert len(set(roles.values())) == 3
    assert all(role.endswith(f"role/{name}-role-0a1b2c3") for name, role in roles.items())


def test_only_lambda_may_assume_the_function_roles(stack: h.Recorded) -> None:
    for role in stack.of_type(h.ROLE):
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"


def test_no_managed_policy_with_wildcards_is_attached(stack: h.Recorded) -> None:
    assert not [r for r in stack.resources if r.typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"]


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_function_logs_to_its_own_log_group_with_retention(stack: h.Recorded, name: str) -> None:
    log_group = stack.named(h.LOG_GROUP, f"{name}-logs").inputs
    assert functions(stack)[name]["loggingConfig"]["logGroup"] == log_group["name"]
    assert log_group["name"] == f"/{h.PROJECT}/dev/{name}"
    assert log_group["retentionInDays"] == 14


def test_environment_tells_the_handlers_where_data_lives_and_how_to_serve_it(stack: h.Recorded) -> None:
    expected = {
        "STORAGE_URL": f"s3://{h.bucket_name_for('media')}",
        "PUBLIC_BASE_URL": f"https://{h.CDN_DOMAIN}",
        "CLIPS_PREFIX": "clips/",
        "RECORDINGS_PREFIX": "ivs/",
        "MAX_CLIP_SECONDS": "86400",
        "CORS_ALLOW_ORIGINS": ",".join([*CORS_ORIGINS, f"https://{h.CDN_DOMAIN}"]),
        "LOG_LEVEL": "INFO",
    }
    for function in functions(stack).values():
        assert function["environment"]["variables"] == expected


def test_route_table_names_the_three_functions() -> None:
    assert {route.name for route in ROUTES} == set(HANDLERS)
