"""Storage on an S3 bucket (or an S3-compatible store) through boto3.

Timeouts and retries are kept short so that a slow store fails the request well inside the
Lambda time limit instead of hanging it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from handlers.storage.base import MAX_LIST_LIMIT, Listing, NotFound, StorageError, StoredObject

#: At most 3 attempts in all (botocore's ``max_attempts`` would mean 3 *retries*, 4 attempts) of
#: 3 s connect + 10 s per read: a dead store fails within seconds and a stalled one gives up
#: around 30 s, inside the 40 s Lambda limit, so the handler can still answer with an error.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=3,
    read_timeout=10,
)

#: Multipart parts of :meth:`S3Storage.put_file` and how many go at once (memory: about their product).
UPLOAD_PART_BYTES = 16 * 1024 * 1024
UPLOAD_THREADS = 4

_NOT_FOUND = {"NoSuchKey", "NotFound", "404"}  # HEAD-style 404s carry no code; NoSuchBucket is not "not found"
_NOT_WRITTEN = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


def make_client(**overrides: Any) -> Any:
    """An S3 client for the region and endpoint in the environment.

    ``AWS_ENDPOINT_URL_S3`` (or ``AWS_ENDPOINT_URL``) points it at an S3-compatible store;
    region comes from ``AWS_REGION`` or ``AWS_DEFAULT_REGION``. ``overrides`` go to
    ``boto3.client`` (tests pass an explicit endpoint and credentials).
    """
    kwargs: dict[str, Any] = {
        "region_name": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
        "endpoint_url": os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None,
        "config": CLIENT_CONFIG,
    }
    kwargs.update(overrides)
    return boto3.session.Session().client("s3", **kwargs)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> str:
    return str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


class S3Storage:
    """A :class:`~handlers.storage.base.Storage` over ``bucket``; the client is made on first use."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client()
        return self._client

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            return response["Body"].read()
        except ClientError as exc:
            code = _error_code(exc)
            if code in _NOT_FOUND or (_status(exc) == "404" and code != "NoSuchBucket"):
                raise NotFound(key) from exc
            raise StorageError(f"S3 get {self.bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 get {self.bucket}/{key}: {exc}") from exc

    def put(self, key: str, body: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        """Write ``key``; with ``if_absent`` S3 itself refuses the write if the key exists.

        A 409 ConditionalRequestConflict (another conditional write in flight) also counts as
        "not written": the other writer is the one that may win. Caveat: if an ``if_absent``
        write succeeds but its response is lost, the retry sees 412 and this returns False.
        """
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": body, "ContentType": content_type}
        if if_absent:
            kwargs["IfNoneMatch"] = "*"
        try:
            self.client.put_object(**kwargs)
        except ClientError as exc:
            if if_absent and (_error_code(exc) in _NOT_WRITTEN or _status(exc) in _NOT_WRITTEN):
                return False
            raise StorageError(f"S3 put {self.bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 put {self.bucket}/{key}: {exc}") from exc
        return True

    def get_range(self, key: str, start: int, length: int) -> bytes:
        for name, value in (("start", start), ("length", length)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"range {name} must be a non-negative integer, not {value!r}")
        if length == 0:
            self._head(key)  # still NotFound for no object
            return b""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{start + length - 1}")
            return response["Body"].read()
        except ClientError as exc:
            code = _error_code(exc)
            if code == "InvalidRange" or _status(exc) == "416":  # starts at or past the end
                return b""
            if code in _NOT_FOUND or (_status(exc) == "404" and code != "NoSuchBucket"):
                raise NotFound(key) from exc
            raise StorageError(f"S3 ranged get {self.bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 ranged get {self.bucket}/{key}: {exc}") from exc

    def get_tail(self, key: str, length: int) -> tuple[bytes, int]:
        """A suffix-range GetObject: the size comes from ``Content-Range`` (no HeadObject)."""
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise ValueError(f"range length must be a non-negative integer, not {length!r}")
        if length == 0:
            return b"", self._head(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=-{length}")
            body = response["Body"].read()
        except ClientError as exc:
            code = _error_code(exc)
            if code == "InvalidRange" or _status(exc) == "416":  # an empty object has no suffix
                return b"", self._head(key)
            if code in _NOT_FOUND or (_status(exc) == "404" and code != "NoSuchBucket"):
                raise NotFound(key) from exc
            raise StorageError(f"S3 ranged get {self.bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 ranged get {self.bucket}/{key}: {exc}") from exc
        total = str(response.get("ContentRange") or "").rpartition("/")[2]
        return body, int(total) if total.isdigit() else len(body)

    def _head(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND or _status(exc) == "404":
                raise NotFound(key) from exc
            raise StorageError(f"S3 head {self.bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 head {self.bucket}/{key}: {exc}") from exc

    def copy(self, source_key: str, key: str, content_type: str) -> None:
        """Server-side CopyObject (objects up to 5 GB: IVS segments are far smaller)."""
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": source_key},
                ContentType=content_type,
                MetadataDirective="REPLACE",
            )
        except ClientError as exc:
            code = _error_code(exc)
            if code in _NOT_FOUND or (_status(exc) == "404" and code != "NoSuchBucket"):
                raise NotFound(source_key) from exc
            raise StorageError(f"S3 copy {self.bucket}/{source_key} to {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 copy {self.bucket}/{source_key} to {key}: {exc}") from exc

    def put_file(self, key: str, path: Path, content_type: str, *, disposition: str | None = None) -> None:
        """``upload_file``: one PUT for a small file, else a multipart upload of 16 MiB parts.

        Memory stays at a few parts whatever the file's size; S3 shows the object only once the
        upload completes, and s3transfer aborts a multipart upload that fails (no parts kept).
        """
        from boto3.exceptions import S3UploadFailedError
        from boto3.s3.transfer import TransferConfig

        extra = {"ContentType": content_type}
        if disposition is not None:
            extra["ContentDisposition"] = disposition
        config = TransferConfig(
            multipart_threshold=UPLOAD_PART_BYTES, multipart_chunksize=UPLOAD_PART_BYTES, max_concurrency=UPLOAD_THREADS
        )
        try:
            self.client.upload_file(str(path), self.bucket, key, ExtraArgs=extra, Config=config)
        except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
            raise StorageError(f"S3 upload {self.bucket}/{key}: {exc}") from exc

    def delete(self, key: str) -> None:
        """DeleteObject; S3 answers 204 for an absent key too, so this is idempotent."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 delete {self.bucket}/{key}: {exc}") from exc

    def delete_many(self, keys: Sequence[str]) -> None:
        """DeleteObjects in batches of 1,000 keys (one request each); any refused key is an error."""
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), MAX_LIST_LIMIT):
            batch = [{"Key": k} for k in unique[start : start + MAX_LIST_LIMIT]]
            try:
                response = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except (ClientError, BotoCoreError) as exc:
                raise StorageError(f"S3 delete of {len(batch)} keys in {self.bucket}: {exc}") from exc
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                detail = f"{first.get('Code')} {first.get('Message')}"
                raise StorageError(f"S3 delete {self.bucket}/{first.get('Key')}: {detail}")

    def list(
        self, prefix: str = "", *, delimiter: str | None = None, token: str | None = None, limit: int = 1000
    ) -> Listing:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": min(limit, MAX_LIST_LIMIT)}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        if token:
            kwargs["ContinuationToken"] = token
        try:
            response = self.client.list_objects_v2(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 list {self.bucket}/{prefix}: {exc}") from exc
        objects = [
            StoredObject(item["Key"], int(item["Size"]), item["LastModified"].astimezone(UTC))
            for item in response.get("Contents", [])
        ]
        prefixes = [item["Prefix"] for item in response.get("CommonPrefixes", [])]
        next_token = response.get("NextContinuationToken") if response.get("IsTruncated") else None
        return Listing(objects, prefixes, next_token)
