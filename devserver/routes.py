"""The HTTP API's routes: a table of route keys → handler modules, and API Gateway's matching.

The table is data so a new Lambda route is one more line. Route keys are API Gateway's
(``"METHOD /path"``, with ``{name}`` for one path segment and ``{name+}`` for the rest of
the path); a match yields the template as ``routeKey`` and the decoded ``pathParameters``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from handlers.config import Settings
from handlers.storage.base import Storage

LambdaHandler = Callable[[dict[str, Any], Any], Any]

#: Route key → module exposing ``make_handler(settings, storage) -> handler`` (as infra deploys them).
ROUTES: dict[str, str] = {
    "POST /clipmanifest": "handlers.clip_manifest",
    "GET /getrecordings": "handlers.get_recordings",
    "GET /getclips": "handlers.get_clips",
    "GET /clips/{clip_id}": "handlers.clip_by_id",
    "DELETE /clips/{clip_id}": "handlers.clip_by_id",
    "POST /clips/{clip_id}/promote": "handlers.promote_clip",
    "POST /clips/{clip_id}/mp4": "handlers.clip_mp4",
}

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
_PARAM = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$")


class RouteKeyError(ValueError):
    """A route key API Gateway would not accept (bad method, path or parameter)."""


@dataclass(frozen=True, slots=True)
class Route:
    """One route: its key, the Lambda behind it, and what its context object reports."""

    key: str
    handler: LambdaHandler
    function_name: str
    timeout_seconds: float = 30.0
    method: str = field(init=False)
    template: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        method, template = parse_route_key(self.key)
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "template", template)

    @property
    def specificity(self) -> tuple[int, int, int]:
        """API Gateway prefers literal segments, then ``{name}``, then a greedy ``{name+}``."""
        greedy = sum(1 for part in self.template if part.endswith("+}"))
        params = sum(1 for part in self.template if part.startswith("{"))
        return (greedy, params, -len(self.template))

    def match_path(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` (still percent-encoded) fits the template, else ``None``."""
        parts = path.lstrip("/").split("/") if path != "/" else [""]
        values: dict[str, str] = {}
        for index, part in enumerate(self.template):
            param = _PARAM.match(part)
            if param and param.group(2):  # greedy: the rest, at least one character
                rest = "/".join(parts[index:])
                if not rest:
                    return None
                values[param.group(1)] = unquote(rest)
                return values
            if index >= len(parts):
                return None
            if param:
                if not parts[index]:
                    return None
                values[param.group(1)] = unquote(parts[index])
            elif parts[index] != part:
                return None
        return values if len(parts) == len(self.template) else None


def parse_route_key(key: str) -> tuple[str, tuple[str, ...]]:
    """``"GET /clips/{clip_id}"`` → ``("GET", ("clips", "{clip_id}"))``; raises :class:`RouteKeyError`."""
    method, _, path = key.partition(" ")
    if method not in _METHODS or not path.startswith("/"):
        raise RouteKeyError(f"route key {key!r} must be 'METHOD /path'")
    template = tuple(path[1:].split("/")) if path != "/" else ("",)
    for index, part in enumerate(template):
        if "{" in part or "}" in part:
            param = _PARAM.match(part)
            if param is None:
                raise RouteKeyError(f"route key {key!r}: {part!r} is not a {{name}} parameter")
            if param.group(2) and index != len(template) - 1:
                raise RouteKeyError(f"route key {key!r}: a greedy {{name+}} must be the last segment")
    return method, template


@dataclass(frozen=True, slots=True)
class Match:
    """The route a request hit, with its path parameters (empty for literal routes)."""

    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Routes in API Gateway's priority order; answers which route a request hits."""

    routes: tuple[Route, ...]

    @classmethod
    def of(cls, routes: Iterable[Route]) -> RouteTable:
        return cls(tuple(sorted(routes, key=lambda r: r.specificity)))

    def match(self, method: str, path: str) -> Match | None:
        for route in self.routes:
            if route.method in (method, "ANY") and (params := route.match_path(path)) is not None:
                return Match(route, params)
        return None

    def allowed_methods(self, path: str) -> tuple[str, ...]:
        """Methods with a route for ``path`` (for a 405's ``Allow``); empty when no route has the path."""
        methods = {route.method for route in self.routes if route.match_path(path) is not None}
        return tuple(sorted(methods))


def function_name(module_name: str) -> str:
    """``handlers.clip_manifest`` → ``clip-manifest``, the Lambda's name as infra deploys it."""
    return module_name.rsplit(".", 1)[-1].replace("_", "-")


def load_routes(settings: Settings, storage: Storage, table: Mapping[str, str] = ROUTES) -> RouteTable:
    """Build each module's handler over one shared store, as its lazy ``handler`` does at cold start."""
    routes = []
    for key, module_name in table.items():
        module = importlib.import_module(module_name)
        routes.append(Route(key, module.make_handler(settings, storage), function_name(module_name)))
    return RouteTable.of(routes)
