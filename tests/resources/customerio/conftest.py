"""An in-process fake of Customer.io's Track and App APIs for the client's unit tests.

It speaks the contract in shared/customerio-api.md through httpx.MockTransport, so the
client runs its real HTTP code path without a socket. Scripted answers (429, 503,
exceptions) are served before the normal behaviour, one per request.
"""

import base64
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import orjson
import pytest

from resources.customerio import Operation, RetryPolicy, TrackClient

FAST_RETRY = RetryPolicy(max_retries=3, budget=100, backoff_base=0.001, backoff_max=0.002)

Scripted = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeCustomerIO:
    """Customer.io's Track API, in memory. Entries whose attributes hold ``"bad": True``
    are refused: with a 207 listing them, or with a 400 for the whole request when
    ``reject_with_400`` is set."""

    SITE_ID: ClassVar[str] = "site-123"
    API_KEY: ClassVar[str] = "track-key-s3cret-value"

    accepted_key: str = API_KEY
    region: str = "us"
    reject_with_400: bool = False
    latency: float = 0.0
    script: deque[Scripted] = field(default_factory=deque)
    bodies: list[bytes] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return len(self.request_times)

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.request_times.append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            scripted = self.script.popleft() if self.script else None
        try:
            if self.latency:
                time.sleep(self.latency)
            return self._answer(request, scripted)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer(self, request: httpx.Request, scripted: Scripted | None) -> httpx.Response:
        expected = (
            "Basic " + base64.b64encode(f"{self.SITE_ID}:{self.accepted_key}".encode()).decode()
        )
        if request.headers.get("authorization") != expected:
            return httpx.Response(401, json={"meta": {"error": "unauthorized"}})
        if isinstance(scripted, Exception):
            raise scripted
        if isinstance(scripted, httpx.Response):
            return scripted
        if scripted is not None:
            return scripted(request)
        if request.url.path == "/api/v1/accounts/region":
            return httpx.Response(
                200, json={"url": str(request.url.host), "region": self.region, "environment_id": 7}
            )
        assert request.url.path == "/api/v2/batch"
        body = request.read()
        with self.lock:
            self.bodies.append(body)
        entries = orjson.loads(body)["batch"]
        bad = [i for i, entry in enumerate(entries) if entry.get("attributes", {}).get("bad")]
        if bad and self.reject_with_400:
            error = {"reason": "invalid_attribute", "field": "attributes.bad", "message": "bad"}
            return httpx.Response(400, json={"errors": [error]})
        with self.lock:
            for i, entry in enumerate(entries):
                if i not in bad:
                    self.people.setdefault(entry["identifiers"]["id"], {}).update(
                        entry.get("attributes", {})
                    )
        if bad:
            errors = [
                {"batch_index": i, "reason": "invalid_attribute", "field": "bad", "message": "no"}
                for i in bad
            ]
            return httpx.Response(207, json={"errors": errors})
        return httpx.Response(200, json={})


@pytest.fixture
def fake() -> FakeCustomerIO:
    return FakeCustomerIO()


@pytest.fixture
def make_client(fake: FakeCustomerIO) -> Iterator[Callable[..., TrackClient]]:
    """Build TrackClients wired to the fake; closed at the end of the test."""
    clients: list[TrackClient] = []

    def build(**options: Any) -> TrackClient:
        options.setdefault("max_rps", 10_000.0)
        options.setdefault("retry", FAST_RETRY)
        client = TrackClient(
            fake.SITE_ID, fake.API_KEY, transport=httpx.MockTransport(fake.handler), **options
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def _identify(key: str, **attributes: Any) -> Operation:
    return Operation(
        key,
        {
            "type": "person",
            "identifiers": {"id": key},
            "action": "identify",
            "attributes": attributes,
            "timestamp": 1_700_000_000,
        },
    )


@pytest.fixture
def identify() -> Callable[..., Operation]:
    """``identify(key, **attributes)`` builds an identify Operation keyed and id'd by key."""
    return _identify
