"""The Pulumi program on mocks: one in-process run for the default config, subprocesses for others.

``harness.install`` runs at import time, before any test module can create a resource (a resource
created before the mocks are set is silently lost). The session stack uses the defaults, with CORS
origins set (to see config flow through), a stand-in deps tree (build/deps is never needed) and a
stand-in studio directory (the real studio/ is someone else's, and changes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import yaml

from tests.infra import harness

CORS_ORIGINS = ["https://app.example.com", "https://admin.example.com"]
SESSION_CONFIG: dict[str, Any] = {
    "corsAllowOrigins": CORS_ORIGINS,
    "lambdaDepsDir": str(harness.fake_deps_dir()),
    "studioDir": str(harness.fake_studio_dir()),
}

# Every optional part switched on at once: channel, JWT authorizer, the legacy OAI, an existing bucket
# left to its owner, x86_64, and no studio.
ALL_OPTIONS_ON: dict[str, Any] = {
    "createIvsChannel": True,
    "ivsThumbnailIntervalSeconds": 30,
    "ivsReconnectWindowSeconds": 120,
    "jwtIssuer": "https://issuer.example.com/",
    "jwtAudience": ["clips-app"],
    "originAccess": "oai",
    "existingBucketName": harness.EXISTING_BUCKET,
    "lambdaArchitecture": "x86_64",
    "corsAllowOrigins": "https://one.example.com,https://two.example.com",
    "studioDir": "",
    "eventBusArn": harness.EVENT_BUS_ARN,
    "defaultClipTtlSeconds": 604800,
}

# An existing bucket whose owner lets the stack manage its settings.
EXISTING_MANAGED: dict[str, Any] = {"existingBucketName": harness.EXISTING_BUCKET, "manageExistingBucket": True}

# The cache settings at their edges: playlists not cached at all, segments for an hour.
CACHE_EDGES: dict[str, Any] = {"playlistCacheSeconds": 0, "segmentCacheSeconds": 3600}

# An IVS Real-Time stage recording into the stack's own bucket.
IVS_STAGE: dict[str, Any] = {"createIvsStage": True}

# An existing bucket in another region than the stack's.
FOREIGN_BUCKET: dict[str, Any] = {"existingBucketName": harness.FOREIGN_BUCKET}

MOCKS = harness.install(SESSION_CONFIG)


@pytest.fixture(scope="session")
def stack() -> harness.Recorded:
    """The program run once on mocks with the session config."""
    return harness.run(MOCKS)


def stack_file_config(stack_name: str) -> dict[str, Any]:
    """A committed Pulumi.<stack>.yaml's config, as the CLI would hand it to the program."""
    document = yaml.safe_load((harness.ROOT / f"Pulumi.{stack_name}.yaml").read_text())
    return dict(document["config"])


VARIANTS: Mapping[str, dict[str, Any]] = {
    "all-options-on": ALL_OPTIONS_ON,
    "existing-managed": EXISTING_MANAGED,
    "cache-edges": CACHE_EDGES,
    "foreign-bucket": FOREIGN_BUCKET,
    "ivs-stage": IVS_STAGE,
    "stack-dev": stack_file_config("dev"),
    "stack-prod": stack_file_config("prod"),
}


def _run_variant(values: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.infra.run_program", json.dumps(values)],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if result.returncode != 0:
        return {"error": result.stderr}
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def variants() -> dict[str, dict[str, Any]]:
    """Each other config in its own process, all at once: Pulumi's runtime state is per process."""
    with ThreadPoolExecutor(max_workers=min(4, len(VARIANTS))) as pool:
        reports = dict(zip(VARIANTS, pool.map(_run_variant, VARIANTS.values()), strict=True))
    return reports
