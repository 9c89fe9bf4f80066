"""The web studio (``studio/``), optional: static files in the bucket, served by the CDN.

The object list is built from the directory when the program runs: ``index.html``, top-level
``*.js``/``*.css`` and everything under ``vendor/``, each with its content type. The page is uploaded
twice, as ``index.html`` (the distribution's root object, so ``https://<cdn>/`` opens it) and as
``studio/index.html``; the rest go under ``studio/<path>``. ``studio/config.json`` is written by the
program and tells the page where the API and the media are, and which of its later features the
deployed API has: a flag is on only when every route it calls is among the routes deployed
(:data:`infra.routes.ROUTES`) and, for options of ``POST /clipmanifest``, the handler accepts the
field. No directory, no studio.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from handlers.web.features import studio_features as features_for
from handlers.web.media_types import web_type
from infra.config import STUDIO_PREFIX, Settings
from infra.routes import ROUTES, Route
from infra.storage import Storage

CONFIG_KEY = f"{STUDIO_PREFIX}config.json"
ROOT_KEY = "index.html"
#: Browsers revalidate after a minute; the CDN keeps them as briefly as playlists.
CACHE_CONTROL = "public, max-age=60"


@dataclass(frozen=True)
class StudioFile:
    key: str
    path: Path
    content_type: str


def content_type(path: Path) -> str:
    return web_type(path.name)


def _wanted(relative: Path) -> bool:
    if relative.parts[0] == "vendor":
        return not relative.name.startswith(".")
    return len(relative.parts) == 1 and (relative.name == ROOT_KEY or relative.suffix in {".js", ".css"})


def studio_files(root: Path, settings: Settings) -> list[StudioFile]:
    """Sorted by key; empty when ``studioDir`` is empty or the directory (or its page) is missing."""
    if not settings.studio_dir:
        return []
    directory = root / settings.studio_dir
    if not (directory / ROOT_KEY).is_file():
        return []
    files = [
        StudioFile(f"{STUDIO_PREFIX}{path.relative_to(directory).as_posix()}", path, content_type(path))
        for path in directory.rglob("*")
        if path.is_file() and not path.is_symlink() and _wanted(path.relative_to(directory))
    ]
    files.append(StudioFile(ROOT_KEY, directory / ROOT_KEY, content_type(directory / ROOT_KEY)))
    return sorted(files, key=lambda f: f.key)


def readable_keys(files: list[StudioFile]) -> tuple[str, ...]:
    """What CloudFront must be allowed to read for the studio: its page and its prefix."""
    return (ROOT_KEY, f"{STUDIO_PREFIX}*") if files else ()


def studio_features(routes: Iterable[Route] = ROUTES) -> dict[str, bool]:
    """The flags for the routes this stack deploys (see :mod:`handlers.web.features`)."""
    return features_for({route.key for route in routes})


def studio_config(api_url: str, media_url: str, features: dict[str, bool] | None = None) -> str:
    """The page's config; ``features`` defaults to what the route table offers."""
    flags = studio_features() if features is None else features
    return json.dumps({"apiUrl": api_url, "mediaUrl": media_url, "features": flags}, sort_keys=True)


def deploy_studio(
    storage: Storage,
    files: list[StudioFile],
    api_url: pulumi.Input[str],
    media_url: pulumi.Input[str],
    routes: Iterable[Route] = ROUTES,
) -> list[aws.s3.BucketObjectv2]:
    """One object per file (paths relative to the project dir, like the Lambda archive's) and the config.

    The config announces the features of ``routes``: the routes this stack really deploys.
    """
    features = studio_features(routes)
    objects = [
        aws.s3.BucketObjectv2(
            f"studio-{file.key}",
            bucket=storage.name,
            key=file.key,
            source=pulumi.FileAsset(os.path.relpath(file.path)),
            content_type=file.content_type,
            cache_control=CACHE_CONTROL,
        )
        for file in files
    ]
    objects.append(
        aws.s3.BucketObjectv2(
            "studio-config",
            bucket=storage.name,
            key=CONFIG_KEY,
            content=pulumi.Output.all(api_url, media_url).apply(lambda urls: studio_config(urls[0], urls[1], features)),
            content_type="application/json",
            cache_control="no-store",
        )
    )
    return objects
