"""The studio at ``/`` and ``/studio/``, its generated config, and the favicon."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.test import Client

from devserver.app import DevApp
from devserver.routes import ROUTES, RouteTable
from devserver.studio import Studio, StudioConfig, studio_features
from tests.devserver.support import quiet_log

CONFIG = StudioConfig(api_url="http://127.0.0.1:8123", media_url="http://127.0.0.1:8123/media")


def client(root: Path) -> Client:
    return Client(DevApp(routes=RouteTable.of([]), studio=Studio(CONFIG, root), access_log=quiet_log()))


@pytest.fixture
def studio(tmp_path: Path) -> Path:
    root = tmp_path / "studio"
    (root / "vendor").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>studio</title>")
    (root / "app.js").write_text("export {};")
    (root / "style.css").write_text("body{}")
    (root / "vendor" / "hls.min.js").write_text("/* hls */")
    (tmp_path / "secret.txt").write_text("outside the studio")
    return root


def test_root_serves_the_studio_page(studio: Path) -> None:
    response = client(studio).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert b"<title>studio</title>" in response.data


def test_root_without_a_built_studio_is_a_json_404(tmp_path: Path) -> None:
    response = client(tmp_path / "missing").get("/")
    assert response.status_code == 404
    assert "not built" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/studio/app.js", "text/javascript"),
        ("/studio/style.css", "text/css"),
        ("/studio/vendor/hls.min.js", "text/javascript"),
    ],
)
def test_studio_files_are_served_with_their_types(studio: Path, path: str, content_type: str) -> None:
    response = client(studio).get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)


def test_config_json_says_where_the_api_and_media_are(studio: Path) -> None:
    response = client(studio).get("/studio/config.json")
    assert response.get_json() == {
        "apiUrl": "http://127.0.0.1:8123",
        "mediaUrl": "http://127.0.0.1:8123/media",
        "features": studio_features(ROUTES),
    }
    assert "no-store" in response.headers["cache-control"]


def test_config_features_follow_the_route_table() -> None:
    assert not any(studio_features([]).values())
    flags = studio_features(ROUTES)
    assert flags["deleteClip"] == ("DELETE /clips/{clip_id}" in ROUTES)
    assert flags["promoteClip"] == ("POST /clips/{clip_id}/promote" in ROUTES)
    assert flags["mp4Download"] == ("POST /clips/{clip_id}/mp4" in ROUTES and "GET /clips/{clip_id}" in ROUTES)
    only_create = studio_features(["POST /clipmanifest"], ["expires_at"])
    assert only_create["clipExpiry"] and not only_create["liveLast30"] and not only_create["deleteClip"]


@pytest.mark.parametrize(
    "path", ["/studio/../secret.txt", "/studio/%2e%2e/secret.txt", "/studio/vendor/..%2f..%2fsecret.txt"]
)
def test_traversal_out_of_the_studio_is_refused(studio: Path, path: str) -> None:
    response = client(studio).get(path)
    assert response.status_code in (403, 404)
    assert b"outside" not in response.data
    assert set(json.loads(response.data)) >= {"error", "code"}


def test_missing_studio_file_is_a_json_404(studio: Path) -> None:
    assert client(studio).get("/studio/nope.js").status_code == 404


def test_favicon_is_an_empty_answer_not_a_failure(studio: Path) -> None:
    assert client(studio).get("/favicon.ico").status_code == 204
