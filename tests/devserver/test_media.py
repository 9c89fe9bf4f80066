"""``/media/<key>`` behaves like the CDN: ranges, HEAD, conditionals, 416, types, CORS, served prefixes only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devserver.app import DevApp
from devserver.media import FileMediaSource, MediaSource, StorageMediaSource, parse_range, served_prefixes
from devserver.routes import RouteTable
from handlers.storage.base import NotFound
from handlers.web.cors import CorsPolicy
from tests.devserver.support import Reply, quiet_log, serving

BODY = bytes(range(256)) * 4  # 1024 distinct-enough bytes
KEY = "clips/abc/seg.ts"
ORIGIN = "https://player.example"

Fetch = Callable[..., Reply]


def _serve(media: MediaSource, cors: CorsPolicy | None = None, prefixes: tuple[str, ...] = ()) -> Iterator[Fetch]:
    app = DevApp(
        routes=RouteTable.of([]),
        media=media,
        media_prefixes=prefixes or served_prefixes("ivs/", "clips/"),
        access_log=quiet_log(),
    )
    if cors is not None:
        app.media_cors = cors
    with serving(app) as served:
        yield served.fetch


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "clips" / "abc").mkdir(parents=True)
    (root / KEY).write_bytes(BODY)
    (tmp_path / "secret.txt").write_text("outside the data directory")
    (root / "private.txt").write_text("in the data directory, outside the served prefixes")
    return root


@pytest.fixture
def fetch(data_dir: Path) -> Iterator[Fetch]:
    cors = CorsPolicy(
        allow_origins=(ORIGIN,),
        allow_methods=("GET", "HEAD"),
        allow_headers=("range",),
        expose_headers=("Content-Length", "Content-Range"),
    )
    yield from _serve(FileMediaSource(data_dir), cors)


def test_whole_object_is_served_with_accept_ranges(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}")
    assert (reply.status, reply.body) == (200, BODY)
    assert reply.headers["accept-ranges"] == "bytes"
    assert reply.headers["content-length"] == str(len(BODY))


def test_closed_range_is_a_206_with_content_range(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Range": "bytes=10-19"})
    assert (reply.status, reply.body) == (206, BODY[10:20])
    assert reply.headers["content-range"] == f"bytes 10-19/{len(BODY)}"
    assert reply.headers["content-length"] == "10"


def test_open_range_runs_to_the_end(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Range": "bytes=1000-"})
    assert (reply.status, reply.body) == (206, BODY[1000:])
    assert reply.headers["content-range"] == f"bytes 1000-1023/{len(BODY)}"


def test_suffix_range_is_the_last_bytes(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Range": "bytes=-5"})
    assert (reply.status, reply.body) == (206, BODY[-5:])


def test_range_past_the_end_is_truncated(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Range": "bytes=1020-5000"})
    assert (reply.status, reply.body) == (206, BODY[1020:])


def test_unsatisfiable_range_is_a_json_416_with_the_size(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Range": f"bytes={len(BODY)}-"})
    assert reply.status == 416
    assert reply.headers["content-range"] == f"bytes */{len(BODY)}"
    assert reply.headers["content-type"] == "application/json"
    assert b'"code": "range_not_satisfiable"' in reply.body


def test_etag_is_sent_and_if_none_match_gives_304(fetch: Fetch) -> None:
    etag = fetch(f"/media/{KEY}").headers["etag"]
    reply = fetch(f"/media/{KEY}", headers={"If-None-Match": etag})
    assert (reply.status, reply.body) == (304, b"")


def test_if_range_with_the_current_etag_gives_the_range(fetch: Fetch) -> None:
    etag = fetch(f"/media/{KEY}").headers["etag"]
    reply = fetch(f"/media/{KEY}", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert (reply.status, reply.body) == (206, BODY[:10])


def test_if_range_with_a_stale_etag_gives_the_whole_object(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert (reply.status, reply.body) == (200, BODY)


def test_several_ranges_are_ignored_for_the_whole_object(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Range": "bytes=0-1,5-6"})
    assert (reply.status, reply.body) == (200, BODY)


def test_head_gives_the_headers_without_a_body(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", method="HEAD")
    assert (reply.status, reply.body) == (200, b"")
    assert reply.headers["content-length"] == str(len(BODY))
    assert reply.headers["content-type"] == "video/mp2t"


def test_head_with_a_range_reports_the_range_length(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", method="HEAD", headers={"Range": "bytes=0-99"})
    assert (reply.status, reply.headers["content-length"], reply.body) == (206, "100", b"")


def test_missing_key_is_a_json_404(fetch: Fetch) -> None:
    reply = fetch("/media/clips/nope.m3u8")
    assert reply.status == 404
    assert b'"code": "not_found"' in reply.body


@pytest.mark.parametrize("path", ["/media/private.txt", "/media/clipsX/a.ts", "/media/other/clips/abc/seg.ts"])
def test_keys_outside_the_served_prefixes_are_refused(fetch: Fetch, path: str) -> None:
    reply = fetch(path)
    assert reply.status == 403
    assert b"outside" not in reply.body


def test_an_empty_recordings_prefix_means_every_key() -> None:
    assert served_prefixes(("",), "clips/") == ("",)


def test_every_recordings_prefix_of_a_list_is_served(data_dir: Path) -> None:
    (data_dir / "archive").mkdir()
    (data_dir / "archive" / "a.ts").write_bytes(b"old")
    (data_dir / "ivs").mkdir()
    (data_dir / "ivs" / "b.ts").write_bytes(b"new")
    prefixes = served_prefixes("ivs/, archive", "clips/")
    assert prefixes == ("ivs/", "archive/", "clips/")
    for fetch_ in _serve(FileMediaSource(data_dir), prefixes=prefixes):
        assert fetch_("/media/archive/a.ts").body == b"old"
        assert fetch_("/media/ivs/b.ts").body == b"new"
        assert fetch_("/media/private.txt").status == 403


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/clips/../../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/clips%2f..%2f..%2fsecret.txt",
        "/media//etc/passwd",
        "/media/clips/abc/..%5c..%5c..%5csecret.txt",
    ],
)
def test_traversal_is_refused(fetch: Fetch, path: str) -> None:
    reply = fetch(path)
    assert reply.status in (403, 404)
    assert b"outside" not in reply.body


def test_symlink_out_of_the_data_directory_is_refused(fetch: Fetch, data_dir: Path) -> None:
    (data_dir / "clips" / "link.txt").symlink_to(data_dir.parent / "secret.txt")
    reply = fetch("/media/clips/link.txt")
    assert reply.status == 403
    assert b"outside" not in reply.body


def test_symlinked_directory_is_refused(fetch: Fetch, data_dir: Path) -> None:
    (data_dir.parent / "elsewhere").mkdir()
    (data_dir.parent / "elsewhere" / "x.ts").write_text("outside the data directory")
    (data_dir / "clips" / "dir").symlink_to(data_dir.parent / "elsewhere")
    reply = fetch("/media/clips/dir/x.ts")
    assert reply.status == 403
    assert b"outside" not in reply.body


def test_symlink_to_a_private_file_inside_the_data_directory_is_refused(fetch: Fetch, data_dir: Path) -> None:
    (data_dir / "clips" / "alias.ts").symlink_to(data_dir / "private.txt")
    assert fetch("/media/clips/alias.ts").status == 403


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.m3u8", "application/vnd.apple.mpegurl"),
        ("a.ts", "video/mp2t"),
        ("a.mp4", "video/mp4"),
        ("a.m4s", "video/mp4"),
        ("a.aac", "audio/aac"),
        ("a.jpg", "image/jpeg"),
        ("a.json", "application/json"),
        ("a.vtt", "text/vtt"),
        ("a.bin", "application/octet-stream"),
    ],
)
def test_content_type_follows_the_extension(fetch: Fetch, data_dir: Path, name: str, content_type: str) -> None:
    (data_dir / "clips" / name).write_bytes(b"x")
    assert fetch(f"/media/clips/{name}").headers["content-type"] == content_type


def test_allowed_origin_gets_cors_headers(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Origin": ORIGIN, "Range": "bytes=0-0"})
    assert reply.headers["access-control-allow-origin"] == ORIGIN
    assert "content-range" in reply.headers["access-control-expose-headers"].lower()


def test_other_origin_gets_no_cors_headers(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", headers={"Origin": "https://elsewhere.example"})
    assert reply.status == 200
    assert "access-control-allow-origin" not in reply.headers


def test_preflight_for_a_range_request_is_allowed(fetch: Fetch) -> None:
    reply = fetch(
        f"/media/{KEY}",
        method="OPTIONS",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"},
    )
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == ORIGIN
    assert "GET" in reply.headers["access-control-allow-methods"]
    assert "range" in reply.headers["access-control-allow-headers"].lower()


def test_writes_are_a_json_405_with_allow(fetch: Fetch) -> None:
    reply = fetch(f"/media/{KEY}", method="PUT")
    assert reply.status == 405
    assert "GET" in reply.headers["allow"]
    assert b'"code": "method_not_allowed"' in reply.body


def test_range_parsing_ignores_other_units_and_reversed_bounds() -> None:
    assert parse_range("items=0-1", 100) is None
    assert parse_range("bytes=9-3", 100) is None


class DictStorage:
    """The part of :class:`Storage` that ``/media`` reads when proxying a bucket."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def get(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise NotFound(key) from None


def test_bucket_objects_are_proxied_with_ranges_cut_from_a_full_get() -> None:
    source = StorageMediaSource(DictStorage({KEY: BODY, "private.txt": b"no"}))  # type: ignore[arg-type]
    for fetch_ in _serve(source):
        reply = fetch_(f"/media/{KEY}", headers={"Range": "bytes=100-199"})
        assert (reply.status, reply.body) == (206, BODY[100:200])
        assert fetch_("/media/clips/none.ts").status == 404
        assert fetch_("/media/private.txt").status == 403


def test_with_the_default_prefixes_real_time_recordings_are_served_but_hidden_files_are_not(data_dir: Path) -> None:
    """RECORDINGS_PREFIX unset is ("ivs/", ""): Real-Time keys (<stage>/...) have no common root."""
    rt = data_dir / "stageA" / "st-1" / "p1" / "2024-01-01T12-00-55Z" / "media" / "hls"
    rt.mkdir(parents=True)
    (rt / "multivariant.m3u8").write_text("#EXTM3U\n")
    (rt / ".~storage-tmp-x").write_text("half-written")
    (data_dir / ".DS_Store").write_text("finder")
    (data_dir / "stageA" / ".git").mkdir()
    (data_dir / "stageA" / ".git" / "config").write_text("secret")
    prefixes = served_prefixes(("ivs/", ""), "clips/")
    for fetch_ in _serve(FileMediaSource(data_dir), prefixes=prefixes):
        key = "stageA/st-1/p1/2024-01-01T12-00-55Z/media/hls"
        assert fetch_(f"/media/{key}/multivariant.m3u8").body == b"#EXTM3U\n"
        for hidden in (f"{key}/.~storage-tmp-x", ".DS_Store", "stageA/.git/config", "stageA/%2egit/config"):
            reply = fetch_(f"/media/{hidden}")
            assert reply.status == 403, hidden
            assert b"secret" not in reply.body and b"finder" not in reply.body
