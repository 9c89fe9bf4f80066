"""The local stack serves the lifecycle routes and runs the expiry sweep as a background job."""

from __future__ import annotations

from typing import Any

from devserver.__main__ import background_jobs
from devserver.routes import load_routes
from tests.support.api import LambdaContext, decode, http_event
from tests.support.lifecycle import LifecycleApi, clip_keys, seed_media


def test_the_route_table_sends_the_lifecycle_routes_to_their_handlers(file_storage: Any) -> None:
    seed_media(file_storage)
    api = LifecycleApi(file_storage)
    clip_id = api.create().body["clip_id"]
    table = load_routes(api.settings, file_storage)
    for method, path, status in [
        ("GET", f"/clips/{clip_id}", 200),
        ("POST", f"/clips/{clip_id}/promote", 200),
        ("DELETE", f"/clips/{clip_id}", 204),
        ("GET", f"/clips/{clip_id}", 404),
    ]:
        match = table.match(method, path)
        assert match is not None, (method, path)
        event = {**http_event(method, path), "pathParameters": match.path_parameters}
        assert decode(match.route.handler(event, LambdaContext())).status == status, (method, path)


def test_the_sweep_is_a_periodic_job_that_removes_expired_clips(file_storage: Any) -> None:
    seed_media(file_storage)
    api = LifecycleApi(file_storage)
    api.clock._now = api.clock().replace(year=2020)  # so the real clock of the job sees it expired
    clip_id = api.create(expires_at="2020-01-01T01:00:00Z").body["clip_id"]
    [job] = background_jobs(api.settings, file_storage)
    assert job.name == "sweep-expired" and job.run_now
    job.job()
    assert clip_keys(file_storage, clip_id) == []
