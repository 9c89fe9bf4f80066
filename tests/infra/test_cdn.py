"""CDN: HTTPS-only viewers, HTTP/2 and 3, compression, CORS headers, and HLS-shaped caching."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import harness as h
from tests.infra.conftest import CORS_ORIGINS

ONE_YEAR = 31_536_000


def distribution(stack: h.Recorded) -> dict[str, Any]:
    return stack.one(h.DISTRIBUTION).inputs


def behaviours(stack: h.Recorded) -> list[dict[str, Any]]:
    inputs = distribution(stack)
    return [inputs["defaultCacheBehavior"], *inputs["orderedCacheBehaviors"]]


def cache_policy_id(stack: h.Recorded, name: str) -> str:
    return f"{stack.named(h.CACHE_POLICY, name).name}-id"


def test_every_behaviour_redirects_viewers_to_https(stack: h.Recorded) -> None:
    assert {b["viewerProtocolPolicy"] for b in behaviours(stack)} == {"redirect-to-https"}


def test_viewers_get_http2_and_http3(stack: h.Recorded) -> None:
    assert distribution(stack)["httpVersion"] == "http2and3"


def test_every_behaviour_compresses(stack: h.Recorded) -> None:
    assert all(b["compress"] is True for b in behaviours(stack))


def test_every_behaviour_is_read_only(stack: h.Recorded) -> None:
    assert all(set(b["allowedMethods"]) <= {"GET", "HEAD", "OPTIONS"} for b in behaviours(stack))


def test_the_origin_is_the_bucket_through_the_origin_access_identity(stack: h.Recorded) -> None:
    (origin,) = distribution(stack)["origins"]
    assert origin["domainName"] == f"{h.bucket_name_for('media')}.s3.{h.REGION}.amazonaws.com"
    assert origin["s3OriginConfig"] == {"originAccessIdentity": "origin-access-identity/cloudfront/media-oai-id"}
    assert "originAccessControlId" not in origin


def test_cors_response_headers_allow_the_configured_origins(stack: h.Recorded) -> None:
    cors = stack.one(h.RESPONSE_HEADERS).inputs["corsConfig"]
    assert cors["accessControlAllowOrigins"] == {"items": CORS_ORIGINS}
    assert cors["accessControlAllowCredentials"] is False


def test_every_behaviour_sends_the_cors_response_headers(stack: h.Recorded) -> None:
    policy_id = f"{stack.one(h.RESPONSE_HEADERS).name}-id"
    assert {b["responseHeadersPolicyId"] for b in behaviours(stack)} == {policy_id}


@pytest.mark.parametrize("pattern", ["clips/*.m3u8", "ivs/*.m3u8"])
def test_playlists_use_the_short_lived_cache_policy(stack: h.Recorded, pattern: str) -> None:
    by_pattern = {b["pathPattern"]: b for b in distribution(stack)["orderedCacheBehaviors"]}
    assert by_pattern[pattern]["cachePolicyId"] == cache_policy_id(stack, "hls-playlists")


def test_everything_else_segments_included_uses_the_long_lived_cache_policy(stack: h.Recorded) -> None:
    assert distribution(stack)["defaultCacheBehavior"]["cachePolicyId"] == cache_policy_id(stack, "hls-segments")


def test_playlists_expire_within_seconds(stack: h.Recorded) -> None:
    playlists = stack.named(h.CACHE_POLICY, "hls-playlists").inputs
    assert playlists["maxTtl"] <= 10 and playlists["minTtl"] == 0


def test_segments_are_cached_for_a_year(stack: h.Recorded) -> None:
    segments = stack.named(h.CACHE_POLICY, "hls-segments").inputs
    assert segments["defaultTtl"] == ONE_YEAR and segments["minTtl"] >= 86_400


def test_cache_keys_ignore_cookies_headers_and_query_strings(stack: h.Recorded) -> None:
    for policy in stack.of_type(h.CACHE_POLICY):
        params = policy.inputs["parametersInCacheKeyAndForwardedToOrigin"]
        assert params["cookiesConfig"]["cookieBehavior"] == "none"
        assert params["headersConfig"]["headerBehavior"] == "none"
        assert params["queryStringsConfig"]["queryStringBehavior"] == "none"
        assert params["enableAcceptEncodingGzip"] is True


def test_missing_objects_are_not_cached_longer_than_a_playlist(stack: h.Recorded) -> None:
    errors = distribution(stack)["customErrorResponses"]
    assert {e["errorCode"] for e in errors} == {403, 404}
    assert all(e["errorCachingMinTtl"] <= 5 for e in errors)
