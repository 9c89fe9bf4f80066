"""IVS (optional): a channel whose broadcasts are recorded into the bucket, ready to be clipped."""

from __future__ import annotations

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
