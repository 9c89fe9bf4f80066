"""Functions: one per route and per scheduled job, sized as specified, sharing one archive, configured by env."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.export import MP4_ROUTE
from infra.routes import JOBS, ROUTES
from tests.infra import harness as h
from tests.infra.conftest import CORS_ORIGINS

HANDLERS = {
    "clipmanifest": "handlers.clip_manifest.handler",
    "getrecordings": "handlers.get_recordings.handler",
    "getclips": "handlers.get_clips.handler",
    "getclip": "handlers.clip_by_id.handler",
    "deleteclip": "handlers.clip_by_id.handler",
    "promoteclip": "handlers.promote_clip.handler",
    "sweepexpired": "handlers.sweep_expired.handler",
    "clipmp4": "handlers.clip_mp4.handler",
}
#: The MP4 export worker: sized for ffmpeg, with its own archive (see tests/infra/test_export.py).
WORKER = {"mp4export": "handlers.mp4_worker.handler"}


def functions(stack: h.Recorded) -> dict[str, dict[str, Any]]:
    return {f.name: f.inputs for f in stack.of_type(h.FUNCTION)}


def test_there_is_one_function_per_route_and_job_with_its_handler(stack: h.Recorded) -> None:
    assert {name: f["handler"] for name, f in functions(stack).items()} == {**HANDLERS, **WORKER}


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


def test_all_api_and_job_functions_share_one_code_archive(stack: h.Recorded) -> None:
    found = functions(stack)
    archives = [{name: asset.path for name, asset in found[f]["code"].assets.items()} for f in sorted(HANDLERS)]
    assert archives[0] and archives[1:] == [archives[0]] * (len(HANDLERS) - 1)


def test_each_function_has_its_own_role(stack: h.Recorded) -> None:
    roles = {name: f["role"] for name, f in functions(stack).items()}
    assert len(set(roles.values())) == len(HANDLERS) + len(WORKER)
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
        "DEFAULT_CLIP_TTL_SECONDS": "0",
        "THUMBNAIL_INTERVAL_SECONDS": "60",
        "EVENT_BUS_NAME": "",
    }
    for name, function in functions(stack).items():
        extra = {"MP4_FUNCTION_NAME": "mp4export-0a1b2c3"} if name == "clipmp4" else {}
        assert function["environment"]["variables"] == {**expected, **extra}


def test_route_and_job_tables_name_every_function() -> None:
    assert {spec.name for spec in (*ROUTES, *JOBS, MP4_ROUTE)} == set(HANDLERS)


def test_the_sweep_runs_on_its_own_schedule_and_only_that_rule_invokes_it(stack: h.Recorded) -> None:
    rule = stack.named("aws:cloudwatch/eventRule:EventRule", "sweepexpired-schedule").inputs
    assert rule["scheduleExpression"] == "rate(15 minutes)"
    target = stack.named("aws:cloudwatch/eventTarget:EventTarget", "sweepexpired-target").inputs
    sweep_arn = f"arn:aws:lambda:{h.REGION}:{h.ACCOUNT}:function:sweepexpired-0a1b2c3"
    assert (target["rule"], target["arn"]) == ("sweepexpired-schedule-0a1b2c3", sweep_arn)
    permission = stack.named(h.PERMISSION, "sweepexpired-invoke").inputs
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["sourceArn"] == f"arn:aws:events:{h.REGION}:{h.ACCOUNT}:rule/sweepexpired-schedule-0a1b2c3"
