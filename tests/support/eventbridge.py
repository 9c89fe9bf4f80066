"""A real EventBridge bus on the moto server of :mod:`tests.support.s3`, with an SQS queue behind it.

``event_bus`` (function fixture): a fresh bus whose rule sends every ``ivs-clip-manifest`` event
to a fresh queue; ``received()`` drains the queue, so a test sees what was really delivered.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from handlers.events import SOURCE
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Endpoint


def client_on(endpoint: S3Endpoint, service: str) -> Any:
    import boto3

    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint.url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


@dataclass
class EventBus:
    name: str
    events: Any  # the boto3 EventBridge client
    sqs: Any
    queue_url: str

    def received(self, expected: int, *, polls: int = 10) -> list[dict[str, Any]]:
        """Events delivered to the queue (waits for up to ``expected`` of them)."""
        out: list[dict[str, Any]] = []
        for _ in range(polls):
            reply = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in reply.get("Messages", []):
                out.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            if len(out) >= expected:
                break
        return out


@pytest.fixture
def event_bus(s3_endpoint: S3Endpoint) -> EventBus:
    events, sqs = client_on(s3_endpoint, "events"), client_on(s3_endpoint, "sqs")
    name = f"clips-{uuid.uuid4().hex[:12]}"
    events.create_event_bus(Name=name)
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-clip-events", EventBusName=name, EventPattern=json.dumps({"source": [SOURCE]}))
    events.put_targets(Rule="all-clip-events", EventBusName=name, Targets=[{"Id": "queue", "Arn": arn}])
    return EventBus(name, events, sqs, queue_url)
