"""The optional IVS Real-Time stage (``createIvsStage``): a CloudFormation stack with a storage
configuration on the bucket and a stage recording its participants, read and served under
``<stage_id>/`` and written there by IVS only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.ivs import STAGE_TYPE, STORAGE_CONFIGURATION_TYPE, stage_prefix, stage_template
from infra.policies import OWN_SIDS, CdnReader, IvsWriter, bucket_policy, merged_bucket_policy
from tests.infra import harness as h

Report = dict[str, Any]
BUCKET_ARN = f"arn:aws:s3:::{h.bucket_name_for('media')}"
PREFIX = f"{h.STAGE_ID}/"


@pytest.fixture(scope="module")
def staged(variants: dict[str, Report]) -> Report:
    return variants["ivs-stage"]


def _statements(policy: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(policy)["Statement"]}


def _function_policy(report: Report, function: str) -> dict[str, dict[str, Any]]:
    (found,) = [r for r in h.reported(report, h.ROLE_POLICY) if r["name"] == f"{function}-access"]
    return _statements(found["inputs"]["policy"])


def _environment(report: Report, function: str) -> dict[str, str]:
    (found,) = [r for r in h.reported(report, h.FUNCTION) if r["name"] == function]
    return dict(found["inputs"]["environment"]["variables"])


# --- off by default ---


def test_by_default_no_stage_and_no_ivs_write_grant(stack: h.Recorded) -> None:
    assert not stack.of_type(h.CFN_STACK)
    assert "ivs_stage_arn" not in stack.exports
    policy = _statements(stack.one(h.BUCKET_POLICY).inputs["policy"])
    assert "IvsRealTimeWritesRecordings" not in policy


# --- the stage ---


def test_the_stage_records_participants_into_the_stacks_bucket(staged: Report) -> None:
    (cfn,) = h.reported(staged, h.CFN_STACK)
    template = json.loads(cfn["inputs"]["templateBody"])
    resources = template["Resources"]
    assert resources["Storage"] == {
        "Type": STORAGE_CONFIGURATION_TYPE,
        "Properties": {"S3": {"BucketName": h.bucket_name_for("media")}},
    }
    recording = resources["Stage"]["Properties"]["AutoParticipantRecordingConfiguration"]
    assert resources["Stage"]["Type"] == STAGE_TYPE
    assert recording["StorageConfigurationArn"] == {"Ref": "Storage"}
    assert recording["MediaTypes"] == ["AUDIO_VIDEO"]
    assert recording["RecordingReconnectWindowSeconds"] == 60
    assert staged["exports"]["ivs_stage_arn"] == h.STAGE_ARN


def test_functions_accept_the_stages_recordings(staged: Report) -> None:
    for function in ("clipmanifest", "getrecordings"):
        assert _environment(staged, function)["RECORDINGS_PREFIX"] == f"ivs/,{PREFIX}"


def test_functions_read_the_stage_prefix_but_never_write_it(staged: Report) -> None:
    clip = _function_policy(staged, "clipmanifest")
    assert clip["ReadObjects"]["Resource"] == [
        f"{BUCKET_ARN}/ivs/*",
        f"{BUCKET_ARN}/{PREFIX}*",
        f"{BUCKET_ARN}/clips/*",
    ]
    assert clip["WriteObjects"]["Resource"] == [f"{BUCKET_ARN}/clips/*"]
    listing = _function_policy(staged, "getrecordings")
    assert listing["ReadObjects"]["Resource"] == [f"{BUCKET_ARN}/ivs/*", f"{BUCKET_ARN}/{PREFIX}*"]
    assert "WriteObjects" not in listing
    assert _function_policy(staged, "getclips")["ReadObjects"]["Resource"] == [f"{BUCKET_ARN}/clips/*"]


def test_the_mp4_export_worker_and_its_route_read_the_stage_prefix_too(staged: Report) -> None:
    expected = [f"{BUCKET_ARN}/ivs/*", f"{BUCKET_ARN}/{PREFIX}*", f"{BUCKET_ARN}/clips/*"]
    assert _function_policy(staged, "mp4export")["ReadObjects"]["Resource"] == expected
    assert _function_policy(staged, "clipmp4")["ReadObjects"]["Resource"] == expected


def test_cloudfront_serves_the_stage_prefix_and_ivs_writes_only_there(staged: Report) -> None:
    (policy,) = h.reported(staged, h.BUCKET_POLICY)
    statements = _statements(policy["inputs"]["policy"])
    assert f"{BUCKET_ARN}/{PREFIX}*" in statements["CloudFrontReadsMedia"]["Resource"]
    assert statements["IvsRealTimeWritesRecordings"] == {
        "Sid": "IvsRealTimeWritesRecordings",
        "Effect": "Allow",
        "Principal": {"Service": "ivs.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": [f"{BUCKET_ARN}/{PREFIX}*"],
        "Condition": {"StringEquals": {"aws:SourceAccount": h.ACCOUNT}},
    }


# --- the builders ---


def test_stage_prefix_is_the_arns_last_part() -> None:
    assert stage_prefix("arn:aws:ivs:us-west-2:123456789012:stage/AbCd") == "AbCd/"
    with pytest.raises(ValueError):
        stage_prefix("arn:aws:ivs:us-west-2:123456789012:channel/AbCd")


def test_the_template_names_the_bucket_it_is_given() -> None:
    template = json.loads(stage_template("my-bucket", 0))
    assert template["Resources"]["Storage"]["Properties"]["S3"]["BucketName"] == "my-bucket"
    assert set(template["Outputs"]) == {"StageArn", "StorageConfigurationArn"}


def test_a_redeploy_replaces_its_own_ivs_grant_and_keeps_the_owners() -> None:
    reader = CdnReader.identity("arn:aws:iam::cloudfront:user/x")
    writer = IvsWriter.for_stage("arn:aws:ivs:us-east-1:123456789012:stage/AbCd", "AbCd/")
    first = bucket_policy("arn:aws:s3:::b", ("ivs/",), reader, writers=(writer,))
    owners = json.loads(first)
    owners["Statement"].append({"Sid": "OwnerGrant", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"})
    again = _statements(merged_bucket_policy(json.dumps(owners), "arn:aws:s3:::b", ("ivs/",), reader, (), (writer,)))
    assert "IvsRealTimeWritesRecordings" in OWN_SIDS
    assert sorted(again) == sorted(
        ["CloudFrontReadsMedia", "IvsRealTimeWritesRecordings", "DenyInsecureTransport", "OwnerGrant"]
    )
