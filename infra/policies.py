"""IAM and bucket policy documents as plain JSON text, built from plain strings.

Pure functions, so the same builders run inside ``Output.apply`` in the program and directly in tests
(and through parliament). Every statement names its prefixes; no action or resource is ``*``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Statement = dict[str, Any]

VERSION = "2012-10-17"
CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"


def document(*statements: Statement) -> str:
    """A policy document; keys sorted so the text (and the preview diff) is stable."""
    return json.dumps({"Version": VERSION, "Statement": list(statements)}, sort_keys=True)


def objects(bucket_arn: str, prefixes: tuple[str, ...]) -> list[str]:
    return [f"{bucket_arn}/{prefix}*" for prefix in prefixes]


def lambda_assume_role() -> str:
    """Only the Lambda service may take a function role."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )


@dataclass(frozen=True)
class S3Access:
    """What one function may do in the bucket, by key prefix (and the event bus it may publish to)."""

    read: tuple[str, ...]
    write: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    event_bus_arn: str = ""
    invoke_function_arn: str = ""  # a function it starts asynchronously (the MP4 export worker)


def function_policy(bucket_arn: str, access: S3Access, log_group_arn: str) -> str:
    """A function's inline policy: its prefixes of the bucket and its own log group, nothing else.

    ``s3:ListBucket`` on the bucket is what makes S3 answer 404 (not 403) for a missing key, which
    the handlers rely on (a clip not made yet, a recording still being written). It is granted
    without an ``s3:prefix`` condition on purpose: S3's implicit list check for a missing key
    carries no prefix, so a conditioned grant would still give 403. Listing reveals key names
    only; reads and writes stay limited to the function's prefixes.
    """
    statements: list[Statement] = [
        {
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": objects(bucket_arn, access.read),
        },
        {
            "Sid": "ListPrefixes",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
        },
    ]
    if access.write:
        statements.append(
            {
                "Sid": "WriteObjects",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": objects(bucket_arn, access.write),
            }
        )
    if access.delete:
        statements.append(
            {
                "Sid": "DeleteObjects",
                "Effect": "Allow",
                "Action": "s3:DeleteObject",
                "Resource": objects(bucket_arn, access.delete),
            }
        )
    if access.invoke_function_arn:
        statements.append(
            {
                "Sid": "StartExports",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": access.invoke_function_arn,
            }
        )
    if access.event_bus_arn:
        statements.append(
            {
                "Sid": "PublishClipEvents",
                "Effect": "Allow",
                "Action": "events:PutEvents",
                "Resource": access.event_bus_arn,
            }
        )
    statements.append(
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        }
    )
    return document(*statements)


@dataclass(frozen=True)
class CdnReader:
    """Who CloudFront reads the bucket as: an origin access identity, or the service for OAC."""

    principal: dict[str, str]
    condition: dict[str, dict[str, str]] | None = None

    @classmethod
    def identity(cls, oai_iam_arn: str) -> CdnReader:
        return cls(principal={"AWS": oai_iam_arn})

    @classmethod
    def access_control(cls, distribution_arn: str) -> CdnReader:
        """OAC signs as the CloudFront service; the source ARN pins it to our distribution."""
        return cls(
            principal={"Service": CLOUDFRONT_SERVICE},
            condition={"StringEquals": {"AWS:SourceArn": distribution_arn}},
        )


IVS_SERVICE = "ivs.amazonaws.com"


@dataclass(frozen=True)
class IvsWriter:
    """IVS Real-Time writing a stage's recordings: the service, its prefix, and the stage's account.

    CreateStorageConfiguration "will modify the S3 bucketPolicy of the provided bucket" so that IVS
    may write (AWS's API reference); AWS does not publish that statement's text. This grant is
    the stack's own equivalent, kept in the policy the stack manages so an update never drops it:
    ``s3:PutObject`` for the IVS service, on the stage's prefix only, from the stage's account only.
    """

    prefix: str
    account: str

    @classmethod
    def for_stage(cls, stage_arn: str, prefix: str) -> IvsWriter:
        parts = stage_arn.split(":")
        if len(parts) < 6 or not parts[4].isdigit():
            raise ValueError(f"not a stage ARN: {stage_arn!r}")
        return cls(prefix=prefix, account=parts[4])


#: The statements this stack puts in a bucket policy; on re-runs they replace themselves.
OWN_SIDS = frozenset(
    {"CloudFrontReadsMedia", "CloudFrontReadsStudio", "IvsRealTimeWritesRecordings", "DenyInsecureTransport"}
)


def bucket_statements(
    bucket_arn: str,
    read_prefixes: tuple[str, ...],
    reader: CdnReader,
    extra_keys: tuple[str, ...] = (),
    writers: tuple[IvsWriter, ...] = (),
) -> list[Statement]:
    """CloudFront may read the served prefixes (and ``extra_keys``), IVS Real-Time may write its
    stages' prefixes (``writers``); nobody may use the bucket without TLS."""

    def allow(sid: str, resources: list[str]) -> Statement:
        statement: Statement = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": reader.principal,
            "Action": "s3:GetObject",
            "Resource": resources,
        }
        if reader.condition:
            statement["Condition"] = reader.condition
        return statement

    statements = [allow("CloudFrontReadsMedia", objects(bucket_arn, read_prefixes))]
    if extra_keys:
        statements.append(allow("CloudFrontReadsStudio", [f"{bucket_arn}/{key}" for key in extra_keys]))
    for account in sorted({w.account for w in writers}):
        statements.append(
            {
                "Sid": "IvsRealTimeWritesRecordings",
                "Effect": "Allow",
                "Principal": {"Service": IVS_SERVICE},
                "Action": "s3:PutObject",
                "Resource": objects(bucket_arn, tuple(w.prefix for w in writers if w.account == account)),
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    statements.append(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    return statements


def bucket_policy(
    bucket_arn: str,
    read_prefixes: tuple[str, ...],
    reader: CdnReader,
    extra_keys: tuple[str, ...] = (),
    writers: tuple[IvsWriter, ...] = (),
) -> str:
    """The policy of a bucket this stack owns: only its own statements."""
    return document(*bucket_statements(bucket_arn, read_prefixes, reader, extra_keys, writers))


def merged_bucket_policy(
    existing: str | None,
    bucket_arn: str,
    read_prefixes: tuple[str, ...],
    reader: CdnReader,
    extra_keys: tuple[str, ...] = (),
    writers: tuple[IvsWriter, ...] = (),
) -> str:
    """An existing bucket's policy with every statement it has (IVS's grant, say) plus ours.

    Statements of an earlier deployment (by ``Sid``) are replaced, not repeated.
    """
    kept: list[Statement] = []
    if existing and existing.strip():
        found = json.loads(existing).get("Statement", [])
        kept = [s for s in (found if isinstance(found, list) else [found]) if s.get("Sid") not in OWN_SIDS]
    return document(*kept, *bucket_statements(bucket_arn, read_prefixes, reader, extra_keys, writers))
