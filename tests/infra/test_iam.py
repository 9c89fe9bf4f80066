"""IAM: each function may touch only its prefixes and its own log group; parliament finds nothing."""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from infra.policies import S3Access, document, function_policy
from tests.infra import harness as h

BUCKET_ARN = f"arn:aws:s3:::{h.bucket_name_for('media')}"
LOG_GROUP_ARN = f"arn:aws:logs:{h.REGION}:{h.ACCOUNT}:log-group:/{h.PROJECT}/dev"


def statements(stack: h.Recorded, function: str) -> list[dict[str, Any]]:
    return json.loads(stack.named(h.ROLE_POLICY, f"{function}-access").inputs["policy"])["Statement"]


def by_action(stack: h.Recorded, function: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for statement in statements(stack, function):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            found.setdefault(action, []).append(statement)
    return found


def resources(statements_: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for statement in statements_:
        resource = statement["Resource"]
        out |= set(resource) if isinstance(resource, list) else {resource}
    return out


def lists_bucket_so_missing_keys_are_404(stack: h.Recorded, function: str) -> bool:
    """ListBucket on the bucket itself, unconditioned: S3's missing-key check carries no prefix."""
    (statement,) = by_action(stack, function)["s3:ListBucket"]
    return resources([statement]) == {BUCKET_ARN} and "Condition" not in statement


def all_policies(stack: h.Recorded) -> list[str]:
    role_policies = [r.inputs["policy"] for r in stack.of_type(h.ROLE_POLICY)]
    return [*role_policies, *(r.inputs["assumeRolePolicy"] for r in stack.of_type(h.ROLE))]


def test_clip_function_reads_recordings_and_clips_only(stack: h.Recorded) -> None:
    gets = by_action(stack, "clipmanifest")["s3:GetObject"]
    assert resources(gets) == {f"{BUCKET_ARN}/ivs/*", f"{BUCKET_ARN}/clips/*"}


def test_clip_function_writes_under_the_clips_prefix_only(stack: h.Recorded) -> None:
    assert resources(by_action(stack, "clipmanifest")["s3:PutObject"]) == {f"{BUCKET_ARN}/clips/*"}


def test_clip_function_may_list_the_bucket_so_a_missing_clip_is_a_404(stack: h.Recorded) -> None:
    assert lists_bucket_so_missing_keys_are_404(stack, "clipmanifest")


def test_recordings_function_lists_and_reads_only_recordings(stack: h.Recorded) -> None:
    assert lists_bucket_so_missing_keys_are_404(stack, "getrecordings")
    assert resources(by_action(stack, "getrecordings")["s3:GetObject"]) == {f"{BUCKET_ARN}/ivs/*"}


def test_clips_function_lists_and_reads_only_clips(stack: h.Recorded) -> None:
    assert lists_bucket_so_missing_keys_are_404(stack, "getclips")
    assert resources(by_action(stack, "getclips")["s3:GetObject"]) == {f"{BUCKET_ARN}/clips/*"}


@pytest.mark.parametrize("function", ["getrecordings", "getclips"])
def test_list_functions_cannot_write_or_delete(stack: h.Recorded, function: str) -> None:
    s3_actions = {a for a in by_action(stack, function) if a.startswith("s3:")}
    assert s3_actions == {"s3:GetObject", "s3:ListBucket"}


@pytest.mark.parametrize(
    "function", ["clipmanifest", "getrecordings", "getclips", "getclip", "deleteclip", "promoteclip", "sweepexpired"]
)
def test_function_writes_logs_only_to_its_own_log_group(stack: h.Recorded, function: str) -> None:
    actions = by_action(stack, function)
    assert {a for a in actions if a.startswith("logs:")} == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert resources(actions["logs:PutLogEvents"]) == {f"{LOG_GROUP_ARN}/{function}:*"}


def test_only_the_delete_function_and_the_sweep_may_delete_clips_and_the_export_worker_only_mp4s(
    stack: h.Recorded,
) -> None:
    deleters = {f.name for f in stack.of_type(h.FUNCTION) if "s3:DeleteObject" in by_action(stack, f.name)}
    assert deleters == {"deleteclip", "sweepexpired", "mp4export"}
    for function in ("deleteclip", "sweepexpired"):
        assert resources(by_action(stack, function)["s3:DeleteObject"]) == {f"{BUCKET_ARN}/clips/*"}
    assert resources(by_action(stack, "mp4export")["s3:DeleteObject"]) == {f"{BUCKET_ARN}/clips/*.mp4"}


def test_getting_a_clip_only_reads_clips(stack: h.Recorded) -> None:
    s3_actions = {a for a in by_action(stack, "getclip") if a.startswith("s3:")}
    assert s3_actions == {"s3:GetObject", "s3:ListBucket"}
    assert resources(by_action(stack, "getclip")["s3:GetObject"]) == {f"{BUCKET_ARN}/clips/*"}


def test_promotion_reads_recordings_and_writes_only_clips(stack: h.Recorded) -> None:
    actions = by_action(stack, "promoteclip")
    assert resources(actions["s3:GetObject"]) == {f"{BUCKET_ARN}/ivs/*", f"{BUCKET_ARN}/clips/*"}
    assert resources(actions["s3:PutObject"]) == {f"{BUCKET_ARN}/clips/*"}
    assert "s3:DeleteObject" not in actions


def test_without_an_event_bus_no_function_may_publish_events(stack: h.Recorded) -> None:
    assert not [f.name for f in stack.of_type(h.FUNCTION) if "events:PutEvents" in by_action(stack, f.name)]


def test_no_policy_uses_a_wildcard_action_or_resource(stack: h.Recorded) -> None:
    for policy in all_policies(stack):
        for statement in json.loads(policy)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if a == "*" or a.endswith(":*")], statement
            resource = statement.get("Resource", [])
            assert "*" not in (resource if isinstance(resource, list) else [resource]), statement


def test_parliament_finds_nothing_in_any_policy_of_the_stack(stack: h.Recorded) -> None:
    """Identity policies and the bucket policy; trust policies have no Resource, which parliament rejects."""
    policies = [r.inputs["policy"] for r in (*stack.of_type(h.ROLE_POLICY), stack.one(h.BUCKET_POLICY))]
    assert len(policies) == 10  # nine functions (seven routes, the sweep, the export worker) and the bucket
    findings = {p: [f.issue for f in parliament.analyze_policy_string(p).findings] for p in policies}
    assert {p: f for p, f in findings.items() if f} == {}


def test_parliament_would_flag_a_wildcard_policy() -> None:
    """Negative control: the offline check really looks at resources and actions."""
    sloppy = document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert "RESOURCE_STAR" in {f.issue for f in parliament.analyze_policy_string(sloppy).findings}


def test_parliament_would_flag_listbucket_on_object_arns() -> None:
    mismatched = document({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"{BUCKET_ARN}/*"})
    assert "RESOURCE_MISMATCH" in {f.issue for f in parliament.analyze_policy_string(mismatched).findings}


@pytest.mark.parametrize(
    "access",
    [S3Access(read=("ivs/", "clips/"), write=("clips/",)), S3Access(read=("a/",))],
)
def test_policy_builders_make_documents_parliament_accepts(access: S3Access) -> None:
    text = function_policy(BUCKET_ARN, access, f"{LOG_GROUP_ARN}/x")
    assert parliament.analyze_policy_string(text).findings == []
