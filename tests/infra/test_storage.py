"""Storage: a private, encrypted, owner-enforced bucket that only CloudFront reads, and only over TLS."""

from __future__ import annotations

import json

from handlers.web import cors
from tests.infra import harness as h
from tests.infra.conftest import CORS_ORIGINS

BUCKET = h.bucket_name_for("media")
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
CLOUDFRONT = {"Service": "cloudfront.amazonaws.com"}


def bucket_policy(stack: h.Recorded) -> list[dict]:
    return json.loads(stack.one(h.BUCKET_POLICY).inputs["policy"])["Statement"]


def test_every_guard_rail_applies_to_the_media_bucket(stack: h.Recorded) -> None:
    for typ in (h.PUBLIC_ACCESS_BLOCK, h.OWNERSHIP, h.ENCRYPTION, h.BUCKET_CORS, h.BUCKET_POLICY):
        assert stack.one(typ).inputs["bucket"] == BUCKET, typ


def test_all_four_public_access_blocks_are_on(stack: h.Recorded) -> None:
    block = stack.one(h.PUBLIC_ACCESS_BLOCK).inputs
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert {flag: block.get(flag) for flag in flags} == dict.fromkeys(flags, True)


def test_object_ownership_is_bucket_owner_enforced(stack: h.Recorded) -> None:
    assert stack.one(h.OWNERSHIP).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_objects_are_encrypted_at_rest_by_default(stack: h.Recorded) -> None:
    (rule,) = stack.one(h.ENCRYPTION).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in {"AES256", "aws:kms"}


def test_no_bucket_key_is_set_with_sse_s3(stack: h.Recorded) -> None:
    """S3 Bucket Keys only reduce KMS calls; with AES256 the flag does nothing and only adds diff noise."""
    (rule,) = stack.one(h.ENCRYPTION).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] != "AES256" or "bucketKeyEnabled" not in rule


def test_bucket_cors_allows_only_get_and_head_from_the_configured_origins(stack: h.Recorded) -> None:
    (rule,) = stack.one(h.BUCKET_CORS).inputs["corsRules"]
    assert sorted(rule["allowedMethods"]) == ["GET", "HEAD"]
    assert rule["allowedOrigins"] == CORS_ORIGINS


def test_bucket_cors_follows_the_shared_media_policy(stack: h.Recorded) -> None:
    (rule,) = stack.one(h.BUCKET_CORS).inputs["corsRules"]
    assert rule["allowedMethods"] == list(cors.MEDIA_ALLOW_METHODS)
    assert rule["exposeHeaders"] == list(cors.MEDIA_EXPOSE_HEADERS)
    assert rule["maxAgeSeconds"] == cors.MAX_AGE_SECONDS


def test_bucket_policy_allows_only_cloudfront_for_this_distribution(stack: h.Recorded) -> None:
    allows = [s for s in bucket_policy(stack) if s["Effect"] == "Allow"]
    assert allows and all(s["Principal"] == CLOUDFRONT for s in allows)
    assert all(s["Condition"] == {"StringEquals": {"AWS:SourceArn": h.DISTRIBUTION_ARN}} for s in allows)


def test_bucket_policy_lets_cloudfront_only_read_served_prefixes_and_the_studio(stack: h.Recorded) -> None:
    allows = {s["Sid"]: s for s in bucket_policy(stack) if s["Effect"] == "Allow"}
    assert {s["Action"] for s in allows.values()} == {"s3:GetObject"}
    assert sorted(allows["CloudFrontReadsMedia"]["Resource"]) == [f"{BUCKET_ARN}/clips/*", f"{BUCKET_ARN}/ivs/*"]
    assert sorted(allows["CloudFrontReadsStudio"]["Resource"]) == [f"{BUCKET_ARN}/index.html", f"{BUCKET_ARN}/studio/*"]


def test_bucket_policy_denies_every_request_not_over_tls(stack: h.Recorded) -> None:
    (deny,) = [s for s in bucket_policy(stack) if s["Effect"] == "Deny"]
    assert {
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }.items() <= deny.items()


def test_bucket_is_kept_on_destroy_unless_configured(stack: h.Recorded) -> None:
    assert stack.one(h.BUCKET).inputs.get("forceDestroy") is False
