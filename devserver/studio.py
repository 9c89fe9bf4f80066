"""The web studio (``studio/`` at the repository root) at ``/`` and ``/studio/<file>``.

The studio is static files; what it must learn from the server is where the API and the media
are, and which of its later features this API has, so ``/studio/config.json`` is generated from the
address actually bound and from the route table (:data:`devserver.routes.ROUTES`): a feature is
announced only when every route it calls is in the table (and, for options of
``POST /clipmanifest``, when the handler accepts the field).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.wrappers import Request, Response

from devserver.errors import json_error
from devserver.media import FileMediaSource, UnsafeKey, key_from_path, serve_object
from devserver.routes import ROUTES
from handlers.storage.base import NotFound
from handlers.web.features import studio_features
from handlers.web.media_types import web_type

REPO_ROOT = Path(__file__).resolve().parents[1]
STUDIO_DIR = REPO_ROOT / "studio"


def _local_features() -> dict[str, bool]:
    return studio_features(ROUTES)


@dataclass(frozen=True, slots=True)
class StudioConfig:
    """What ``/studio/config.json`` tells the page."""

    api_url: str
    media_url: str
    #: Flag → on; by default what the local route table (``ROUTES``) and the clip handler offer.
    features: Mapping[str, bool] = field(default_factory=_local_features)

    def to_json(self) -> bytes:
        return json.dumps(
            {"apiUrl": self.api_url, "mediaUrl": self.media_url, "features": dict(self.features)}
        ).encode()


@dataclass(frozen=True, slots=True)
class Studio:
    """Serves the studio's files (no symlinks, no traversal) and its generated config."""

    config: StudioConfig
    root: Path = STUDIO_DIR

    def index(self, request: Request) -> Response:
        if not (self.root / "index.html").is_file():
            return json_error(404, f"the studio is not built yet: {self.root / 'index.html'} does not exist")
        return self.file(request, "index.html")

    def file(self, request: Request, encoded_name: str) -> Response:
        if request.method not in ("GET", "HEAD"):
            return json_error(405, f"{request.method} is not allowed here", headers={"Allow": "GET, HEAD"})
        if encoded_name == "config.json":
            response = Response(self.config.to_json(), content_type="application/json")
            response.cache_control.no_store = True
            return response
        try:
            name = key_from_path(encoded_name)
            obj = FileMediaSource(self.root).open(name)
        except (UnsafeKey, UnicodeDecodeError):
            return json_error(403, "this path cannot be served", "forbidden")
        except NotFound:
            return json_error(404, f"the studio has no file {encoded_name}")
        response = serve_object(request, obj, web_type(name))
        response.cache_control.no_cache = True  # always revalidate: the files change while developing
        return response


def favicon(request: Request) -> Response:
    """No icon, and no failed request in the browser console either."""
    response = Response(status=204)
    response.cache_control.max_age = 86400
    return response
