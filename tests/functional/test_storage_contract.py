"""The Storage contract, run against every implementation (local files and S3 on a moto server)."""

from __future__ import annotations

import os
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.storage import Listing, NotFound, Storage, StorageError
from handlers.storage.base import delete_keys
from handlers.storage.files import TEMP_PREFIX, FileStorage
from handlers.storage.s3 import S3Storage, make_client
from tests.support.s3 import S3Endpoint, direct_storage

# Deliberately awkward names: "-" and "." sort before "/", "0" after it, non-ASCII after "~".
AWKWARD_KEYS = ["a/b", "a-b", "a.b", "a0", "a/c/d", "Z", "é", "~x", "a/b0", "a/bb/c", "a/é", "a/z"]


def _put_all(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        storage.put(key, key.encode(), "text/plain")


def _list_everything(storage: Storage, prefix: str = "", **kwargs: Any) -> list[Listing]:
    pages = [storage.list(prefix, **kwargs)]
    while pages[-1].next_token:
        pages.append(storage.list(prefix, token=pages[-1].next_token, **kwargs))
    return pages


def _utf8_sorted(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


# --- get / put ---


def test_put_then_get_returns_the_same_bytes(any_storage: Storage) -> None:
    body = bytes(range(256)) * 3
    assert any_storage.put("x/y/z.bin", body, "application/octet-stream") is True
    assert any_storage.get("x/y/z.bin") == body


def test_put_replaces_an_existing_object(any_storage: Storage) -> None:
    any_storage.put("k", b"old", "text/plain")
    assert any_storage.put("k", b"new", "text/plain") is True
    assert any_storage.get("k") == b"new"


def test_s3_put_stores_the_content_type(s3_storage: S3Storage) -> None:
    s3_storage.put("media/master.m3u8", b"#EXTM3U\n", "application/vnd.apple.mpegurl")
    head = s3_storage.client.head_object(Bucket=s3_storage.bucket, Key="media/master.m3u8")
    assert head["ContentType"] == "application/vnd.apple.mpegurl"


def test_get_of_a_missing_key_raises_not_found(any_storage: Storage) -> None:
    with pytest.raises(NotFound):
        any_storage.get("no/such/key")


def test_not_found_is_a_key_error(any_storage: Storage) -> None:
    with pytest.raises(KeyError):
        any_storage.get("missing")


def test_get_of_a_folder_raises_not_found(any_storage: Storage) -> None:
    any_storage.put("dir/file", b"x", "text/plain")
    with pytest.raises(NotFound):
        any_storage.get("dir")


# --- if_absent ---


def test_if_absent_writes_a_new_key(any_storage: Storage) -> None:
    assert any_storage.put("once", b"first", "text/plain", if_absent=True) is True
    assert any_storage.get("once") == b"first"


def test_if_absent_keeps_an_existing_object(any_storage: Storage) -> None:
    any_storage.put("once", b"first", "text/plain")
    assert any_storage.put("once", b"second", "text/plain", if_absent=True) is False
    assert any_storage.get("once") == b"first"


def test_concurrent_if_absent_writers_have_exactly_one_winner(any_storage: Storage) -> None:
    writers = 8
    barrier = threading.Barrier(writers)
    results: dict[int, bool] = {}

    def write(n: int) -> None:
        barrier.wait()
        results[n] = any_storage.put("race", f"writer {n}".encode(), "text/plain", if_absent=True)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, won in results.items() if won]
    assert len(winners) == 1
    assert any_storage.get("race") == f"writer {winners[0]}".encode()


# --- list ---


def test_list_returns_keys_in_utf8_byte_order(any_storage: Storage) -> None:
    _put_all(any_storage, AWKWARD_KEYS)
    keys = [o.key for page in _list_everything(any_storage) for o in page.objects]
    assert keys == _utf8_sorted(AWKWARD_KEYS)


def test_list_keeps_only_keys_under_the_prefix(any_storage: Storage) -> None:
    _put_all(any_storage, AWKWARD_KEYS)
    keys = [o.key for o in any_storage.list("a/b").objects]
    assert keys == ["a/b", "a/b0", "a/bb/c"]


def test_list_gives_size_and_utc_last_modified(any_storage: Storage) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    any_storage.put("sized", b"12345", "text/plain")
    (obj,) = any_storage.list("sized").objects
    assert obj.size == 5
    assert obj.last_modified.utcoffset() == timedelta(0)
    assert before <= obj.last_modified <= datetime.now(UTC) + timedelta(seconds=5)


def test_list_with_delimiter_rolls_keys_up_into_prefixes(any_storage: Storage) -> None:
    _put_all(any_storage, AWKWARD_KEYS)
    page = any_storage.list("a/", delimiter="/")
    assert [o.key for o in page.objects] == ["a/b", "a/b0", "a/z", "a/é"]
    assert page.prefixes == ["a/bb/", "a/c/"]


def test_list_with_a_partial_segment_prefix_matches_folders_and_files(any_storage: Storage) -> None:
    _put_all(any_storage, ["2025/1/x", "2025/10/x", "2025/11/y", "2025/2/x", "2025/1x"])
    page = any_storage.list("2025/1", delimiter="/")
    assert page.prefixes == ["2025/1/", "2025/10/", "2025/11/"]
    assert [o.key for o in page.objects] == ["2025/1x"]


def test_list_of_an_unknown_prefix_is_empty(any_storage: Storage) -> None:
    _put_all(any_storage, ["a/b"])
    assert any_storage.list("nothing/here/", delimiter="/") == Listing([], [], None)


def test_list_pages_by_limit_and_token_without_loss_or_repeats(any_storage: Storage) -> None:
    keys = [f"p/{n}" for n in range(23)]
    _put_all(any_storage, keys)
    pages = _list_everything(any_storage, "p/", limit=5)
    assert [len(p.objects) for p in pages] == [5, 5, 5, 5, 3]
    assert [o.key for p in pages for o in p.objects] == _utf8_sorted(keys)
    assert pages[-1].next_token is None


def test_list_counts_prefixes_and_objects_together_against_the_limit(any_storage: Storage) -> None:
    keys = [f"d/{n}/seg.ts" for n in range(7)] + [f"d/{n}.txt" for n in range(3)]
    _put_all(any_storage, keys)
    pages = _list_everything(any_storage, "d/", delimiter="/", limit=4)
    assert [len(p.objects) + len(p.prefixes) for p in pages] == [4, 4, 2]
    entries = [e for p in pages for e in sorted([o.key for o in p.objects] + p.prefixes, key=str.encode)]
    assert entries == _utf8_sorted([f"d/{n}/" for n in range(7)] + [f"d/{n}.txt" for n in range(3)])


def test_list_skips_a_rolled_up_prefix_with_many_keys_across_pages(any_storage: Storage) -> None:
    _put_all(any_storage, [f"r/a/{n}" for n in range(12)] + ["r/b", "r/c/1"])
    first = any_storage.list("r/", delimiter="/", limit=1)
    second = any_storage.list("r/", delimiter="/", limit=1, token=first.next_token)
    third = any_storage.list("r/", delimiter="/", limit=1, token=second.next_token)
    assert (first.prefixes, [o.key for o in second.objects], third.prefixes) == (["r/a/"], ["r/b"], ["r/c/"])
    assert third.next_token is None


def test_list_rejects_a_limit_below_one(any_storage: Storage) -> None:
    with pytest.raises(ValueError):
        any_storage.list("", limit=0)


# --- get_range ---


def test_get_range_returns_exactly_the_bytes_asked_for(any_storage: Storage) -> None:
    body = bytes(range(256)) * 4
    any_storage.put("seg.ts", body, "video/mp2t")
    assert any_storage.get_range("seg.ts", 300, 100) == body[300:400]
    assert any_storage.get_range("seg.ts", 0, 1) == body[:1]


def test_get_range_past_the_end_returns_what_is_there(any_storage: Storage) -> None:
    any_storage.put("short", b"0123456789", "text/plain")
    assert any_storage.get_range("short", 8, 100) == b"89"
    assert any_storage.get_range("short", 10, 5) == b""


def test_get_range_of_nothing_reads_nothing(any_storage: Storage) -> None:
    any_storage.put("k", b"abc", "text/plain")
    assert any_storage.get_range("k", 1, 0) == b""


def test_get_range_of_a_missing_key_raises_not_found(any_storage: Storage) -> None:
    with pytest.raises(NotFound):
        any_storage.get_range("no/such/key", 0, 10)
    with pytest.raises(NotFound):
        any_storage.get_range("no/such/key", 0, 0)


@pytest.mark.parametrize(("start", "length"), [(-1, 1), (0, -1)])
def test_get_range_refuses_negative_numbers(any_storage: Storage, start: int, length: int) -> None:
    any_storage.put("k", b"abc", "text/plain")
    with pytest.raises(ValueError):
        any_storage.get_range("k", start, length)


# --- copy ---


def test_copy_writes_the_same_bytes_under_the_new_key(any_storage: Storage) -> None:
    body = bytes(range(256)) * 3
    any_storage.put("src/a.ts", body, "video/mp2t")
    any_storage.copy("src/a.ts", "dst/b.ts", "video/mp2t")
    assert any_storage.get("dst/b.ts") == body
    assert any_storage.get("src/a.ts") == body


def test_copy_of_a_missing_source_raises_not_found(any_storage: Storage) -> None:
    with pytest.raises(NotFound):
        any_storage.copy("missing", "dst", "text/plain")
    with pytest.raises(NotFound):
        any_storage.get("dst")


def test_s3_copy_sets_the_content_type(s3_storage: S3Storage) -> None:
    s3_storage.put("a.bin", b"x", "application/octet-stream")
    s3_storage.copy("a.bin", "b.ts", "video/mp2t")
    head = s3_storage.client.head_object(Bucket=s3_storage.bucket, Key="b.ts")
    assert head["ContentType"] == "video/mp2t"


# --- delete ---


def test_delete_removes_the_object_and_its_listing_entry(any_storage: Storage) -> None:
    _put_all(any_storage, ["d/a", "d/b"])
    any_storage.delete("d/a")
    with pytest.raises(NotFound):
        any_storage.get("d/a")
    assert [o.key for o in any_storage.list("d/").objects] == ["d/b"]


def test_delete_of_an_absent_key_succeeds(any_storage: Storage) -> None:
    any_storage.delete("never/there")
    any_storage.put("once", b"x", "text/plain")
    any_storage.delete("once")
    any_storage.delete("once")
    with pytest.raises(NotFound):
        any_storage.get("once")


def test_delete_leaves_keys_below_and_beside_it(any_storage: Storage) -> None:
    _put_all(any_storage, ["p/x", "p/x.json", "p/xy"])
    any_storage.delete("p/x")
    assert [o.key for o in any_storage.list("p/").objects] == ["p/x.json", "p/xy"]


def test_a_deleted_key_can_be_created_again_if_absent(any_storage: Storage) -> None:
    any_storage.put("again", b"old", "text/plain")
    any_storage.delete("again")
    assert any_storage.put("again", b"new", "text/plain", if_absent=True) is True
    assert any_storage.get("again") == b"new"


def test_delete_keys_removes_every_key_in_batches(any_storage: Storage) -> None:
    keys = [f"many/{i:04d}" for i in range(1005)] if isinstance(any_storage, S3Storage) else ["many/a", "many/b"]
    if isinstance(any_storage, S3Storage):
        seeder = direct_storage(any_storage.bucket)
        for key in keys:
            seeder.put(key, b"x", "text/plain")
    else:
        _put_all(any_storage, keys)
    _put_all(any_storage, ["many-kept"])
    delete_keys(any_storage, [*keys, "many/absent"])
    assert any_storage.list("many/").objects == []
    assert any_storage.get("many-kept") == b"many-kept"


def test_file_storage_delete_of_a_folder_is_a_no_op(file_storage: FileStorage) -> None:
    file_storage.put("dir/file", b"x", "text/plain")
    file_storage.delete("dir")
    assert file_storage.get("dir/file") == b"x"


# --- local files only ---


@pytest.mark.parametrize(
    "key",
    ["", "/etc/passwd", "../outside", "a/../../outside", "a/./b", "a//b", "a/", "a\\b", "a\x00b", ".."],
)
def test_file_storage_refuses_keys_that_could_escape_root(tmp_path: Path, key: str) -> None:
    storage = FileStorage(tmp_path / "root")
    with pytest.raises(ValueError):
        storage.put(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        storage.get(key)
    assert not (tmp_path / "outside").exists()


@pytest.mark.parametrize("prefix", ["/abs", "../", "a/../", "a//", "a\\b"])
def test_file_storage_refuses_listing_prefixes_that_could_escape_root(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ValueError):
        FileStorage(tmp_path).list(prefix)


def test_file_storage_listing_skips_temporary_files(file_storage: FileStorage) -> None:
    file_storage.put("dir/real", b"x", "text/plain")
    (file_storage.root / "dir" / f"{TEMP_PREFIX}abc").write_bytes(b"half written")
    assert [o.key for o in file_storage.list("dir/").objects] == ["dir/real"]


def test_file_storage_leaves_no_temporary_files_behind(file_storage: FileStorage) -> None:
    file_storage.put("k", b"1", "text/plain")
    file_storage.put("k", b"2", "text/plain", if_absent=True)
    assert sorted(os.listdir(file_storage.root)) == ["k"]


def test_file_storage_cannot_hold_a_key_below_an_object(file_storage: FileStorage) -> None:
    file_storage.put("a", b"x", "text/plain")
    with pytest.raises(StorageError):
        file_storage.put("a/b", b"y", "text/plain")


def test_file_storage_does_not_follow_a_symlink_out_of_its_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.m3u8").write_text("#EXTM3U\n")
    root = tmp_path / "root"
    (root / "ivs").mkdir(parents=True)
    (root / "ivs" / "link").symlink_to(outside, target_is_directory=True)
    storage = FileStorage(root)
    with pytest.raises(NotFound):
        storage.get("ivs/link/secret.m3u8")
    with pytest.raises(StorageError):
        storage.put("ivs/link/new.m3u8", b"x", "text/plain")
    assert not (outside / "new.m3u8").exists()
    assert [o.key for o in storage.list("ivs/").objects] == []


def test_file_storage_treats_a_name_too_long_for_the_file_system_as_absent(file_storage: FileStorage) -> None:
    with pytest.raises(NotFound):
        file_storage.get("ivs/" + "x" * 300 + "/master.m3u8")


def test_file_storage_rejects_a_forged_token(file_storage: FileStorage) -> None:
    with pytest.raises(ValueError):
        file_storage.list("", token="not-a-token")


# --- S3 only ---


def test_s3_errors_other_than_not_found_are_storage_errors(s3_storage: S3Storage) -> None:
    missing_bucket = S3Storage("no-such-bucket-for-this-test", client=s3_storage.client)
    with pytest.raises(StorageError):
        missing_bucket.get("k")
    with pytest.raises(StorageError):
        missing_bucket.list("")


def test_s3_unreachable_endpoint_is_a_storage_error(s3_endpoint: S3Endpoint) -> None:
    from botocore.config import Config

    client = s3_endpoint.client(
        endpoint_url="http://127.0.0.1:9", config=Config(retries={"max_attempts": 1}, connect_timeout=1)
    )
    with pytest.raises(StorageError):
        S3Storage("bucket", client=client).get("k")


def test_s3_storage_makes_its_client_from_the_environment(
    s3_endpoint: S3Endpoint, s3_storage: S3Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_storage.put("k", b"v", "text/plain")
    for name, value in {
        "AWS_ENDPOINT_URL_S3": s3_endpoint.url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert S3Storage(s3_storage.bucket).get("k") == b"v"


def test_s3_client_has_short_timeouts_and_bounded_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    config = make_client(aws_access_key_id="x", aws_secret_access_key="y").meta.config
    assert (config.connect_timeout, config.read_timeout) == (3, 10)
    assert config.retries["total_max_attempts"] == 3
    assert config.region_name == "eu-west-1"


# --- local listing against a model of S3's ListObjectsV2 ---

_SEGMENTS = st.sampled_from(["a", "b", "a-", "a.", "0", "1", "10", "é", "~"])
_KEYS = st.lists(st.lists(_SEGMENTS, min_size=1, max_size=3).map("/".join), min_size=1, max_size=12, unique=True)


def _model_entries(keys: list[str], prefix: str, delimiter: str | None) -> list[str]:
    """Objects and rolled-up prefixes under ``prefix`` as S3 orders them."""
    entries: list[str] = []
    for key in _utf8_sorted([k for k in keys if k.startswith(prefix)]):
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        entry = key if cut < 0 else key[: cut + len(delimiter or "")]
        if not entries or entries[-1] != entry:
            entries.append(entry)
    return entries


@settings(max_examples=80, deadline=None)
@given(
    keys=_KEYS,
    cut=st.tuples(st.integers(0, 11), st.integers(0, 8)),
    delimiter=st.sampled_from([None, "/", "-", "/1"]),
    limit=st.integers(1, 5),
)
def test_file_storage_lists_like_s3(keys: list[str], cut: tuple[int, int], delimiter: str | None, limit: int) -> None:
    # A file cannot also be a folder: drop keys that are a folder of another key.
    keys = [k for k in keys if not any(o.startswith(k + "/") for o in keys)]
    source = keys[cut[0] % len(keys)]
    prefix = source[: cut[1] % (len(source) + 1)]
    with tempfile.TemporaryDirectory() as root:
        storage = FileStorage(Path(root))
        _put_all(storage, keys)
        pages = _list_everything(storage, prefix, delimiter=delimiter, limit=limit)
    listed = [e for p in pages for e in _utf8_sorted([o.key for o in p.objects] + p.prefixes)]
    assert listed == _model_entries(keys, prefix, delimiter)
    assert all(len(p.objects) + len(p.prefixes) == limit for p in pages[:-1])


# --- put_file (large objects from disk: MP4 exports) ---


def test_put_file_stores_the_file_and_replaces_an_object(any_storage: Storage, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    body = os.urandom(17 * 1024 * 1024 + 5)  # over S3Storage's 16 MiB part size: a multipart upload
    source.write_bytes(body)
    any_storage.put("clips/x.mp4", b"old", "video/mp4")
    any_storage.put_file("clips/x.mp4", source, "video/mp4", disposition='attachment; filename="x.mp4"')
    assert any_storage.get("clips/x.mp4") == body
    assert [o.key for o in any_storage.list("clips/").objects] == ["clips/x.mp4"]  # no sidecar, no temp file


def test_put_file_of_a_missing_file_is_a_storage_error_and_writes_nothing(any_storage: Storage, tmp_path: Path) -> None:
    with pytest.raises((StorageError, OSError)):
        any_storage.put_file("clips/y.mp4", tmp_path / "absent.mp4", "video/mp4")
    with pytest.raises(NotFound):
        any_storage.get("clips/y.mp4")


def test_s3_put_file_sets_the_type_and_disposition(s3_storage: S3Storage, tmp_path: Path) -> None:
    source = tmp_path / "a.mp4"
    source.write_bytes(b"\0" * 1000)
    disposition = "attachment; filename=\"Goal.mp4\"; filename*=UTF-8''G%C3%B6al.mp4"
    s3_storage.put_file("clips/a.mp4", source, "video/mp4", disposition=disposition)
    head = s3_storage.client.head_object(Bucket=s3_storage.bucket, Key="clips/a.mp4")
    assert (head["ContentType"], head["ContentDisposition"]) == ("video/mp4", disposition)


def test_file_put_file_keeps_the_disposition_in_a_hidden_sidecar(file_storage: FileStorage, tmp_path: Path) -> None:
    from handlers.storage.files import META_PREFIX, sidecar_path, stored_disposition

    source = tmp_path / "a.mp4"
    source.write_bytes(b"mp4")
    file_storage.put_file("clips/a.mp4", source, "video/mp4", disposition='attachment; filename="a.mp4"')
    path = file_storage.root / "clips" / "a.mp4"
    assert stored_disposition(path) == 'attachment; filename="a.mp4"'
    assert sidecar_path(path).name.startswith(META_PREFIX)
    assert [o.key for o in file_storage.list("clips/").objects] == ["clips/a.mp4"]
    with pytest.raises(ValueError):
        file_storage.get(f"clips/{sidecar_path(path).name}")  # a reserved name, never a key
    file_storage.put_file("clips/a.mp4", source, "video/mp4")  # no disposition now: none is served
    assert stored_disposition(path) is None
    file_storage.put_file("clips/a.mp4", source, "video/mp4", disposition="attachment")
    file_storage.delete("clips/a.mp4")
    assert not sidecar_path(path).exists() and not path.exists()


def test_budgeted_storage_has_every_protocol_method() -> None:
    from handlers.storage.budget import BudgetedStorage

    wanted = {name for name in vars(Storage) if not name.startswith("_")}
    assert "put_file" in wanted
    assert wanted <= set(dir(BudgetedStorage))


def test_budgeted_put_file_reaches_the_inner_store(file_storage: FileStorage, tmp_path: Path) -> None:
    from handlers.storage.budget import BudgetedStorage, time_budget

    source = tmp_path / "b.mp4"
    source.write_bytes(b"bytes")
    with time_budget(5):
        BudgetedStorage(file_storage).put_file("clips/b.mp4", source, "video/mp4", disposition="attachment")
    assert file_storage.get("clips/b.mp4") == b"bytes"
