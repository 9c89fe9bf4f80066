"""CI for users: the three workflows parse and have the jobs, triggers and gates the docs promise."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.infra import harness as h

WORKFLOWS = h.ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(document: dict[str, Any]) -> dict[str, Any]:
    """PyYAML reads the bare key ``on`` as the boolean True (YAML 1.1)."""
    found = document.get("on", document.get(True))
    return found if isinstance(found, dict) else dict.fromkeys(found if isinstance(found, list) else [found])


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(f"{action}@")]


def runs(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in job["steps"])


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    (step,) = steps_using(job, "pulumi/actions")
    return step["with"]


def assert_deploys_with_oidc(job: dict[str, Any], document: dict[str, Any]) -> None:
    """Credentials come from assuming a role through OIDC, and build/deps exists before Pulumi runs."""
    assert document["permissions"]["id-token"] == "write"
    (aws,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert "role-to-assume" in aws["with"] and "aws-access-key-id" not in aws["with"]
    names = [s.get("uses", s.get("run", "")) for s in job["steps"]]
    build = next(i for i, n in enumerate(names) if "scripts/build_lambda.py" in n)
    assert build < next(i for i, n in enumerate(names) if n.startswith("pulumi/actions@"))


@pytest.mark.parametrize("name", ["test.yml", "preview.yml", "deploy.yml"])
def test_workflow_is_valid_yaml_with_jobs(name: str) -> None:
    document = workflow(name)
    assert document["name"] and triggers(document) and document["jobs"]
    assert all(job["runs-on"] and job["steps"] for job in document["jobs"].values())


def test_tests_run_make_test_on_every_push_and_pull_request() -> None:
    document = workflow("test.yml")
    assert {"push", "pull_request"} <= set(triggers(document))
    assert "make test" in runs(document["jobs"]["test"])


def test_preview_runs_on_pull_requests_for_the_dev_stack_and_comments_the_diff() -> None:
    document = workflow("preview.yml")
    assert set(triggers(document)) == {"pull_request"}
    job = document["jobs"]["preview"]
    step = pulumi_step(job)
    assert step["command"] == "preview" and step["stack-name"].endswith("/dev")
    assert step["comment-on-pr"] is True
    assert document["permissions"]["pull-requests"] == "write"
    assert_deploys_with_oidc(job, document)


def test_deploy_brings_up_dev_from_main() -> None:
    document = workflow("deploy.yml")
    assert triggers(document)["push"]["branches"] == ["main"]
    job = document["jobs"]["up-dev"]
    step = pulumi_step(job)
    assert (step["command"], step["stack-name"].split("/")[-1]) == ("up", "dev")
    assert "github.event_name == 'push'" in job["if"]
    assert_deploys_with_oidc(job, document)


def test_deploy_brings_up_prod_only_by_manual_dispatch_behind_an_environment() -> None:
    document = workflow("deploy.yml")
    assert "prod" in triggers(document)["workflow_dispatch"]["inputs"]["stack"]["options"]
    job = document["jobs"]["up-prod"]
    step = pulumi_step(job)
    assert (step["command"], step["stack-name"].split("/")[-1]) == ("up", "prod")
    assert job["environment"] == "prod"
    assert "workflow_dispatch" in job["if"] and "'prod'" in job["if"]
    assert_deploys_with_oidc(job, document)


def test_deploys_wait_for_the_test_suite() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    assert "make test" in runs(jobs["test"])
    assert jobs["up-dev"]["needs"] == jobs["up-prod"]["needs"] == "test"
