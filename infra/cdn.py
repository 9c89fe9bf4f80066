"""CDN: CloudFront in front of the private bucket, with HLS-aware caching and CORS for players.

Playlists change (recordings grow while live; a clip can be rewritten), so they expire in seconds.
Segments never change once written, so they are cached for a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import Settings
from infra.policies import CdnReader
from infra.storage import Storage

ORIGIN_ID = "media"
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
CACHED_METHODS = ["GET", "HEAD"]


@dataclass(frozen=True)
class Cdn:
    distribution: aws.cloudfront.Distribution
    reader: pulumi.Output[CdnReader]

    @property
    def url(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("https://", self.distribution.domain_name)


def playlist_patterns(settings: Settings) -> list[str]:
    """The short-lived paths, in match order: clip playlists, then recording playlists."""
    return [f"{settings.clips_prefix}*.m3u8", f"{settings.recordings_prefix}*.m3u8"]


def _cache_policy(name: str, ttl: int, minimum: int) -> aws.cloudfront.CachePolicy:
    """Cache key = path only: no cookies, headers or query strings vary an HLS object."""
    return aws.cloudfront.CachePolicy(
        name,
        comment=f"{name}: {ttl}s",
        min_ttl=minimum,
        default_ttl=ttl,
        max_ttl=ttl,
        parameters_in_cache_key_and_forwarded_to_origin={
            "cookies_config": {"cookie_behavior": "none"},
            "headers_config": {"header_behavior": "none"},
            "query_strings_config": {"query_string_behavior": "none"},
            "enable_accept_encoding_gzip": True,
            "enable_accept_encoding_brotli": True,
        },
    )


def _cors_headers(settings: Settings) -> aws.cloudfront.ResponseHeadersPolicy:
    return aws.cloudfront.ResponseHeadersPolicy(
        "media-cors",
        comment="CORS for HLS players on the configured origins",
        cors_config={
            "access_control_allow_credentials": False,
            "access_control_allow_headers": {"items": ["*"]},
            "access_control_allow_methods": {"items": READ_METHODS},
            "access_control_allow_origins": {"items": list(settings.cors_allow_origins)},
            "access_control_expose_headers": {"items": ["Content-Length", "Content-Range", "ETag"]},
            "access_control_max_age_sec": 3600,
            "origin_override": True,
        },
    )


def _origin(
    storage: Storage, settings: Settings
) -> tuple[dict[str, object], aws.cloudfront.OriginAccessIdentity | aws.cloudfront.OriginAccessControl]:
    """The S3 origin and how CloudFront signs in to it: OAI by default, OAC when configured."""
    origin: dict[str, object] = {"origin_id": ORIGIN_ID, "domain_name": storage.regional_domain_name}
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


def create_cdn(storage: Storage, settings: Settings) -> Cdn:
    origin, access = _origin(storage, settings)
    playlists = _cache_policy("hls-playlists", settings.playlist_cache_seconds, minimum=0)
    segments = _cache_policy("hls-segments", settings.segment_cache_seconds, minimum=86_400)
    cors = _cors_headers(settings)

    def behaviour(cache_policy: aws.cloudfront.CachePolicy) -> dict[str, object]:
        return {
            "target_origin_id": ORIGIN_ID,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": READ_METHODS,
            "cached_methods": CACHED_METHODS,
            "compress": True,
            "cache_policy_id": cache_policy.id,
            "response_headers_policy_id": cors.id,
        }

    distribution = aws.cloudfront.Distribution(
        "media-cdn",
        comment="IVS recordings and clips",
        enabled=True,
        is_ipv6_enabled=True,
        http_version="http2and3",
        price_class=settings.cdn_price_class,
        origins=[origin],
        default_cache_behavior=behaviour(segments),
        ordered_cache_behaviors=[
            {"path_pattern": pattern, **behaviour(playlists)} for pattern in playlist_patterns(settings)
        ],
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
