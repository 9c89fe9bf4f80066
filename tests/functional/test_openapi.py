"""openapi.yaml is a valid OpenAPI 3.1 document, and the handlers keep to it under generated input."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import positive_data_acceptance

from devserver.routes import ROUTES, load_routes
from handlers.storage.files import FileStorage
from tests.support.api import REC_ROOT, Api, seed_recording, wsgi_app
from tests.support.recordings import write_fake_participant_recording

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
_storage = FileStorage(Path(tempfile.mkdtemp(prefix="openapi-store-")))
seed_recording(_storage)
write_fake_participant_recording(_storage, started_at=datetime(2024, 5, 1, 11, 0, 5, tzinfo=UTC))
_api = Api(_storage)
#: Every route of the table infra deploys, each handler called with the event API Gateway sends.
TABLE = load_routes(_api.settings, _storage)


APP = wsgi_app(TABLE)
schema = schemathesis.openapi.from_path(SPEC)


def test_document_is_valid_openapi_3_1() -> None:
    document = yaml.safe_load(SPEC.read_text())
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_described() -> None:
    paths = yaml.safe_load(SPEC.read_text())["paths"]
    described = {
        f"{method.upper()} {path}" for path, item in paths.items() for method in item if method != "parameters"
    }
    assert described == set(ROUTES)


def test_every_error_code_the_handlers_use_is_documented() -> None:
    codes = set(yaml.safe_load(SPEC.read_text())["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    used = {
        "malformed_json",
        "invalid_body",
        "missing_field",
        "unknown_field",
        "invalid_field",
        "invalid_master_url",
        "invalid_time",
        "invalid_window",
        "invalid_option",
        "invalid_parameter",
        "invalid_cursor",
        "not_found",
        "no_byte_range",
        "method_not_allowed",
        "payload_too_large",
        "unsupported_media_type",
        "out_of_range",
        "invalid_playlist",
        "internal_error",
        "storage_unavailable",
    }
    assert used <= codes


def test_created_clip_matches_the_schema() -> None:
    body = {"master_url": f"{REC_ROOT}/master.m3u8", "start_time": 2, "end_time": 8, "title": "x"}
    case = schema["/clipmanifest"]["POST"].Case(body=body, media_type="application/json")
    response = case.call_and_validate(app=APP)
    assert response.status_code in (200, 201)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_keeps_to_its_schema(case: Any) -> None:
    case.call_and_validate(app=APP, excluded_checks=[positive_data_acceptance])


@given(
    start=st.floats(0, 130),
    length=st.floats(0.001, 130),
    boundary=st.sampled_from(["outer", "inner", "nearest"]),
    byte_range=st.booleans(),
    absolute=st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_real_windows_keep_to_the_schema(
    start: float, length: float, boundary: str, byte_range: bool, absolute: bool
) -> None:
    offset = 1_714_564_800 if absolute else 0  # 2024-05-01T12:00:00Z, the recording's start
    body = {
        "master_url": f"{REC_ROOT}/master.m3u8",
        "start_time": start + offset,
        "end_time": start + length + offset,
        "boundary": boundary,
        "byte_range": byte_range,
    }
    case = schema["/clipmanifest"]["POST"].Case(body=body, media_type="application/json")
    response = case.call_and_validate(app=APP, excluded_checks=[positive_data_acceptance])
    assert response.status_code in (200, 201, 400, 422)
