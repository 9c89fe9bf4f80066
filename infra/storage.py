"""Storage: the bucket IVS records into and clips are written to, locked down to CloudFront and TLS."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import Settings
from infra.policies import CdnReader, bucket_policy


@dataclass(frozen=True)
class Storage:
    """The bucket as the other concerns need it, whether created here or given by name."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    regional_domain_name: pulumi.Output[str]
    public_access_block: aws.s3.BucketPublicAccessBlock

    @property
    def url(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("s3://", self.name)


def create_storage(settings: Settings) -> Storage:
    """The bucket plus its guard rails; an existing IVS bucket gets the same guard rails."""
    if settings.uses_existing_bucket:
        found = aws.s3.get_bucket_output(bucket=settings.existing_bucket_name)
        name, arn, domain = found.bucket, found.arn, found.bucket_regional_domain_name
    else:
        bucket = aws.s3.Bucket("media", force_destroy=settings.force_destroy_bucket)
        name, arn, domain = bucket.bucket, bucket.arn, bucket.bucket_regional_domain_name

    public_access_block = aws.s3.BucketPublicAccessBlock(
        "media-public-access",
        bucket=name,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    # ACLs off: every object, including the ones IVS writes, belongs to the bucket owner.
    aws.s3.BucketOwnershipControls(
        "media-ownership",
        bucket=name,
        rule={"object_ownership": "BucketOwnerEnforced"},
    )
    # SSE-S3 rather than KMS: CloudFront (OAI) and IVS can both work with it without key grants.
    aws.s3.BucketServerSideEncryptionConfiguration(
        "media-encryption",
        bucket=name,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}, "bucket_key_enabled": True}],
    )
    aws.s3.BucketCorsConfiguration(
        "media-cors",
        bucket=name,
        cors_rules=[
            {
                "allowed_methods": ["GET", "HEAD"],
                "allowed_origins": list(settings.cors_allow_origins),
                "allowed_headers": ["*"],
                "expose_headers": ["ETag", "Content-Length", "Content-Type"],
                "max_age_seconds": 3600,
            }
        ],
    )
    return Storage(name=name, arn=arn, regional_domain_name=domain, public_access_block=public_access_block)


def served_prefixes(settings: Settings) -> tuple[str, ...]:
    """What viewers may fetch: recordings (segments the clips point at) and clip playlists."""
    return (settings.recordings_prefix, settings.clips_prefix)


def grant_cdn_read(storage: Storage, settings: Settings, reader: pulumi.Output[CdnReader]) -> aws.s3.BucketPolicy:
    """The bucket policy; after the public access block so S3 judges it with the block in place."""
    document = pulumi.Output.all(storage.arn, reader).apply(
        lambda args: bucket_policy(args[0], served_prefixes(settings), args[1])
    )
    return aws.s3.BucketPolicy(
        "media-policy",
        bucket=storage.name,
        policy=document,
        opts=pulumi.ResourceOptions(depends_on=[storage.public_access_block]),
    )
