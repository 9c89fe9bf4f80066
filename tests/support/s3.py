"""A real S3 endpoint for tests (moto server on loopback), buckets on it, and request counting.

Fixtures:
    s3_endpoint   (session)  the running server: ``.url``, ``.client()``, ``.new_bucket()``.
    s3_client     (session)  one shared boto3 client on it (clients are slow to create).
    s3_storage    (function) an :class:`S3Storage` on a fresh, empty bucket.
    s3_requests   (function) an :class:`S3RequestCounter` attached to ``s3_client``.
    file_storage  (function) a :class:`FileStorage` in ``tmp_path``.
    any_storage   (function) parametrized: ``file`` and ``s3`` (runs the test once per store).

Nothing here touches ``os.environ``: the endpoint, region and fake credentials are passed
to each client explicitly, so other tests never see them. Nothing is mocked: requests go
over HTTP to the moto server. :func:`direct_storage` is a seeding shortcut that writes into
the server's in-process backend (same objects, ~100x faster than HTTP puts) for tests and
benchmarks that need tens of thousands of objects; the code under test still reads over HTTP.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from handlers.storage.files import FileStorage
from handlers.storage.s3 import CLIENT_CONFIG, S3Storage

REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"


@dataclass
class S3Endpoint:
    """A running moto server; :meth:`stop` shuts it down."""

    url: str
    _server: Any = field(repr=False)

    def client(self, **overrides: Any) -> Any:
        """A boto3 S3 client on this endpoint, configured like production (retries, timeouts)."""
        import boto3

        kwargs: dict[str, Any] = {
            "endpoint_url": self.url,
            "region_name": REGION,
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            "config": CLIENT_CONFIG,
        }
        kwargs.update(overrides)
        return boto3.session.Session().client("s3", **kwargs)

    def new_bucket(self, client: Any, stem: str = "test") -> str:
        """Create an empty bucket with a unique name and return the name."""
        name = f"{stem}-{uuid.uuid4().hex[:20]}"
        client.create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        self._server.stop()


def start_s3_endpoint() -> S3Endpoint:
    """Start a moto S3 server on a free loopback port (also used by the benchmarks)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    # TCP_NODELAY on the server's sockets: without it Nagle's algorithm and delayed ACKs
    # stall many responses by ~40 ms (the dev server writes headers and body separately).
    MotoRequestHandler.disable_nagle_algorithm = True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return S3Endpoint(url=f"http://{host}:{port}", _server=server)


class S3RequestCounter:
    """Counts the S3 API calls a client makes (``before-call`` fires once per call, not per retry).

    Use as a context manager or call :meth:`attach` / :meth:`detach`. Thread-safe, since the
    listing reads recordings from a thread pool.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.by_operation: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._attached = False

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.by_operation.values())

    def reset(self) -> None:
        with self._lock:
            self.by_operation.clear()

    def _on_call(self, model: Any = None, **_: Any) -> None:
        with self._lock:
            self.by_operation[getattr(model, "name", "?")] += 1

    def attach(self) -> S3RequestCounter:
        if not self._attached:
            self.client.meta.events.register("before-call.s3.*", self._on_call, unique_id=f"count-{id(self)}")
            self._attached = True
        return self

    def detach(self) -> None:
        if self._attached:
            self.client.meta.events.unregister("before-call.s3.*", unique_id=f"count-{id(self)}")
            self._attached = False

    def __enter__(self) -> S3RequestCounter:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()


@contextmanager
def count_s3_requests(client: Any) -> Iterator[S3RequestCounter]:
    """``with count_s3_requests(client) as n: ...; n.total`` counts the calls made inside."""
    with S3RequestCounter(client) as counter:
        yield counter


class DirectS3Seeder:
    """A write-only Storage that puts objects straight into the moto server's backend.

    Only for filling buckets quickly with test data (no HTTP, no signing); read back through
    a real client. Works because :class:`ThreadedMotoServer` runs in this process.
    """

    def __init__(self, bucket: str) -> None:
        from moto.backends import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID

        self.bucket = bucket
        self._backend = get_backend("s3")[DEFAULT_ACCOUNT_ID]["global"]

    def put(self, key: str, body: bytes, content_type: str, *, if_absent: bool = False) -> bool:
        if if_absent and self._backend.get_object(self.bucket, key) is not None:
            return False
        stored = self._backend.put_object(self.bucket, key, body)
        stored.set_metadata({"Content-Type": content_type})
        return True


def direct_storage(bucket: str) -> DirectS3Seeder:
    """A fast seeding writer for ``bucket`` on the in-process moto server (see module doc)."""
    return DirectS3Seeder(bucket)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    endpoint = start_s3_endpoint()
    yield endpoint
    endpoint.stop()


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: S3Endpoint) -> Any:
    return s3_endpoint.client()


@pytest.fixture
def s3_storage(s3_endpoint: S3Endpoint, s3_client: Any) -> S3Storage:
    return S3Storage(s3_endpoint.new_bucket(s3_client), client=s3_client)


@pytest.fixture
def s3_requests(s3_client: Any) -> Iterator[S3RequestCounter]:
    with S3RequestCounter(s3_client) as counter:
        yield counter


@pytest.fixture
def file_storage(tmp_path: Path) -> FileStorage:
    return FileStorage(tmp_path / "store")


@pytest.fixture(params=["file", "s3"])
def any_storage(request: pytest.FixtureRequest) -> FileStorage | S3Storage:
    """Each storage the service supports; tests using it run once per kind."""
    if request.param == "file":
        return request.getfixturevalue("file_storage")
    return request.getfixturevalue("s3_storage")
