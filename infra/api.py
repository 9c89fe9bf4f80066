"""API: an HTTP API with one Lambda proxy route per function, throttled, logged, CORS from config."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from handlers.web import cors
from infra.config import Settings
from infra.functions import DeployedFunction
from infra.routes import Route

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latencyMs": "$context.responseLatency",
        "integrationError": "$context.integrationErrorMessage",
        # Why API Gateway itself refused or failed a request (a bad token, throttling, a mapping error).
        "authorizerError": "$context.authorizer.error",
        "error": "$context.error.message",
    },
    sort_keys=True,
)


@dataclass(frozen=True)
class Api:
    api: aws.apigatewayv2.Api
    stage: aws.apigatewayv2.Stage

    @property
    def base_url(self) -> pulumi.Output[str]:
        """The ``$default`` stage serves at the API endpoint itself, no stage in the path."""
        return self.api.api_endpoint

    def url(self, route: Route) -> pulumi.Output[str]:
        return pulumi.Output.concat(self.api.api_endpoint, route.path)


def allowed_origins(settings: Settings, extra: Sequence[pulumi.Input[str]] = ()) -> list[pulumi.Input[str]]:
    """The configured origins plus ``extra`` (the CDN's own, which serves the studio); ``*`` covers all."""
    configured: list[pulumi.Input[str]] = list(settings.cors_allow_origins)
    return configured if "*" in settings.cors_allow_origins else [*configured, *extra]


def cors_configuration(
    settings: Settings, extra_origins: Sequence[pulumi.Input[str]] = ()
) -> aws.apigatewayv2.ApiCorsConfigurationArgsDict:
    """The API policy of ``handlers/web/cors.py``, which the handlers and the local stack also follow."""
    policy = cors.api_policy(settings.cors_allow_origins)
    return {
        "allow_origins": allowed_origins(settings, extra_origins),
        "allow_methods": list(policy.allow_methods),
        "allow_headers": list(policy.allow_headers),
        "max_age": policy.max_age,
    }


def create_api(
    settings: Settings, functions: list[DeployedFunction], extra_origins: Sequence[pulumi.Input[str]] = ()
) -> Api:
    api = aws.apigatewayv2.Api(
        "clips-api",
        protocol_type="HTTP",
        description="Clip manifests of IVS recordings",
        cors_configuration=cors_configuration(settings, extra_origins),
    )
    authorizer = _jwt_authorizer(api, settings) if settings.jwt_enabled else None
    for deployed in functions:
        _route(api, deployed, authorizer if deployed.route.protected else None)

    access_logs = aws.cloudwatch.LogGroup(
        "api-access-logs",
        name=f"/{pulumi.get_project()}/{pulumi.get_stack()}/api-access",
        retention_in_days=settings.log_retention_days,
    )
    stage = aws.apigatewayv2.Stage(
        "default-stage",
        api_id=api.id,
        name="$default",
        auto_deploy=True,
        default_route_settings={
            "throttling_burst_limit": settings.throttling_burst_limit,
            "throttling_rate_limit": settings.throttling_rate_limit,
        },
        access_log_settings={"destination_arn": access_logs.arn, "format": ACCESS_LOG_FORMAT},
    )
    return Api(api=api, stage=stage)


def _jwt_authorizer(api: aws.apigatewayv2.Api, settings: Settings) -> aws.apigatewayv2.Authorizer:
    return aws.apigatewayv2.Authorizer(
        "clip-jwt",
        api_id=api.id,
        authorizer_type="JWT",
        identity_sources=["$request.header.Authorization"],
        jwt_configuration={"issuer": settings.jwt_issuer, "audiences": list(settings.jwt_audience)},
    )


def _route(
    api: aws.apigatewayv2.Api,
    deployed: DeployedFunction,
    authorizer: aws.apigatewayv2.Authorizer | None,
) -> aws.apigatewayv2.Route:
    route, function = deployed.route, deployed.function
    integration = aws.apigatewayv2.Integration(
        f"{route.name}-integration",
        api_id=api.id,
        integration_type="AWS_PROXY",
        integration_method="POST",
        integration_uri=function.invoke_arn,
        payload_format_version="2.0",
        # HTTP APIs cap integrations at 30 s, below the function's own timeout: the API answers 503 first.
        timeout_milliseconds=30_000,
    )
    # Only this route of this API may invoke this function (any stage).
    aws.lambda_.Permission(
        f"{route.name}-invoke",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(api.execution_arn, "/*/", route.method, route.path),
    )
    return aws.apigatewayv2.Route(
        f"{route.name}-route",
        api_id=api.id,
        route_key=route.key,
        target=pulumi.Output.concat("integrations/", integration.id),
        authorization_type="JWT" if authorizer else "NONE",
        authorizer_id=authorizer.id if authorizer else None,
    )
