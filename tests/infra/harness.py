"""Runs the Pulumi program on mocks and records what it declared: resources, invokes and exports.

Shared by the in-process session fixture (conftest.py) and the subprocess runner (run_program.py)
used for other configurations: Pulumi's runtime state is global, so one process runs one config.
Importing this module has no side effect; :func:`install` must run before the program is loaded.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.settings import get_root_resource

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "ivs-clip-manifest"
ACCOUNT = "123456789012"
REGION = "us-east-1"
STAGE_ID = "AbCdEfGh1234"
STAGE_ARN = f"arn:aws:ivs:{REGION}:{ACCOUNT}:stage/{STAGE_ID}"
API_ID = "a1b2c3d4e5"
API_ENDPOINT = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com"
EXECUTION_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}"
EVENT_BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/clips"
CDN_DOMAIN = "d111111abcdef8.cloudfront.net"
DISTRIBUTION_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/EDFDVBD6EXAMPLE"
STREAM_KEY = "sk_us-east-1_not-a-real-key"
EXISTING_BUCKET = "my-ivs-recordings"
#: An existing bucket the mocks place in another region than the stack's.
FOREIGN_BUCKET = "recordings-in-frankfurt"
FOREIGN_REGION = "eu-central-1"
#: The statement IVS Real-Time recording needs on the bucket; an existing policy must keep it.
IVS_GRANT = {
    "Sid": "AllowIvsRealTimeRecording",
    "Effect": "Allow",
    "Principal": {"Service": "ivs.amazonaws.com"},
    "Action": ["s3:PutObject", "s3:GetBucketLocation"],
    "Resource": [f"arn:aws:s3:::{EXISTING_BUCKET}", f"arn:aws:s3:::{EXISTING_BUCKET}/*"],
}
#: What the existing bucket's policy holds before the stack touches it.
EXISTING_POLICY = {"Version": "2012-10-17", "Statement": [IVS_GRANT]}


def oai_iam_arn(name: str) -> str:
    return f"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity {name}-id"


def bucket_name_for(resource_name: str) -> str:
    return f"{resource_name}-0a1b2c3"


def bucket_outputs(bucket: str) -> dict[str, str]:
    region = FOREIGN_REGION if bucket == FOREIGN_BUCKET else REGION
    return {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketRegion": region,
        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
    }


def _outputs(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What AWS would compute for the attributes the program reads (camelCase, as on the wire)."""
    if typ == "aws:s3/bucket:Bucket":
        return bucket_outputs(bucket_name_for(name))
    if typ == "aws:cloudfront/originAccessIdentity:OriginAccessIdentity":
        return {
            "iamArn": oai_iam_arn(name),
            "cloudfrontAccessIdentityPath": f"origin-access-identity/cloudfront/{name}-id",
        }
    if typ == "aws:cloudfront/distribution:Distribution":
        return {"arn": DISTRIBUTION_ARN, "domainName": CDN_DOMAIN}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return {"arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{inputs.get('name', name)}"}
    if typ == "aws:iam/role:Role":
        return {"arn": f"arn:aws:iam::{ACCOUNT}:role/{name}-0a1b2c3", "name": f"{name}-0a1b2c3"}
    if typ == "aws:lambda/function:Function":
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}-0a1b2c3"
        invoke = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
        return {"arn": arn, "invokeArn": invoke, "name": f"{name}-0a1b2c3"}
    if typ == "aws:apigatewayv2/api:Api":
        return {"apiEndpoint": API_ENDPOINT, "executionArn": EXECUTION_ARN}
    if typ == "aws:cloudwatch/eventRule:EventRule":
        return {"arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}-0a1b2c3", "name": f"{name}-0a1b2c3"}
    if typ == "aws:ivs/recordingConfiguration:RecordingConfiguration":
        return {"arn": f"arn:aws:ivs:{REGION}:{ACCOUNT}:recording-configuration/rc1"}
    if typ == "aws:cloudformation/stack:Stack":  # the IVS Real-Time stage's template outputs
        return {
            "outputs": {
                "StageArn": STAGE_ARN,
                "StorageConfigurationArn": f"arn:aws:ivs:{REGION}:{ACCOUNT}:storage-configuration/sc1",
            }
        }
    if typ == "aws:ivs/channel:Channel":
        return {
            "arn": f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/ch1",
            "ingestEndpoint": "a1b2c3.global-contribute.live-video.net",
            "playbackUrl": f"https://a1b2c3.{REGION}.playback.live-video.net/api/video/v1/ch1.m3u8",
        }
    return {}


class RecordingMocks(Mocks):
    """Answers like AWS would, and remembers every resource and invoke in order."""

    def __init__(self) -> None:
        self.resources: list[MockResourceArgs] = []
        self.calls: list[MockCallArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", {**args.inputs, **_outputs(args.typ, args.name, args.inputs)}

    def call(self, args: MockCallArgs) -> dict[str, Any]:
        self.calls.append(args)
        if args.token == "aws:s3/getBucket:getBucket":
            return {"id": args.args["bucket"], **bucket_outputs(args.args["bucket"])}
        if args.token == "aws:s3/getBucketPolicy:getBucketPolicy":
            return {"id": args.args["bucket"], "bucket": args.args["bucket"], "policy": json.dumps(EXISTING_POLICY)}
        if args.token == "aws:ivs/getStreamKey:getStreamKey":
            return {"id": "sk1", "arn": "arn:aws:ivs:::stream-key/sk1", "value": STREAM_KEY}
        return {}


@dataclass
class Recorded:
    """One run of the program: what it declared, and its exports resolved."""

    resources: list[MockResourceArgs]
    calls: list[MockCallArgs]
    exports: dict[str, Any] = field(default_factory=dict)
    secret_exports: set[str] = field(default_factory=set)
    #: Resources declared with ``retain_on_delete`` (mocks never see resource options, a transformation does).
    retained: list[str] = field(default_factory=list)
    program: ModuleType | None = None

    def of_type(self, typ: str) -> list[MockResourceArgs]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> MockResourceArgs:
        (found,) = self.of_type(typ)
        return found

    def named(self, typ: str, name: str) -> MockResourceArgs:
        (found,) = [r for r in self.of_type(typ) if r.name == name]
        return found


def fake_deps_dir() -> Path:
    """A stand-in for build/deps with a package and a stray bytecode cache that must be left out."""
    deps = Path(tempfile.mkdtemp(prefix="ivs-clip-deps-"))
    atexit.register(shutil.rmtree, deps, ignore_errors=True)
    (deps / "m3u8" / "__pycache__").mkdir(parents=True)
    (deps / "m3u8" / "__init__.py").write_text("VERSION = 'fake'\n")
    (deps / "m3u8" / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"\0stale")
    (deps / "m3u8-6.0.0.dist-info").mkdir()
    (deps / "m3u8-6.0.0.dist-info" / "METADATA").write_text("Name: m3u8\nVersion: 6.0.0\n")
    return deps


STUDIO_FILES = {
    "index.html": "<!doctype html><title>studio</title>",
    "app.js": "import './api.js';",
    "api.js": "export {};",
    "style.css": "body {}",
    "vendor/hls.min.js": "/* hls */",
    "vendor/hls.js.LICENSE": "license",
    "README.md": "not shipped",
    "notes/todo.txt": "not shipped",
}


def fake_studio_dir() -> Path:
    """A stand-in for studio/ (which another change is building): page, modules, styles, vendor, extras."""
    studio = Path(tempfile.mkdtemp(prefix="ivs-clip-studio-"))
    atexit.register(shutil.rmtree, studio, ignore_errors=True)
    for rel, text in STUDIO_FILES.items():
        (studio / rel).parent.mkdir(parents=True, exist_ok=True)
        (studio / rel).write_text(text)
    return studio


def config(values: dict[str, Any]) -> dict[str, str]:
    """Project keys as the CLI would pass them: namespaced, and every value a string."""
    flat: dict[str, str] = {"aws:region": REGION}
    for key, value in values.items():
        flat[key if ":" in key else f"{PROJECT}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return flat


def install(values: dict[str, Any], stack: str = "dev") -> RecordingMocks:
    """Config and mocks, before any resource is created (a resource made earlier is silently lost)."""
    mocks = RecordingMocks()
    pulumi.runtime.set_all_config(config(values))
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    return mocks


def _load_program() -> ModuleType:
    """By path: ``import __main__`` would give pytest's own entry point."""
    spec = importlib.util.spec_from_file_location("ivs_clip_program", ROOT / "__main__.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["ivs_clip_program"] = module
    spec.loader.exec_module(module)
    return module


def run(mocks: RecordingMocks) -> Recorded:
    """Run the program once; returns after every registration and apply has finished."""
    recorded = Recorded(resources=[], calls=[])

    @pulumi.runtime.test
    def _run() -> pulumi.Output[None]:
        mocks.resources.clear()
        mocks.calls.clear()
        root = get_root_resource()
        assert root is not None
        root.outputs.clear()

        def record_options(args: pulumi.ResourceTransformationArgs) -> None:
            if args.opts.retain_on_delete:
                recorded.retained.append(args.name)

        pulumi.runtime.register_stack_transformation(record_options)
        recorded.program = _load_program()
        exports: dict[str, pulumi.Output[Any]] = dict(root.outputs)

        async def snapshot() -> None:
            for key, output in exports.items():
                recorded.exports[key] = await output.future()
                if await output.is_secret():
                    recorded.secret_exports.add(key)

        return pulumi.Output.from_input(snapshot())

    cwd = Path.cwd()
    try:
        # The CLI runs the program in the project directory; FileAsset paths are relative to it.
        os.chdir(ROOT)
        _run()
    finally:
        os.chdir(cwd)
    recorded.resources = list(mocks.resources)
    recorded.calls = list(mocks.calls)
    return recorded


def reported(report: dict[str, Any], typ: str) -> list[dict[str, Any]]:
    """Resources of one type in a subprocess report (see run_program.py)."""
    assert "error" not in report, report.get("error")
    return [r for r in report["resources"] if r["typ"] == typ]


# Resource type tokens, named once.
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
OAI = "aws:cloudfront/originAccessIdentity:OriginAccessIdentity"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
RESPONSE_HEADERS = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
API = "aws:apigatewayv2/api:Api"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
IVS_RECORDING = "aws:ivs/recordingConfiguration:RecordingConfiguration"
IVS_CHANNEL = "aws:ivs/channel:Channel"
CFN_STACK = "aws:cloudformation/stack:Stack"
BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


def load_build_script() -> ModuleType:
    """``scripts/build_lambda.py`` as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location("build_lambda", ROOT / "scripts" / "build_lambda.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
