"""CI for users: the three workflows parse and have the jobs, triggers and gates the docs promise."""

from __future__ import annotations

from pathlib import Path
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


# --- Roles, concurrency, versions, the Lambda target -------------------------------------------

CURRENT_MAJORS = {
    "actions/checkout": "v5",
    "actions/setup-python": "v6",
    "aws-actions/configure-aws-credentials": "v5",
    "pulumi/actions": "v7",
}
PULUMI_JOBS = [("preview.yml", "preview"), ("deploy.yml", "up-dev"), ("deploy.yml", "up-prod")]


def all_steps() -> list[dict[str, Any]]:
    return [
        step
        for name in ("test.yml", "preview.yml", "deploy.yml")
        for job in workflow(name)["jobs"].values()
        for step in job["steps"]
    ]


def role_of(job: dict[str, Any]) -> str:
    (aws,) = steps_using(job, "aws-actions/configure-aws-credentials")
    return aws["with"]["role-to-assume"]


def test_every_action_is_pinned_to_its_current_major() -> None:
    used = {step["uses"] for step in all_steps() if "uses" in step}
    assert used == {f"{action}@{major}" for action, major in CURRENT_MAJORS.items()}


def test_previews_assume_a_read_only_role_of_their_own() -> None:
    """A pull request's code runs in the preview: it must never hold the deploy role."""
    preview = workflow("preview.yml")
    assert role_of(preview["jobs"]["preview"]) == "${{ secrets.AWS_PREVIEW_ROLE_ARN }}"
    assert "AWS_ROLE_ARN }}" not in (WORKFLOWS / "preview.yml").read_text()
    deploy = workflow("deploy.yml")["jobs"]
    assert role_of(deploy["up-dev"]) == role_of(deploy["up-prod"]) == "${{ secrets.AWS_ROLE_ARN }}"
    docs = (h.ROOT / "docs" / "deploy.md").read_text()
    assert "AWS_PREVIEW_ROLE_ARN" in docs and "ReadOnlyAccess" in docs


def test_dev_deploys_and_previews_share_one_concurrency_group_and_never_cancel() -> None:
    preview = workflow("preview.yml")["jobs"]["preview"]["concurrency"]
    up_dev = workflow("deploy.yml")["jobs"]["up-dev"]["concurrency"]
    assert preview["group"] == up_dev["group"]
    assert preview["cancel-in-progress"] is False and up_dev["cancel-in-progress"] is False


def test_the_pulumi_cli_is_pinned_to_the_sdk_version() -> None:
    pins = dict(line.split("==") for line in (h.ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    for name, job in PULUMI_JOBS:
        assert pulumi_step(workflow(name)["jobs"][job])["pulumi-version"] == pins["pulumi"], (name, job)


def test_pip_downloads_are_cached() -> None:
    installs = [
        s for s in all_steps() if s.get("uses", "").startswith("actions/setup-python@") and "cache" in s.get("with", {})
    ]
    assert len(installs) == 5  # test.yml, deploy.yml's test, and the three Pulumi jobs' program venv
    assert all(s["with"]["cache"] == "pip" for s in installs)


@pytest.mark.parametrize(("name", "job_name"), PULUMI_JOBS)
def test_deps_are_built_for_the_runtime_and_region_of_the_stack_being_deployed(name: str, job_name: str) -> None:
    """Not a fixed 3.12: the stack's lambdaRuntime picks the Python that builds build/deps."""
    job = workflow(name)["jobs"][job_name]
    stack = pulumi_step(job)["stack-name"].split("/")[-1]
    by_id = {s["id"]: s for s in job["steps"] if "id" in s}
    assert f"--stack {stack} --print-target" in by_id["target"]["run"]
    assert by_id["lambda-python"]["with"]["python-version"] == "${{ steps.target.outputs.python-version }}"
    builds = [
        s["run"] for s in job["steps"] if "build_lambda.py" in s.get("run", "") and "--print-target" not in s["run"]
    ]
    pip_python = '"${{ steps.lambda-python.outputs.python-path }}"'
    assert builds == [f".venv/bin/python scripts/build_lambda.py --stack {stack} --pip-python {pip_python}"]
    (aws,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert aws["with"]["aws-region"] == "${{ steps.target.outputs.region }}"


def test_the_build_target_comes_from_the_stack_file(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.x.yaml"
    stack_file.write_text(
        "config:\n  aws:region: eu-west-1\n"
        f"  {h.PROJECT}:lambdaRuntime: python3.13\n  {h.PROJECT}:lambdaArchitecture: x86_64\n"
    )
    assert h.load_build_script().stack_target(stack_file) == ("x86_64", "3.13", "eu-west-1")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_committed_stacks_print_their_build_target(stack: str) -> None:
    args = h.load_build_script().parse_args(["--stack", stack])
    assert (args.arch, args.python_version, args.region) == ("arm64", "3.12", "us-east-1")
