"""The resource set of the default stack: what exists, how many, and what is left out by default."""

from __future__ import annotations

from collections import Counter

from tests.infra import harness as h

EXPECTED_DEFAULT_SET = {
    # storage
    h.BUCKET: 1,
    h.PUBLIC_ACCESS_BLOCK: 1,
    h.OWNERSHIP: 1,
    h.ENCRYPTION: 1,
    h.BUCKET_CORS: 1,
    h.BUCKET_POLICY: 1,
    # CDN
    h.OAC: 1,
    h.CACHE_POLICY: 2,
    h.RESPONSE_HEADERS: 1,
    h.DISTRIBUTION: 1,
    # functions: six routes and the expiry sweep, a log group each, plus the API's access logs
    h.FUNCTION: 9,  # and the MP4 route's function and its export worker
    h.ROLE: 9,
    h.ROLE_POLICY: 9,
    h.LOG_GROUP: 10,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": 1,  # the worker: no async retries
    # the sweep's schedule
    "aws:cloudwatch/eventRule:EventRule": 1,
    "aws:cloudwatch/eventTarget:EventTarget": 1,
    # API
    h.API: 1,
    h.INTEGRATION: 7,
    h.ROUTE: 7,
    h.PERMISSION: 8,  # one per route, one for the schedule
    h.STAGE: 1,
    # studio: every shipped file of the stand-in studio/, its page again at the root, and config.json
    h.BUCKET_OBJECT: 9,  # and the MP4 worker's archive
}


def test_default_stack_declares_exactly_the_expected_resources(stack: h.Recorded) -> None:
    assert Counter(r.typ for r in stack.resources) == EXPECTED_DEFAULT_SET


def test_logical_names_are_unique_per_type(stack: h.Recorded) -> None:
    """Mocks accept duplicate names; the engine would not."""
    keys = [(r.typ, r.name) for r in stack.resources]
    assert len(keys) == len(set(keys))


def test_no_deprecated_v2_bucket_classes_are_used(stack: h.Recorded) -> None:
    assert not [r.typ for r in stack.resources if "V2" in r.typ]


def test_bucket_has_no_inline_deprecated_arguments(stack: h.Recorded) -> None:
    bucket = stack.one(h.BUCKET)
    assert not {"acl", "policy", "corsRules", "website", "serverSideEncryptionConfiguration"} & set(bucket.inputs)


def test_exports_give_api_endpoints_cdn_and_bucket(stack: h.Recorded) -> None:
    assert stack.exports == {
        "api_url": h.API_ENDPOINT,
        "clip_manifest_url": f"{h.API_ENDPOINT}/clipmanifest",
        "get_recordings_url": f"{h.API_ENDPOINT}/getrecordings",
        "get_clips_url": f"{h.API_ENDPOINT}/getclips",
        "cdn_url": f"https://{h.CDN_DOMAIN}",
        "bucket_name": h.bucket_name_for("media"),
        "studio_url": f"https://{h.CDN_DOMAIN}/",
    }
