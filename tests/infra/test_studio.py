"""The web studio: its files as bucket objects behind the CDN, its config written by the program."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from handlers.web.features import studio_features as features_for
from infra.config import Settings
from infra.export import MP4_ROUTE
from infra.routes import ROUTES
from infra.studio import studio_features, studio_files
from tests.infra import harness as h

SHIPPED = {
    "index.html": "text/html; charset=utf-8",
    "studio/index.html": "text/html; charset=utf-8",
    "studio/app.js": "text/javascript; charset=utf-8",
    "studio/api.js": "text/javascript; charset=utf-8",
    "studio/style.css": "text/css; charset=utf-8",
    "studio/vendor/hls.min.js": "text/javascript; charset=utf-8",
    "studio/vendor/hls.js.LICENSE": "text/plain; charset=utf-8",
}


def objects(stack: h.Recorded) -> dict[str, dict[str, Any]]:
    """The studio's objects (the bucket also holds the MP4 worker's archive under lambda-code/)."""
    return {o.inputs["key"]: o.inputs for o in stack.of_type(h.BUCKET_OBJECT) if not o.name.startswith("mp4export")}


def test_the_studio_files_are_uploaded_with_their_content_types(stack: h.Recorded) -> None:
    found = {key: o["contentType"] for key, o in objects(stack).items() if key != "studio/config.json"}
    assert found == SHIPPED


def test_only_page_modules_styles_and_vendor_files_are_shipped(stack: h.Recorded) -> None:
    assert not {"studio/README.md", "studio/notes/todo.txt", "README.md"} & set(objects(stack))


def test_the_studio_objects_go_to_the_media_bucket(stack: h.Recorded) -> None:
    assert {o["bucket"] for o in objects(stack).values()} == {h.bucket_name_for("media")}


def test_the_page_is_uploaded_from_the_studio_directory_twice(stack: h.Recorded) -> None:
    found = objects(stack)
    assert found["index.html"]["source"].path == found["studio/index.html"]["source"].path
    assert found["index.html"]["source"].path.endswith("index.html")


def test_the_program_writes_the_studio_config_with_the_api_and_media_urls(stack: h.Recorded) -> None:
    config = objects(stack)["studio/config.json"]
    assert config["contentType"] == "application/json"
    assert json.loads(config["content"]) == {
        "apiUrl": h.API_ENDPOINT,
        "mediaUrl": f"https://{h.CDN_DOMAIN}",
        "features": studio_features((*ROUTES, MP4_ROUTE)),
    }


def test_the_deployed_studio_offers_every_control_the_default_stack_serves(stack: h.Recorded) -> None:
    features = json.loads(objects(stack)["studio/config.json"]["content"])["features"]
    assert all(features.values()), features  # the MP4 route is deployed by default, so its button shows


def test_studio_features_are_on_only_for_deployed_routes() -> None:
    assert studio_features(()) == dict.fromkeys(
        ("clipDetails", "deleteClip", "promoteClip", "mp4Download", "clipExpiry", "liveLast30"), False
    )
    flags = studio_features(ROUTES)  # without the MP4 export
    assert flags["deleteClip"] and flags["promoteClip"] and not flags["mp4Download"]
    assert features_for({r.key for r in ROUTES}, ())["liveLast30"] is False  # the field decides, not only the route


def test_the_api_admits_the_cdn_origin_that_serves_the_studio(stack: h.Recorded) -> None:
    origins = stack.one(h.API).inputs["corsConfiguration"]["allowOrigins"]
    assert f"https://{h.CDN_DOMAIN}" in origins
    for function in stack.of_type(h.FUNCTION):
        assert f"https://{h.CDN_DOMAIN}" in function.inputs["environment"]["variables"]["CORS_ALLOW_ORIGINS"]


def test_no_studio_directory_means_no_studio(tmp_path: Path) -> None:
    assert studio_files(tmp_path, Settings()) == []
    assert studio_files(tmp_path, Settings(studio_dir="")) == []


def test_a_stack_without_studio_uploads_nothing(variants: dict[str, Any]) -> None:
    report = variants["all-options-on"]
    studio = [o for o in h.reported(report, h.BUCKET_OBJECT) if not o["name"].startswith("mp4export")]
    assert not studio and "studio_url" not in report["exports"]
