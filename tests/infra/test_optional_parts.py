"""Optional parts: off in the default stack, each on in a run with every option set (a subprocess)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra import harness as h

Report = dict[str, Any]
EXISTING_ARN = f"arn:aws:s3:::{h.EXISTING_BUCKET}"
CHANNEL_EXPORTS = {"ivs_channel_arn", "ivs_ingest_endpoint", "ivs_playback_url", "ivs_stream_key"}


@pytest.fixture(scope="module")
def on(variants: dict[str, Report]) -> Report:
    return variants["all-options-on"]


def one(report: Report, typ: str) -> dict[str, Any]:
    (found,) = h.reported(report, typ)
    return found["inputs"]


# --- off by default ---------------------------------------------------------------------------


def test_by_default_no_ivs_channel_is_created(stack: h.Recorded) -> None:
    assert not stack.of_type(h.IVS_CHANNEL) and not stack.of_type(h.IVS_RECORDING)
    assert not CHANNEL_EXPORTS & set(stack.exports)


def test_by_default_cloudfront_uses_origin_access_control(stack: h.Recorded) -> None:
    assert stack.of_type(h.OAC) and not stack.of_type(h.OAI)


def test_by_default_a_bucket_is_created_not_looked_up(stack: h.Recorded) -> None:
    assert stack.of_type(h.BUCKET) and not stack.calls


# --- IVS channel ------------------------------------------------------------------------------


def test_channel_records_into_the_bucket(on: Report) -> None:
    recording = one(on, h.IVS_RECORDING)
    assert recording["destinationConfiguration"] == {"s3": {"bucketName": h.EXISTING_BUCKET}}
    assert one(on, h.IVS_CHANNEL)["recordingConfigurationArn"].endswith("recording-configuration/rc1")


def test_recording_takes_thumbnails_on_the_configured_interval(on: Report) -> None:
    thumbnails = one(on, h.IVS_RECORDING)["thumbnailConfiguration"]
    assert thumbnails == {"recordingMode": "INTERVAL", "targetIntervalSeconds": 30}


def test_recording_has_the_configured_reconnect_window(on: Report) -> None:
    assert one(on, h.IVS_RECORDING)["recordingReconnectWindowSeconds"] == 120


def test_channel_outputs_are_exported_with_the_stream_key_secret(on: Report) -> None:
    assert set(on["exports"]) >= CHANNEL_EXPORTS
    assert on["exports"]["ivs_stream_key"] == h.STREAM_KEY
    assert on["secret_exports"] == ["ivs_stream_key"]


# --- JWT authorizer ---------------------------------------------------------------------------


def test_jwt_authorizer_uses_the_configured_issuer_and_audience(on: Report) -> None:
    authorizer = one(on, h.AUTHORIZER)
    assert authorizer["authorizerType"] == "JWT"
    assert authorizer["jwtConfiguration"] == {"issuer": "https://issuer.example.com/", "audiences": ["clips-app"]}


def test_jwt_authorizer_guards_the_clip_routes_not_the_public_listings(on: Report) -> None:
    auth = {r["inputs"]["routeKey"]: r["inputs"]["authorizationType"] for r in h.reported(on, h.ROUTE)}
    assert auth == {
        "POST /clipmanifest": "JWT",
        "GET /clips/{clip_id}": "JWT",
        "DELETE /clips/{clip_id}": "JWT",
        "POST /clips/{clip_id}/promote": "JWT",
        "POST /clips/{clip_id}/mp4": "JWT",
        "GET /getrecordings": "NONE",
        "GET /getclips": "NONE",
    }


# --- Clip lifecycle: events and a default expiry ----------------------------------------------


def test_with_an_event_bus_only_the_publishing_functions_may_put_events_on_it(on: Report) -> None:
    publishers = {}
    for policy in h.reported(on, h.ROLE_POLICY):
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
            if statement["Action"] == "events:PutEvents":
                publishers[policy["name"].removesuffix("-access")] = statement["Resource"]
    expected = {"clipmanifest", "deleteclip", "promoteclip", "sweepexpired"}
    assert publishers == dict.fromkeys(expected, h.EVENT_BUS_ARN)


def test_the_functions_are_told_the_bus_and_the_default_expiry(on: Report) -> None:
    for function in h.reported(on, h.FUNCTION):
        variables = function["inputs"]["environment"]["variables"]
        assert (variables["EVENT_BUS_NAME"], variables["DEFAULT_CLIP_TTL_SECONDS"]) == (h.EVENT_BUS_ARN, "604800")


# --- The legacy origin access identity, still selectable ----------------------------------------


def test_oai_replaces_origin_access_control(on: Report) -> None:
    assert not h.reported(on, h.OAC)
    assert h.reported(on, h.OAI)
    (origin,) = one(on, h.DISTRIBUTION)["origins"]
    assert origin["s3OriginConfig"] == {"originAccessIdentity": "origin-access-identity/cloudfront/media-oai-id"}
    assert "originAccessControlId" not in origin


def test_oai_bucket_policy_admits_only_the_identity(on: Report) -> None:
    statements = json.loads(one(on, h.BUCKET_POLICY)["policy"])["Statement"]
    (allow,) = [s for s in statements if s.get("Sid") == "CloudFrontReadsMedia"]
    assert allow["Principal"] == {"AWS": h.oai_iam_arn("media-oai")} and "Condition" not in allow


# --- Existing bucket, other settings ----------------------------------------------------------


def test_an_existing_bucket_is_looked_up_by_name_not_created(on: Report) -> None:
    assert not h.reported(on, h.BUCKET)
    assert on["calls"][0] == {"token": "aws:s3/getBucket:getBucket", "args": {"bucket": h.EXISTING_BUCKET}}


def test_an_existing_bucket_keeps_its_own_settings_by_default(on: Report) -> None:
    """Its owner's public-access block, ownership, encryption (SSE-KMS, say) and CORS stay untouched,
    and so `destroy` cannot remove them either."""
    for typ in (h.PUBLIC_ACCESS_BLOCK, h.OWNERSHIP, h.ENCRYPTION, h.BUCKET_CORS):
        assert not h.reported(on, typ), typ


def test_an_existing_bucket_keeps_every_statement_of_its_policy(on: Report) -> None:
    (read,) = [c for c in on["calls"] if c["token"] == "aws:s3/getBucketPolicy:getBucketPolicy"]
    assert read["args"] == {"bucket": h.EXISTING_BUCKET}
    policy = one(on, h.BUCKET_POLICY)
    assert policy["bucket"] == h.EXISTING_BUCKET
    statements = json.loads(policy["policy"])["Statement"]
    assert h.IVS_GRANT in statements
    assert {s["Sid"] for s in statements} == {h.IVS_GRANT["Sid"], "CloudFrontReadsMedia", "DenyInsecureTransport"}


def test_an_existing_bucket_policy_is_left_in_place_on_destroy(on: Report, stack: h.Recorded) -> None:
    """Deleting it would delete the owner's statements too; a policy of our own bucket goes with it."""
    assert on["retained"] == ["media-policy"]
    assert stack.retained == []


def test_an_owner_may_let_the_stack_manage_the_existing_buckets_settings(variants: dict[str, Report]) -> None:
    managed = variants["existing-managed"]
    for typ in (h.PUBLIC_ACCESS_BLOCK, h.OWNERSHIP, h.ENCRYPTION, h.BUCKET_CORS, h.BUCKET_POLICY):
        assert one(managed, typ)["bucket"] == h.EXISTING_BUCKET, typ
    assert h.IVS_GRANT in json.loads(one(managed, h.BUCKET_POLICY)["policy"])["Statement"]


def test_an_existing_bucket_in_another_region_is_refused(variants: dict[str, Report]) -> None:
    error = variants["foreign-bucket"].get("error", "")
    assert "existingBucketName" in error and h.FOREIGN_REGION in error and h.REGION in error


def test_function_policies_point_at_the_existing_bucket(on: Report) -> None:
    for policy in h.reported(on, h.ROLE_POLICY):
        text = policy["inputs"]["policy"]
        assert EXISTING_ARN in text and "media-0a1b2c3" not in text


def test_architecture_comes_from_config(on: Report) -> None:
    assert {tuple(f["inputs"]["architectures"]) for f in h.reported(on, h.FUNCTION)} == {("x86_64",)}


def test_cors_origins_from_config_reach_api_cdn_bucket_and_functions(on: Report) -> None:
    origins = ["https://one.example.com", "https://two.example.com"]
    assert one(on, h.API)["corsConfiguration"]["allowOrigins"] == [*origins, f"https://{h.CDN_DOMAIN}"]
    assert one(on, h.RESPONSE_HEADERS)["corsConfig"]["accessControlAllowOrigins"] == {"items": origins}
    variables = h.reported(on, h.FUNCTION)[0]["inputs"]["environment"]["variables"]
    assert variables["CORS_ALLOW_ORIGINS"] == ",".join([*origins, f"https://{h.CDN_DOMAIN}"])


# --- The committed stacks ---------------------------------------------------------------------


@pytest.mark.parametrize("stack_name", ["stack-dev", "stack-prod"])
def test_committed_stack_config_runs_and_exports_the_endpoints(variants: dict[str, Report], stack_name: str) -> None:
    report = variants[stack_name]
    assert "error" not in report, report.get("error")
    assert {"api_url", "clip_manifest_url", "get_recordings_url", "get_clips_url", "cdn_url", "bucket_name"} <= set(
        report["exports"]
    )


def test_dev_stack_creates_a_channel_and_its_own_bucket(variants: dict[str, Report]) -> None:
    dev = variants["stack-dev"]
    assert h.reported(dev, h.IVS_CHANNEL) and h.reported(dev, h.BUCKET)
