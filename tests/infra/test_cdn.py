"""CDN: HTTPS-only viewers, HTTP/2 and 3, compression, CORS headers, and HLS-shaped caching."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.web import cors
from infra.cdn import CORS_S3_ORIGIN_REQUEST_POLICY_ID, CachePolicySpec, cache_policies
from infra.config import MAX_CACHE_SECONDS, Settings, SettingsError
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


def test_the_origin_is_the_bucket_through_origin_access_control_by_default(stack: h.Recorded) -> None:
    (origin,) = distribution(stack)["origins"]
    assert origin["domainName"] == f"{h.bucket_name_for('media')}.s3.{h.REGION}.amazonaws.com"
    assert origin["originAccessControlId"] == "media-oac-id"
    assert "s3OriginConfig" not in origin
    assert stack.one(h.OAC).inputs["signingBehavior"] == "always" and not stack.of_type(h.OAI)


def test_cors_response_headers_allow_the_configured_origins(stack: h.Recorded) -> None:
    config = stack.one(h.RESPONSE_HEADERS).inputs["corsConfig"]
    assert config["accessControlAllowOrigins"] == {"items": CORS_ORIGINS}
    assert config["accessControlAllowCredentials"] is False


def test_cors_response_headers_follow_the_shared_media_policy(stack: h.Recorded) -> None:
    config = stack.one(h.RESPONSE_HEADERS).inputs["corsConfig"]
    assert config["accessControlAllowMethods"] == {"items": list(cors.MEDIA_ALLOW_METHODS)}
    assert config["accessControlExposeHeaders"] == {"items": list(cors.MEDIA_EXPOSE_HEADERS)}
    assert config["accessControlMaxAgeSec"] == cors.MAX_AGE_SECONDS


def test_every_behaviour_forwards_the_cors_request_headers_so_preflights_reach_s3(stack: h.Recorded) -> None:
    """OPTIONS is allowed; without Origin/Access-Control-Request-* S3 cannot answer the preflight."""
    for behaviour in behaviours(stack):
        assert "OPTIONS" in behaviour["allowedMethods"]
        assert behaviour["originRequestPolicyId"] == CORS_S3_ORIGIN_REQUEST_POLICY_ID


def test_every_behaviour_sends_the_cors_response_headers(stack: h.Recorded) -> None:
    policy_id = f"{stack.one(h.RESPONSE_HEADERS).name}-id"
    assert {b["responseHeadersPolicyId"] for b in behaviours(stack)} == {policy_id}


@pytest.mark.parametrize("pattern", ["clips/*.m3u8", "ivs/*.m3u8", "*.m3u8"])
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
        assert params["enableAcceptEncodingGzip"] is (policy.inputs["maxTtl"] > 0)


def test_missing_objects_are_not_cached_longer_than_a_playlist(stack: h.Recorded) -> None:
    errors = distribution(stack)["customErrorResponses"]
    assert {e["errorCode"] for e in errors} == {403, 404}
    assert all(e["errorCachingMinTtl"] <= 5 for e in errors)


# --- Cache policies CloudFront accepts, for every allowed setting -----------------------------


def assert_cloudfront_accepts(policy: CachePolicySpec) -> None:
    """CloudFront's own rules for a cache policy (CreateCachePolicy refuses anything else)."""
    assert 0 <= policy.min_ttl <= policy.default_ttl <= policy.max_ttl, policy
    params = policy.parameters
    if policy.max_ttl == 0:  # caching disabled: no compression settings allowed
        assert not params.get("enable_accept_encoding_gzip"), policy
        assert not params.get("enable_accept_encoding_brotli"), policy


@given(
    playlist=st.integers(min_value=-10, max_value=MAX_CACHE_SECONDS + 10),
    segment=st.integers(min_value=-10, max_value=MAX_CACHE_SECONDS + 10),
)
def test_every_accepted_cache_setting_gives_policies_cloudfront_accepts(playlist: int, segment: int) -> None:
    try:
        settings = Settings(playlist_cache_seconds=playlist, segment_cache_seconds=segment)
    except SettingsError:
        return
    for policy in cache_policies(settings).values():
        assert_cloudfront_accepts(policy)


@pytest.mark.parametrize(("playlist", "segment"), [(0, 3600), (0, 1), (5, 86_399), (5, MAX_CACHE_SECONDS)])
def test_edge_cache_settings_give_policies_cloudfront_accepts(playlist: int, segment: int) -> None:
    settings = Settings(playlist_cache_seconds=playlist, segment_cache_seconds=segment)
    for policy in cache_policies(settings).values():
        assert_cloudfront_accepts(policy)


def test_uncached_playlists_declare_a_policy_without_compression_settings(variants: dict[str, Any]) -> None:
    """The program itself, run with playlistCacheSeconds 0 and segmentCacheSeconds 3600."""
    edges = {p["name"]: p["inputs"] for p in h.reported(variants["cache-edges"], h.CACHE_POLICY)}
    playlists, segments = edges["hls-playlists"], edges["hls-segments"]
    assert (playlists["minTtl"], playlists["defaultTtl"], playlists["maxTtl"]) == (0, 0, 0)
    assert playlists["parametersInCacheKeyAndForwardedToOrigin"]["enableAcceptEncodingGzip"] is False
    assert playlists["parametersInCacheKeyAndForwardedToOrigin"]["enableAcceptEncodingBrotli"] is False
    assert segments["minTtl"] <= segments["defaultTtl"] == segments["maxTtl"] == 3600


# --- The studio behind the distribution --------------------------------------------------------


def test_the_studio_page_is_the_root_object(stack: h.Recorded) -> None:
    assert distribution(stack)["defaultRootObject"] == "index.html"


def test_studio_files_are_cached_briefly_like_playlists(stack: h.Recorded) -> None:
    by_pattern = {b["pathPattern"]: b for b in distribution(stack)["orderedCacheBehaviors"]}
    for pattern in ("index.html", "studio/*"):
        assert by_pattern[pattern]["cachePolicyId"] == cache_policy_id(stack, "hls-playlists")


def test_without_a_studio_there_is_no_root_object(variants: dict[str, Any]) -> None:
    (cdn,) = h.reported(variants["all-options-on"], h.DISTRIBUTION)
    assert not cdn["inputs"].get("defaultRootObject")
    assert {b["pathPattern"] for b in cdn["inputs"]["orderedCacheBehaviors"]} == {
        "clips/*.m3u8",
        "ivs/*.m3u8",
        "*.m3u8",
    }
