"""CDN: CloudFront in front of the private bucket, with HLS-aware caching and CORS for players.

Playlists change (recordings grow while live; a clip can be rewritten), so they expire in seconds.
Segments never change once written, so they are cached for a year. The web studio, when deployed,
is served from the same distribution (its page at ``/``), cached like playlists so a deploy shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from handlers.web import cors
from infra.config import STUDIO_PREFIX, Settings
from infra.policies import CdnReader
from infra.storage import Storage

ORIGIN_ID = "media"
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
CACHED_METHODS = ["GET", "HEAD"]
#: AWS's managed "CORS-S3Origin" origin request policy: forwards ``Origin`` and the
#: ``Access-Control-Request-*`` headers, without which S3 cannot answer a CORS preflight.
CORS_S3_ORIGIN_REQUEST_POLICY_ID = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"
#: Segments are kept at least a day (less if ``segmentCacheSeconds`` is shorter).
SEGMENT_MIN_TTL = 86_400
STUDIO_ROOT_OBJECT = "index.html"


@dataclass(frozen=True)
class Cdn:
    distribution: aws.cloudfront.Distribution
    reader: pulumi.Output[CdnReader]

    @property
    def url(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("https://", self.distribution.domain_name)


def playlist_patterns(settings: Settings) -> list[str]:
    """The short-lived paths, in match order: clip playlists, recording playlists, then any playlist.

    The last one covers recordings outside the recordings prefix (an IVS Real-Time stage writes
    under ``<stage_id>/``): a live participant's playlist must not be cached like a segment.
    """
    return [f"{settings.clips_prefix}*.m3u8", f"{settings.recordings_prefix}*.m3u8", "*.m3u8"]


def studio_patterns() -> list[str]:
    """The studio's files: its page at the root (``/`` serves it too) and everything under its prefix."""
    return [STUDIO_ROOT_OBJECT, f"{STUDIO_PREFIX}*"]


@dataclass(frozen=True)
class CachePolicySpec:
    """One cache policy's settings, as CloudFront will judge them (pure data, so tests can check every case)."""

    comment: str
    min_ttl: int
    default_ttl: int
    max_ttl: int
    parameters: aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgsDict


def cache_policy_spec(name: str, ttl: int, minimum: int) -> CachePolicySpec:
    """Cache key = path only: no cookies, headers or query strings vary an HLS object.

    CloudFront requires ``min <= default <= max`` and refuses compression settings on a policy that
    does not cache (every TTL 0: "EnableAcceptEncodingGzip is invalid for policy with caching
    disabled"), so the minimum is capped by the TTL and the encodings follow caching.
    """
    caches = ttl > 0
    return CachePolicySpec(
        comment=f"{name}: {ttl}s" if caches else f"{name}: not cached",
        min_ttl=min(minimum, ttl),
        default_ttl=ttl,
        max_ttl=ttl,
        parameters={
            "cookies_config": {"cookie_behavior": "none"},
            "headers_config": {"header_behavior": "none"},
            "query_strings_config": {"query_string_behavior": "none"},
            "enable_accept_encoding_gzip": caches,
            "enable_accept_encoding_brotli": caches,
        },
    )


def cache_policies(settings: Settings) -> dict[str, CachePolicySpec]:
    """Every cache policy of the distribution, by logical name."""
    return {
        "hls-playlists": cache_policy_spec("hls-playlists", settings.playlist_cache_seconds, minimum=0),
        "hls-segments": cache_policy_spec("hls-segments", settings.segment_cache_seconds, minimum=SEGMENT_MIN_TTL),
    }


def _cache_policy(name: str, spec: CachePolicySpec) -> aws.cloudfront.CachePolicy:
    return aws.cloudfront.CachePolicy(
        name,
        comment=spec.comment,
        min_ttl=spec.min_ttl,
        default_ttl=spec.default_ttl,
        max_ttl=spec.max_ttl,
        parameters_in_cache_key_and_forwarded_to_origin=spec.parameters,
    )


def _cors_headers(settings: Settings) -> aws.cloudfront.ResponseHeadersPolicy:
    """The media policy of ``handlers/web/cors.py``, which the local stack and the handlers also follow."""
    policy = cors.media_policy(settings.cors_allow_origins)
    return aws.cloudfront.ResponseHeadersPolicy(
        "media-cors",
        comment="CORS for HLS players on the configured origins",
        cors_config={
            "access_control_allow_credentials": False,
            "access_control_allow_headers": {"items": list(policy.allow_headers)},
            "access_control_allow_methods": {"items": list(policy.allow_methods)},
            "access_control_allow_origins": {"items": list(policy.allow_origins)},
            "access_control_expose_headers": {"items": list(policy.expose_headers)},
            "access_control_max_age_sec": policy.max_age,
            "origin_override": True,
        },
    )


def _origin(
    storage: Storage, settings: Settings
) -> tuple[
    aws.cloudfront.DistributionOriginArgsDict, aws.cloudfront.OriginAccessIdentity | aws.cloudfront.OriginAccessControl
]:
    """The S3 origin and how CloudFront signs in to it: OAC by default, the legacy OAI when configured."""
    origin: aws.cloudfront.DistributionOriginArgsDict = {
        "origin_id": ORIGIN_ID,
        "domain_name": storage.regional_domain_name,
    }
    if settings.origin_access == "oac":
        oac = aws.cloudfront.OriginAccessControl(
            "media-oac",
            description="CloudFront reads the media bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
        )
        origin["origin_access_control_id"] = oac.id
        return origin, oac
    oai = aws.cloudfront.OriginAccessIdentity("media-oai", comment="CloudFront reads the media bucket")
    origin["s3_origin_config"] = {"origin_access_identity": oai.cloudfront_access_identity_path}
    return origin, oai


def create_cdn(storage: Storage, settings: Settings, with_studio: bool = False) -> Cdn:
    origin, access = _origin(storage, settings)
    policies = {name: _cache_policy(name, spec) for name, spec in cache_policies(settings).items()}
    playlists, segments = policies["hls-playlists"], policies["hls-segments"]
    headers = _cors_headers(settings)

    def behaviour(cache_policy: aws.cloudfront.CachePolicy) -> aws.cloudfront.DistributionDefaultCacheBehaviorArgsDict:
        return {
            "target_origin_id": ORIGIN_ID,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": READ_METHODS,
            "cached_methods": CACHED_METHODS,
            "compress": True,
            "cache_policy_id": cache_policy.id,
            "origin_request_policy_id": CORS_S3_ORIGIN_REQUEST_POLICY_ID,
            "response_headers_policy_id": headers.id,
        }

    def ordered(
        pattern: str, cache_policy: aws.cloudfront.CachePolicy
    ) -> aws.cloudfront.DistributionOrderedCacheBehaviorArgsDict:
        b = behaviour(cache_policy)
        return {
            "path_pattern": pattern,
            "target_origin_id": b["target_origin_id"],
            "viewer_protocol_policy": b["viewer_protocol_policy"],
            "allowed_methods": b["allowed_methods"],
            "cached_methods": b["cached_methods"],
            "compress": b.get("compress"),
            "cache_policy_id": b.get("cache_policy_id"),
            "origin_request_policy_id": b.get("origin_request_policy_id"),
            "response_headers_policy_id": b.get("response_headers_policy_id"),
        }

    patterns = playlist_patterns(settings) + (studio_patterns() if with_studio else [])
    distribution = aws.cloudfront.Distribution(
        "media-cdn",
        comment="IVS recordings and clips",
        enabled=True,
        is_ipv6_enabled=True,
        http_version="http2and3",
        price_class=settings.cdn_price_class,
        origins=[origin],
        default_root_object=STUDIO_ROOT_OBJECT if with_studio else None,
        default_cache_behavior=behaviour(segments),
        ordered_cache_behaviors=[ordered(pattern, playlists) for pattern in patterns],
        # A playlist asked for before it exists must not stay "missing" for CloudFront's default 10 s.
        custom_error_responses=[
            {"error_code": code, "error_caching_min_ttl": settings.playlist_cache_seconds} for code in (403, 404)
        ],
        restrictions={"geo_restriction": {"restriction_type": "none"}},
        viewer_certificate={"cloudfront_default_certificate": True},
    )
    if isinstance(access, aws.cloudfront.OriginAccessControl):
        reader = distribution.arn.apply(CdnReader.access_control)
    else:
        reader = access.iam_arn.apply(CdnReader.identity)
    return Cdn(distribution=distribution, reader=reader)
