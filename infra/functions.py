"""Functions: one Lambda per route (and per scheduled job), one shared archive, one least-privilege role each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pulumi
import pulumi_aws as aws
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_monitor

from infra.archive import archive_files, asset_archive, check_dependencies
from infra.config import Settings
from infra.policies import S3Access, function_policy, lambda_assume_role
from infra.routes import JOBS, ROUTES, Area, Job, Route
from infra.storage import Storage


@dataclass(frozen=True)
class DeployedFunction:
    route: Route
    function: aws.lambda_.Function
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup


@dataclass(frozen=True)
class FunctionParts:
    function: aws.lambda_.Function
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup


@dataclass(frozen=True)
class ScheduledFunction:
    job: Job
    function: aws.lambda_.Function
    rule: aws.cloudwatch.EventRule


def s3_access(route: Route | Job, settings: Settings, stage_prefix: str = "") -> S3Access:
    """The route's areas as this stack's prefixes: each function reaches only what it declares.

    A Real-Time stage's ``<stage_id>/`` prefix is read with the recordings, never written.
    """
    prefixes: dict[Area, str] = {"recordings": settings.recordings_prefix, "clips": settings.clips_prefix}
    reads: dict[Area, tuple[str, ...]] = {
        "recordings": (settings.recordings_prefix, stage_prefix) if stage_prefix else (settings.recordings_prefix,),
        "clips": (settings.clips_prefix,),
    }
    return S3Access(
        read=tuple(p for a in route.reads for p in reads[a]),
        write=tuple(prefixes[a] for a in route.writes),
        delete=tuple(prefixes[a] for a in route.deletes),
        event_bus_arn=settings.event_bus_arn if route.publishes_events else "",
    )


def deps_dir(root: Path, settings: Settings) -> Path:
    return root / settings.lambda_deps_dir


def _under_mocks() -> bool:
    """Unit tests run the program on mock resources, which never read the archive's files."""
    return isinstance(get_monitor(), MockMonitor)


def lambda_code(root: Path, settings: Settings) -> pulumi.AssetArchive:
    """The shared archive; a real preview/up stops here if ``build/deps`` is missing or stale."""
    deps = deps_dir(root, settings)
    if not _under_mocks():
        python_version = settings.lambda_runtime.removeprefix("python")
        check_dependencies(root, deps, settings.lambda_architecture, python_version)
    return asset_archive(archive_files(root, deps))


def environment(
    settings: Settings,
    storage: Storage,
    public_base_url: pulumi.Output[str],
    cors_origins: Sequence[pulumi.Input[str]] | None = None,
) -> dict[str, pulumi.Input[str]]:
    """What the handlers read at cold start (see handlers/): where data is and what they may do."""
    origins = list(settings.cors_allow_origins) if cors_origins is None else list(cors_origins)
    return {
        "STORAGE_URL": storage.url,
        "PUBLIC_BASE_URL": public_base_url,
        "CLIPS_PREFIX": settings.clips_prefix,
        # With a stage: "ivs/,<stage_id>/" (the handlers list and clip Real-Time recordings there too).
        "RECORDINGS_PREFIX": settings.recordings_prefix
        if storage.realtime_prefix is None
        else pulumi.Output.concat(settings.recordings_prefix, ",", storage.realtime_prefix),
        "MAX_CLIP_SECONDS": str(settings.max_clip_seconds),
        "CORS_ALLOW_ORIGINS": pulumi.Output.all(*origins).apply(",".join),
        "LOG_LEVEL": settings.log_level,
        "DEFAULT_CLIP_TTL_SECONDS": str(settings.default_clip_ttl_seconds),
        "THUMBNAIL_INTERVAL_SECONDS": str(settings.ivs_thumbnail_interval_seconds),
        "EVENT_BUS_NAME": settings.event_bus_arn,
    }


def create_functions(
    settings: Settings,
    storage: Storage,
    public_base_url: pulumi.Output[str],
    code: pulumi.Archive,
    cors_origins: Sequence[pulumi.Input[str]] | None = None,
) -> list[DeployedFunction]:
    variables = environment(settings, storage, public_base_url, cors_origins)
    return [_routed(route, settings, storage, variables, code) for route in ROUTES]


def _routed(
    route: Route,
    settings: Settings,
    storage: Storage,
    variables: dict[str, pulumi.Input[str]],
    code: pulumi.Archive,
    *,
    may_invoke: pulumi.Output[str] | None = None,
) -> DeployedFunction:
    parts = _function(route, settings, storage, variables, code, may_invoke=may_invoke)
    return DeployedFunction(route=route, function=parts.function, role=parts.role, log_group=parts.log_group)


def create_jobs(
    settings: Settings,
    storage: Storage,
    public_base_url: pulumi.Output[str],
    code: pulumi.Archive,
    cors_origins: Sequence[pulumi.Input[str]] | None = None,
) -> list[ScheduledFunction]:
    """The scheduled functions (the expiry sweep), each invoked only by its own EventBridge rule."""
    variables = environment(settings, storage, public_base_url, cors_origins)
    return [_scheduled(job, settings, storage, variables, code) for job in JOBS]


def _scheduled(
    job: Job, settings: Settings, storage: Storage, variables: dict[str, pulumi.Input[str]], code: pulumi.Archive
) -> ScheduledFunction:
    deployed = _function(job, settings, storage, variables, code)
    rule = aws.cloudwatch.EventRule(
        f"{job.name}-schedule", description=f"Runs {job.handler}", schedule_expression=job.schedule
    )
    aws.lambda_.Permission(
        f"{job.name}-invoke",
        action="lambda:InvokeFunction",
        function=deployed.function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
    )
    aws.cloudwatch.EventTarget(f"{job.name}-target", rule=rule.name, arn=deployed.function.arn)
    return ScheduledFunction(job=job, function=deployed.function, rule=rule)


def _function(
    route: Route | Job,
    settings: Settings,
    storage: Storage,
    variables: dict[str, pulumi.Input[str]],
    code: pulumi.Archive,
    *,
    may_invoke: pulumi.Output[str] | None = None,
) -> FunctionParts:
    """A function with its own log group and role; ``may_invoke``: the one function it may start."""
    # Our own log group (not /aws/lambda/…): retention is set here, and the role needs no CreateLogGroup.
    log_group = aws.cloudwatch.LogGroup(
        f"{route.name}-logs",
        name=f"/{pulumi.get_project()}/{pulumi.get_stack()}/{route.name}",
        retention_in_days=settings.log_retention_days,
    )
    role = aws.iam.Role(f"{route.name}-role", assume_role_policy=lambda_assume_role())
    policy = aws.iam.RolePolicy(
        f"{route.name}-access",
        role=role.id,
        policy=pulumi.Output.all(storage.arn, log_group.arn, storage.realtime_prefix or "", may_invoke or "").apply(
            lambda arns: function_policy(
                arns[0], replace(s3_access(route, settings, arns[2]), invoke_function_arn=arns[3]), arns[1]
            )
        ),
    )
    function = aws.lambda_.Function(
        route.name,
        description=f"{route.key if isinstance(route, Route) else route.schedule} ({route.handler})",
        role=role.arn,
        runtime=settings.lambda_runtime,
        handler=route.handler,
        architectures=[settings.lambda_architecture],
        memory_size=settings.lambda_memory_mb,
        timeout=settings.lambda_timeout_seconds,
        code=code,
        environment={"variables": variables},
        logging_config={"log_format": "Text", "log_group": log_group.name},
        # Without the policy in place the first invocations would fail on S3 and on logging.
        opts=pulumi.ResourceOptions(depends_on=[policy, log_group]),
    )
    return FunctionParts(function=function, role=role, log_group=log_group)
