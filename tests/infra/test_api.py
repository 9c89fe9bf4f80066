"""API: one Lambda-proxy route per entry of infra/routes.py, the only way to invoke its function; CORS, logs."""

from __future__ import annotations

import json

from handlers.web import cors
from tests.infra import harness as h
from tests.infra.conftest import CORS_ORIGINS

ROUTE_TO_FUNCTION = {
    "POST /clipmanifest": "clipmanifest",
    "GET /getrecordings": "getrecordings",
    "GET /getclips": "getclips",
    "GET /clips/{clip_id}": "getclip",
    "DELETE /clips/{clip_id}": "deleteclip",
    "POST /clips/{clip_id}/promote": "promoteclip",
    "POST /clips/{clip_id}/mp4": "clipmp4",
}


def api_permissions(stack: h.Recorded) -> list[h.Resource]:
    return [p for p in stack.of_type(h.PERMISSION) if p.inputs["principal"] == "apigateway.amazonaws.com"]


def test_api_is_an_http_api(stack: h.Recorded) -> None:
    assert stack.one(h.API).inputs["protocolType"] == "HTTP"


def test_the_api_has_exactly_the_routes_of_the_route_table(stack: h.Recorded) -> None:
    assert {r.inputs["routeKey"] for r in stack.of_type(h.ROUTE)} == set(ROUTE_TO_FUNCTION)


def test_each_route_targets_the_integration_of_its_own_function(stack: h.Recorded) -> None:
    for route in stack.of_type(h.ROUTE):
        function = ROUTE_TO_FUNCTION[route.inputs["routeKey"]]
        assert route.inputs["target"] == f"integrations/{function}-integration-id"
        integration = stack.named(h.INTEGRATION, f"{function}-integration").inputs
        assert f":function:{function}-0a1b2c3/invocations" in integration["integrationUri"]


def test_integrations_are_lambda_proxy_with_payload_2(stack: h.Recorded) -> None:
    for integration in stack.of_type(h.INTEGRATION):
        assert integration.inputs["integrationType"] == "AWS_PROXY"
        assert integration.inputs["payloadFormatVersion"] == "2.0"


def test_invoke_permissions_are_scoped_to_each_route(stack: h.Recorded) -> None:
    sources = {p.inputs["function"]: p.inputs["sourceArn"] for p in api_permissions(stack)}
    assert sources == {
        "clipmanifest-0a1b2c3": f"{h.EXECUTION_ARN}/*/POST/clipmanifest",
        "getrecordings-0a1b2c3": f"{h.EXECUTION_ARN}/*/GET/getrecordings",
        "getclips-0a1b2c3": f"{h.EXECUTION_ARN}/*/GET/getclips",
        "getclip-0a1b2c3": f"{h.EXECUTION_ARN}/*/GET/clips/{{clip_id}}",
        "deleteclip-0a1b2c3": f"{h.EXECUTION_ARN}/*/DELETE/clips/{{clip_id}}",
        "promoteclip-0a1b2c3": f"{h.EXECUTION_ARN}/*/POST/clips/{{clip_id}}/promote",
        "clipmp4-0a1b2c3": f"{h.EXECUTION_ARN}/*/POST/clips/{{clip_id}}/mp4",
    }


def test_only_api_gateway_may_invoke_the_route_functions_and_only_the_schedule_the_sweep(stack: h.Recorded) -> None:
    by_principal = {p.inputs["function"]: p.inputs["principal"] for p in stack.of_type(h.PERMISSION)}
    assert by_principal.pop("sweepexpired-0a1b2c3") == "events.amazonaws.com"
    assert set(by_principal.values()) == {"apigateway.amazonaws.com"}
    assert {p.inputs["action"] for p in stack.of_type(h.PERMISSION)} == {"lambda:InvokeFunction"}


def test_api_cors_allows_the_configured_origins_and_the_cdn(stack: h.Recorded) -> None:
    config = stack.one(h.API).inputs["corsConfiguration"]
    assert config["allowOrigins"] == [*CORS_ORIGINS, f"https://{h.CDN_DOMAIN}"]


def test_api_cors_follows_the_shared_api_policy(stack: h.Recorded) -> None:
    config = stack.one(h.API).inputs["corsConfiguration"]
    assert config["allowMethods"] == list(cors.API_ALLOW_METHODS)
    assert config["allowHeaders"] == list(cors.API_ALLOW_HEADERS)
    assert config["maxAge"] == cors.MAX_AGE_SECONDS


def test_default_stage_deploys_automatically(stack: h.Recorded) -> None:
    stage = stack.one(h.STAGE).inputs
    assert (stage["name"], stage["autoDeploy"]) == ("$default", True)


def test_stage_throttling_comes_from_config_defaults(stack: h.Recorded) -> None:
    settings = stack.one(h.STAGE).inputs["defaultRouteSettings"]
    assert (settings["throttlingBurstLimit"], settings["throttlingRateLimit"]) == (100, 50)


def test_stage_writes_json_access_logs_to_its_log_group(stack: h.Recorded) -> None:
    logs = stack.one(h.STAGE).inputs["accessLogSettings"]
    log_group = stack.named(h.LOG_GROUP, "api-access-logs").inputs
    assert logs["destinationArn"].endswith(f":log-group:{log_group['name']}")
    assert {"requestId", "routeKey", "status"} <= set(json.loads(logs["format"]))


def test_access_logs_say_why_api_gateway_refused_a_request(stack: h.Recorded) -> None:
    """A JWT rejection or a throttled request never reaches a function: only these fields explain it."""
    values = set(json.loads(stack.one(h.STAGE).inputs["accessLogSettings"]["format"]).values())
    assert {"$context.authorizer.error", "$context.error.message", "$context.integrationErrorMessage"} <= values


def test_without_jwt_config_no_route_needs_authorization(stack: h.Recorded) -> None:
    assert not stack.of_type(h.AUTHORIZER)
    assert {r.inputs.get("authorizationType") for r in stack.of_type(h.ROUTE)} == {"NONE"}
