"""master_url names a playlist of ours, and nothing else is ever read."""

from __future__ import annotations

import pytest

from clipping.errors import ClipError
from handlers.recordings.source import (
    InvalidSource,
    recording_id_of,
    recording_key_of,
    resolve_master_key,
)
from handlers.web.errors import status_of
from handlers.web.urls import public_url

BASE = "https://d111.cloudfront.net"
KEY = "ivs/v1/123456789012/AbCdEf/2024/5/1/12/0/RecId123abc/media/hls/master.m3u8"


def resolve(value: object, *, base: str = BASE, bucket: str | None = "my-bucket") -> str:
    return resolve_master_key(value, public_base_url=base, bucket=bucket, recordings_prefixes=("ivs/",))


@pytest.mark.parametrize(
    "value",
    [
        KEY,
        "/" + KEY,
        f"{BASE}/{KEY}",
        f"HTTPS://D111.CLOUDFRONT.NET/{KEY}",
        f"https://d111.cloudfront.net:443/{KEY}",
        f"s3://my-bucket/{KEY}",
        f"  {KEY}  ",
    ],
)
def test_accepted_forms_name_the_same_key(value: str) -> None:
    assert resolve(value) == KEY


def test_percent_encoded_url_is_decoded_once() -> None:
    assert resolve(f"{BASE}/ivs/v1/a%3Db/master.m3u8") == "ivs/v1/a=b/master.m3u8"


def test_url_under_a_base_path_gives_the_key_after_it() -> None:
    assert resolve(f"https://cdn.example/media/{KEY}", base="https://cdn.example/media") == KEY


def test_byte_range_multivariant_is_accepted() -> None:
    key = KEY.replace("master.m3u8", "byte-range-multivariant.m3u8")
    assert resolve(key) == key


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "string"),
        (42, "string"),
        ("", "empty"),
        ("   ", "empty"),
        (f"https://evil.example/{KEY}", "under"),
        (f"http://d111.cloudfront.net/{KEY}", "under"),
        (f"https://d111.cloudfront.net:8443/{KEY}", "under"),
        (f"https://d111.cloudfront.net.evil.example/{KEY}", "under"),
        (f"https://user@d111.cloudfront.net/{KEY}", "under"),
        (f"{BASE}/{KEY}?x=1", "query"),
        (f"{BASE}/{KEY}#frag", "query"),
        (f"s3://other-bucket/{KEY}", "another bucket"),
        (f"file:///etc/{KEY}", "file"),
        ("file:///etc/passwd", "file"),
        (f"ftp://d111.cloudfront.net/{KEY}", "ftp"),
        (f"//evil.example/{KEY}", "network-path"),
        ("ivs/../etc/master.m3u8", "'..'"),
        ("ivs/v1/../../master.m3u8", "'..'"),
        ("ivs/./master.m3u8", "'..'"),
        ("ivs//master.m3u8", "empty"),
        (f"{BASE}/ivs/%2e%2e/secret/master.m3u8", "'..'"),
        (f"{BASE}/ivs/%2E%2E/secret/master.m3u8", "'..'"),
        (f"{BASE}/ivs/%252e%252e/secret/master.m3u8", "encoded"),
        ("ivs/%2e%2e/secret/master.m3u8", "encoded"),
        (f"{BASE}/ivs/a%2fb/master.m3u8", "encoded slashes"),
        (f"{BASE}/ivs/%ff/master.m3u8", "UTF-8"),
        (f"{BASE}/ivs/%zz/master.m3u8", "percent"),
        ("ivs\\..\\master.m3u8", "backslash"),
        (f"{BASE}/ivs/..%5c..%5cmaster.m3u8", "backslash"),
        ("ivs/v1/segment.ts", ".m3u8"),
        ("ivs/v1/events/recording-started.json", ".m3u8"),
        ("ivs/v1/master.m3u8.json", ".m3u8"),
        ("clips/abc.m3u8", "names a clip"),
        ("other/abc.m3u8", "under ivs/"),
        ("ivs/v1/mas ter.m3u8", "characters"),
        ("ivs/v1/master\x00.m3u8", "control"),
        ("ivs/" + "a" * 1100 + ".m3u8", "1024"),
    ],
)
def test_refused_values_say_why(value: object, reason: str) -> None:
    with pytest.raises(InvalidSource, match=reason) as info:
        resolve(value)
    assert info.value.field == "master_url"
    assert info.value.code == "invalid_master_url"


def test_s3_uri_is_refused_when_storage_is_local() -> None:
    with pytest.raises(InvalidSource, match="bucket"):
        resolve(f"s3://my-bucket/{KEY}", bucket=None)


def test_refusal_is_a_client_error_for_the_http_layer() -> None:
    assert issubclass(InvalidSource, ClipError)
    assert status_of(InvalidSource.code) == 400


def test_recording_id_is_the_directory_above_media() -> None:
    assert recording_id_of(KEY) == "RecId123abc"


def test_recording_id_of_other_layouts_is_the_directory_and_a_digest_of_the_prefix() -> None:
    found = recording_id_of("ivs/local/rec-1/master.m3u8")
    assert found.startswith("rec-1-") and len(found) == len("rec-1-") + 8


def test_two_real_time_composites_never_share_a_recording_id() -> None:
    first = recording_id_of("stageA/compA/destA/composite/media/hls/multivariant.m3u8")
    second = recording_id_of("stageB/compB/destB/composite/media/hls/multivariant.m3u8")
    assert first.startswith("composite-") and second.startswith("composite-") and first != second


def test_recording_key_is_the_recording_prefix() -> None:
    assert recording_key_of(KEY) == "ivs/v1/123456789012/AbCdEf/2024/5/1/12/0/RecId123abc/"


def test_public_url_escapes_what_urls_need() -> None:
    assert public_url(BASE + "/", "clips/a b.m3u8") == f"{BASE}/clips/a%20b.m3u8"
    assert public_url(BASE, KEY) == f"{BASE}/{KEY}"
