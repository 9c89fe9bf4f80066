"""Plain HTTP request/response values, so translation and media serving are testable without sockets."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as received: ``target`` is the raw request-target (path and query, still encoded)."""

    method: str
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively (``None`` when absent)."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass(slots=True)
class HttpResponse:
    """One response to write; ``Content-Length`` is added by the writer from ``body``.

    ``length`` overrides the advertised length for ``HEAD`` answers, which carry no body.
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    length: int | None = None

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively (``None`` when absent)."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)
