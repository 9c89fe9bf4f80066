"""IVS (optional): a channel whose broadcasts are recorded into the bucket, ready to be clipped, and a
Real-Time stage whose participants are recorded there too."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import Settings
from infra.storage import Storage


@dataclass(frozen=True)
class Channel:
    channel: aws.ivs.Channel
    recording: aws.ivs.RecordingConfiguration
    stream_key: pulumi.Output[str]  # secret


def create_channel(settings: Settings, storage: Storage) -> Channel:
    """IVS writes under ``ivs/v1/…`` by itself, which is why ``recordingsPrefix`` defaults to ``ivs/``."""
    recording = aws.ivs.RecordingConfiguration(
        "recording",
        destination_configuration={"s3": {"bucket_name": storage.name}},
        # Thumbnails on an interval give the clip UI something to show along the timeline.
        thumbnail_configuration={
            "recording_mode": "INTERVAL",
            "target_interval_seconds": settings.ivs_thumbnail_interval_seconds,
        },
        # A broadcaster who drops and reconnects within the window continues the same recording.
        recording_reconnect_window_seconds=settings.ivs_reconnect_window_seconds,
    )
    channel = aws.ivs.Channel(
        "channel",
        type=settings.ivs_channel_type,
        latency_mode=settings.ivs_latency_mode,
        recording_configuration_arn=recording.arn,
    )
    key = aws.ivs.get_stream_key_output(channel_arn=channel.arn)
    return Channel(channel=channel, recording=recording, stream_key=pulumi.Output.secret(key.value))


#: CloudFormation types (pulumi_aws 7.51 has no IVS stage or storage configuration resource). Property
#: names from the CloudFormation template reference: AWS::IVS::StorageConfiguration (``S3.BucketName``)
#: and AWS::IVS::Stage (``AutoParticipantRecordingConfiguration``: ``StorageConfigurationArn``,
#: ``MediaTypes``, ``RecordingReconnectWindowSeconds``); ``Ref`` of each is its ARN.
STORAGE_CONFIGURATION_TYPE = "AWS::IVS::StorageConfiguration"
STAGE_TYPE = "AWS::IVS::Stage"


@dataclass(frozen=True)
class Stage:
    """The stage, and the bucket as the functions and the bucket policy see it with the stage's prefix."""

    stack: aws.cloudformation.Stack
    arn: pulumi.Output[str]
    storage_configuration_arn: pulumi.Output[str]
    storage: Storage  # ``realtime_prefix`` set: ``<stage_id>/``


def stage_template(bucket_name: str, reconnect_window_seconds: int) -> str:
    """The CloudFormation template: a storage configuration on the bucket and a stage recording into it.

    Every participant who publishes is recorded (individual participant recording) under
    ``<stage_id>/<session_id>/<participant_id>/<timestamp>/`` at the bucket root.
    """
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "ivs-clip-manifest: an IVS Real-Time stage recording its participants into the bucket",
        "Resources": {
            "Storage": {"Type": STORAGE_CONFIGURATION_TYPE, "Properties": {"S3": {"BucketName": bucket_name}}},
            "Stage": {
                "Type": STAGE_TYPE,
                "Properties": {
                    "AutoParticipantRecordingConfiguration": {
                        "StorageConfigurationArn": {"Ref": "Storage"},
                        "MediaTypes": ["AUDIO_VIDEO"],
                        "RecordingReconnectWindowSeconds": reconnect_window_seconds,
                    }
                },
            },
        },
        "Outputs": {
            "StageArn": {"Value": {"Ref": "Stage"}},
            "StorageConfigurationArn": {"Value": {"Ref": "Storage"}},
        },
    }
    return json.dumps(template, sort_keys=True)


def stage_prefix(stage_arn: str) -> str:
    """Where IVS writes the stage's participant recordings: ``<stage_id>/`` (the ARN's last part)."""
    stage_id = stage_arn.rsplit("/", 1)[-1]
    if not stage_arn.startswith("arn:") or ":stage/" not in stage_arn or not stage_id:
        raise ValueError(f"not a stage ARN: {stage_arn!r}")
    return f"{stage_id}/"


def create_stage(settings: Settings, storage: Storage) -> Stage:
    """The stage in a CloudFormation stack; the returned ``storage`` carries its recording prefix.

    IVS modifies the bucket policy itself when the storage configuration is created; the stack's
    own bucket policy (applied after the stage, as it needs the stage id) carries an equivalent
    write grant for ``<stage_id>/*`` so that later updates do not take IVS's away.
    """
    stack = aws.cloudformation.Stack(
        "ivs-stage",
        template_body=storage.name.apply(lambda name: stage_template(name, settings.ivs_reconnect_window_seconds)),
    )
    arn = stack.outputs.apply(lambda outputs: str(outputs["StageArn"]))
    storage_arn = stack.outputs.apply(lambda outputs: str(outputs["StorageConfigurationArn"]))
    with_prefix = dataclasses.replace(storage, realtime_prefix=arn.apply(stage_prefix), realtime_writer_arn=arn)
    return Stage(stack=stack, arn=arn, storage_configuration_arn=storage_arn, storage=with_prefix)
