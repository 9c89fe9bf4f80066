"""The route table: API Gateway route keys, path parameters, priority, and the real modules."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from devserver.routes import ROUTES, Route, RouteKeyError, RouteTable, function_name


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 204}


def table(*keys: str) -> RouteTable:
    return RouteTable.of(Route(key, handler, "fake") for key in keys)


def test_literal_route_matches_only_its_method_and_path() -> None:
    routes = table("GET /getclips")
    assert routes.match("GET", "/getclips") is not None
    assert routes.match("POST", "/getclips") is None
    assert routes.match("GET", "/getclips/x") is None


def test_parameter_takes_one_decoded_segment() -> None:
    match = table("GET /clips/{clip_id}").match("GET", "/clips/a%2Fb")
    assert match is not None
    assert (match.route.key, match.path_parameters) == ("GET /clips/{clip_id}", {"clip_id": "a/b"})
    assert table("GET /clips/{clip_id}").match("GET", "/clips/") is None


def test_parameter_in_the_middle_of_the_path() -> None:
    match = table("POST /clips/{clip_id}/mp4").match("POST", "/clips/c1/mp4")
    assert match is not None and match.path_parameters == {"clip_id": "c1"}


def test_greedy_parameter_takes_the_rest_of_the_path() -> None:
    match = table("GET /files/{path+}").match("GET", "/files/a/b/c")
    assert match is not None and match.path_parameters == {"path": "a/b/c"}


def test_literal_route_wins_over_a_parameter_route() -> None:
    routes = table("GET /clips/{clip_id}", "GET /clips/index")
    match = routes.match("GET", "/clips/index")
    assert match is not None and match.route.key == "GET /clips/index"


def test_allowed_methods_list_every_method_of_a_path() -> None:
    routes = table("GET /clips/{clip_id}", "DELETE /clips/{clip_id}")
    assert routes.allowed_methods("/clips/x") == ("DELETE", "GET")
    assert routes.allowed_methods("/nope") == ()


@pytest.mark.parametrize("key", ["/getclips", "FETCH /x", "GET x", "GET /a/{b", "GET /{p+}/x", "GET /{1x}"])
def test_invalid_route_keys_are_refused(key: str) -> None:
    with pytest.raises(RouteKeyError):
        Route(key, handler, "fake")


def test_function_name_follows_the_module() -> None:
    assert function_name("handlers.clip_manifest") == "clip-manifest"


@pytest.mark.parametrize(("key", "module"), sorted(ROUTES.items()))
def test_every_table_entry_is_a_valid_key_naming_a_module_with_make_handler(key: str, module: str) -> None:
    Route(key, handler, "fake")
    assert callable(importlib.import_module(module).make_handler)
