"""open_storage: which URLs name which storage, and clear refusals for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

import handlers.storage as storage_pkg
from handlers.storage import open_storage
from handlers.storage.budget import BudgetedStorage
from handlers.storage.files import FileStorage
from handlers.storage.s3 import S3Storage


def _s3(url: str) -> S3Storage:
    storage = open_storage(url)
    assert isinstance(storage, BudgetedStorage)  # every request's S3 calls share its time budget
    assert isinstance(storage.inner, S3Storage)
    return storage.inner


def test_s3_url_opens_that_bucket_without_creating_a_client() -> None:
    storage = _s3("s3://my-recordings")
    assert storage.bucket == "my-recordings"
    assert storage._client is None  # made on first use, so cold starts stay cheap


def test_s3_url_may_end_with_a_slash() -> None:
    assert _s3("s3://my-recordings/").bucket == "my-recordings"


def test_file_url_opens_that_directory() -> None:
    storage = open_storage("file:///srv/recordings")
    assert isinstance(storage, FileStorage)
    assert storage.root == Path("/srv/recordings")


def test_file_url_for_localhost_is_accepted() -> None:
    assert open_storage("file://localhost/srv/rec").root == Path("/srv/rec")  # type: ignore[attr-defined]


def test_file_url_is_percent_decoded() -> None:
    assert open_storage("file:///srv/my%20recs").root == Path("/srv/my recs")  # type: ignore[attr-defined]


def test_plain_absolute_path_opens_a_directory(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path))
    assert isinstance(storage, FileStorage)
    assert storage.root == tmp_path


def test_plain_relative_path_is_resolved_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert open_storage("data").root == tmp_path.resolve() / "data"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("s3://", "no bucket"),
        ("s3://bucket/some/prefix", "prefix"),
        ("s3://Not_A_Bucket", "not a valid S3 bucket"),
        ("file://otherhost/dir", "remote host"),
        ("file:relative/dir", "not absolute"),
        ("http://example.com/recs", "unsupported storage URL scheme 'http'"),
        ("gs://bucket", "unsupported storage URL scheme 'gs'"),
    ],
)
def test_other_urls_are_refused_with_the_reason(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        open_storage(url)


def test_package_re_exports_the_contract() -> None:
    for name in ("Storage", "NotFound", "StorageError", "StoredObject", "Listing", "open_storage"):
        assert hasattr(storage_pkg, name)
