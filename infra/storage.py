"""Storage: the bucket IVS records into and clips are written to, locked down to CloudFront and TLS.

A bucket this stack creates gets every guard rail. A bucket given by ``existingBucketName`` belongs
to someone else (usually IVS's recording setup): its public-access block, ownership, encryption and
CORS stay as they are unless ``manageExistingBucket`` is set, and its policy keeps every statement it
has, with the CDN's read grant added.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from handlers.web import cors
from infra.config import Settings, SettingsError
from infra.policies import CdnReader, IvsWriter, bucket_policy, merged_bucket_policy


@dataclass(frozen=True)
class Storage:
    """The bucket as the other concerns need it, whether created here or given by name."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    regional_domain_name: pulumi.Output[str]
    #: None when an existing bucket's settings are left to its owner.
    public_access_block: aws.s3.BucketPublicAccessBlock | None
    #: The policy the bucket has now (JSON text), for an existing bucket; None for ours.
    existing_policy: pulumi.Output[str] | None = None
    #: An IVS Real-Time stage's recording prefix (``<stage_id>/``) when the stack creates a stage.
    realtime_prefix: pulumi.Output[str] | None = None
    #: The stage whose recordings IVS writes under ``realtime_prefix`` (for the write grant's account).
    realtime_writer_arn: pulumi.Output[str] | None = None

    @property
    def url(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("s3://", self.name)


def stack_region() -> str | None:
    """The region the provider deploys to: ``aws:region``, else the AWS SDK's environment."""
    return pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def check_bucket_region(bucket: str, bucket_region: str, region: str | None) -> None:
    """CloudFront would work across regions, but IVS records only into a bucket of its own region."""
    if region and bucket_region and bucket_region != region:
        raise SettingsError(
            f"existingBucketName {bucket!r} is in {bucket_region}, this stack deploys to {region} (aws:region): "
            "IVS records only into a bucket of the channel's region; deploy the stack there"
        )


def _existing(settings: Settings) -> tuple[pulumi.Output[str], pulumi.Output[str], pulumi.Output[str]]:
    found = aws.s3.get_bucket_output(bucket=settings.existing_bucket_name)
    region = stack_region()

    def checked(result: aws.s3.GetBucketResult) -> str:
        check_bucket_region(result.bucket, result.bucket_region, region)
        return result.bucket

    return found.apply(checked), found.arn, found.bucket_regional_domain_name


def create_storage(settings: Settings) -> Storage:
    """The bucket plus its guard rails; an existing bucket gets them only when its owner opts in."""
    existing_policy: pulumi.Output[str] | None = None
    if settings.uses_existing_bucket:
        name, arn, domain = _existing(settings)
        existing_policy = aws.s3.get_bucket_policy_output(bucket=name).policy
    else:
        bucket = aws.s3.Bucket("media", force_destroy=settings.force_destroy_bucket)
        name, arn, domain = bucket.bucket, bucket.arn, bucket.bucket_regional_domain_name
    if settings.uses_existing_bucket and not settings.manage_existing_bucket:
        return Storage(name, arn, domain, public_access_block=None, existing_policy=existing_policy)

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
    # SSE-S3: CloudFront and IVS both work with it without key grants. (S3 Bucket Keys only matter
    # for SSE-KMS, so none is set.)
    aws.s3.BucketServerSideEncryptionConfiguration(
        "media-encryption",
        bucket=name,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
    )
    media = cors.media_policy(settings.cors_allow_origins)
    aws.s3.BucketCorsConfiguration(
        "media-cors",
        bucket=name,
        cors_rules=[
            {
                "allowed_methods": list(media.allow_methods),
                "allowed_origins": list(media.allow_origins),
                "allowed_headers": list(media.allow_headers),
                "expose_headers": list(media.expose_headers),
                "max_age_seconds": media.max_age,
            }
        ],
    )
    return Storage(name, arn, domain, public_access_block=public_access_block, existing_policy=existing_policy)


def served_prefixes(settings: Settings) -> tuple[str, ...]:
    """What viewers may fetch: recordings (segments the clips point at) and clip playlists.

    With a Real-Time stage, its ``<stage_id>/`` prefix is served too (added once the id is known).
    """
    return (settings.recordings_prefix, settings.clips_prefix)


def _with_stage(prefixes: tuple[str, ...], stage_prefix: str) -> tuple[str, ...]:
    return (*prefixes, stage_prefix) if stage_prefix else prefixes


def grant_cdn_read(
    storage: Storage,
    settings: Settings,
    reader: pulumi.Output[CdnReader],
    extra_keys: tuple[str, ...] = (),
) -> aws.s3.BucketPolicy:
    """The bucket policy; after the public access block so S3 judges it with the block in place.

    ``extra_keys`` are further object keys or ``prefix*`` patterns CloudFront may read (the studio).
    On an existing bucket the policy keeps the owner's statements, and ``destroy`` leaves it in place
    (deleting it would delete theirs too).
    """
    base = served_prefixes(settings)
    stage = pulumi.Output.all(storage.realtime_prefix or "", storage.realtime_writer_arn or "")

    def writers(stage_prefix: str, stage_arn: str) -> tuple[IvsWriter, ...]:
        return (IvsWriter.for_stage(stage_arn, stage_prefix),) if stage_prefix else ()

    if storage.existing_policy is not None:
        document = pulumi.Output.all(storage.arn, reader, storage.existing_policy, stage).apply(
            lambda args: merged_bucket_policy(
                args[2], args[0], _with_stage(base, args[3][0]), args[1], extra_keys, writers(*args[3])
            )
        )
    else:
        document = pulumi.Output.all(storage.arn, reader, stage).apply(
            lambda args: bucket_policy(args[0], _with_stage(base, args[2][0]), args[1], extra_keys, writers(*args[2]))
        )
    depends = [storage.public_access_block] if storage.public_access_block is not None else []
    return aws.s3.BucketPolicy(
        "media-policy",
        bucket=storage.name,
        policy=document,
        opts=pulumi.ResourceOptions(depends_on=depends, retain_on_delete=storage.existing_policy is not None),
    )
