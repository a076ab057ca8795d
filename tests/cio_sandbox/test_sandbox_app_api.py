"""App API of the sandbox over real HTTP: Bearer auth, attribute read-back (single and batch),
activities, and the documented 10 requests/s limit."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ulid import ULID

from cio_sandbox.testing import SandboxHandle, running_sandbox


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxHandle]:
    with running_sandbox(app_rate_limit=0) as handle:
        yield handle


@pytest.fixture
def sandbox(server: SandboxHandle) -> Iterator[SandboxHandle]:
    server.reset()
    with httpx.Client(base_url=server.url, auth=server.track_auth) as track:
        ops: list[dict[str, Any]] = [
            {
                "type": "person",
                "identifiers": {"id": f"c{i}"},
                "action": "identify",
                "attributes": {"email": f"C{i}@Example.com", "orders": i, "vip": i % 2 == 0},
            }
            for i in range(3)
        ]
        ops.append(
            {
                "type": "person",
                "identifiers": {"id": "c0"},
                "action": "event",
                "name": "Order Placed",
                "id": str(ULID()),
                "timestamp": 1_735_689_600,
                "attributes": {"total": 10},
            }
        )
        ops.append(
            {
                "type": "person",
                "identifiers": {"id": "c0"},
                "action": "identify",
                "attributes": {"orders": 5},
            }
        )
        assert track.post("/api/v2/batch", json={"batch": ops}).status_code == 200
    yield server


@pytest.fixture
def app(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers=sandbox.app_headers) as client:
        yield client


def test_app_auth_is_required(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.url}/v1/customers/c0/attributes"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(url, auth=sandbox.track_auth).status_code == 401


def test_single_customer_attributes(app: httpx.Client) -> None:
    response = app.get("/v1/customers/c0/attributes")
    assert response.status_code == 200
    customer = response.json()["customer"]
    assert customer["id"] == "c0"
    assert customer["identifiers"] == {
        "id": "c0",
        "email": "C0@Example.com",
        "cio_id": customer["identifiers"]["cio_id"],
    }
    assert customer["attributes"] == {
        "email": "C0@Example.com",
        "orders": 5,
        "vip": True,
        "id": "c0",
        "cio_id": customer["identifiers"]["cio_id"],
    }
    assert set(customer["timestamps"]) >= {"email", "orders", "vip"}


def test_lookup_by_email_and_cio_id(app: httpx.Client) -> None:
    by_email = app.get("/v1/customers/c1@example.com/attributes", params={"id_type": "email"})
    cio_id = by_email.json()["customer"]["identifiers"]["cio_id"]
    by_cio = app.get(f"/v1/customers/{cio_id}/attributes", params={"id_type": "cio_id"})
    assert by_cio.json()["customer"]["id"] == "c1"
    assert app.get("/v1/customers/c1/attributes", params={"id_type": "x"}).status_code == 400


def test_unknown_customer_is_404(app: httpx.Client) -> None:
    assert app.get("/v1/customers/nobody/attributes").status_code == 404
    assert app.get("/v1/customers/nobody/activities").status_code == 404


def test_batch_attributes_returns_known_customers(app: httpx.Client) -> None:
    response = app.post("/v1/customers/attributes", json={"ids": ["c0", "c2", "missing"]})
    assert response.status_code == 200
    customers = response.json()["customers"]
    assert [c["id"] for c in customers] == ["c0", "c2"]
    assert customers[1]["attributes"]["orders"] == 2


@pytest.mark.parametrize("body", [{"ids": []}, {"ids": [str(i) for i in range(101)]}, {}])
def test_batch_attributes_takes_1_to_100_ids(app: httpx.Client, body: dict[str, Any]) -> None:
    assert app.post("/v1/customers/attributes", json=body).status_code == 400


def test_activities_newest_first(app: httpx.Client) -> None:
    activities = app.get("/v1/customers/c0/activities").json()["activities"]
    assert [a["type"] for a in activities] == ["attribute_change", "event", "attribute_change"]
    assert activities[0]["data"] == {"attributes": {"orders": 5}}
    assert activities[1]["name"] == "Order Placed"
    assert activities[1]["timestamp"] == 1_735_689_600
    events = app.get("/v1/customers/c0/activities", params={"type": "event", "limit": 5})
    assert [a["type"] for a in events.json()["activities"]] == ["event"]


def test_activities_are_paged_with_start_and_next(app: httpx.Client) -> None:
    first = app.get("/v1/customers/c0/activities", params={"limit": 2}).json()
    assert len(first["activities"]) == 2
    assert first["next"] != ""
    rest = app.get("/v1/customers/c0/activities", params={"limit": 2, "start": first["next"]})
    assert [a["type"] for a in rest.json()["activities"]] == ["attribute_change"]
    assert rest.json()["next"] == ""
    bad = app.get("/v1/customers/c0/activities", params={"start": "x"})
    assert bad.status_code == 400


def test_failed_attribute_changes_are_listed_by_type(
    sandbox: SandboxHandle, app: httpx.Client
) -> None:
    taken = {
        "type": "person",
        "identifiers": {"id": "c1"},
        "action": "identify",
        "attributes": {"email": "c2@example.com", "orders": 99},
    }
    with httpx.Client(base_url=sandbox.url, auth=sandbox.track_auth) as track:
        assert track.post("/api/v2/batch", json={"batch": [taken]}).status_code == 200
    failed = app.get("/v1/customers/c1/activities", params={"type": "failed_attribute_change"})
    (activity,) = failed.json()["activities"]
    assert activity["type"] == "failed_attribute_change"
    assert activity["timestamp"] >= time.time() - 60
    assert app.get("/v1/customers/c1/attributes").json()["customer"]["attributes"]["orders"] == 1


def test_rate_limit_answers_429_with_retry_after(sandbox: SandboxHandle, app: httpx.Client) -> None:
    sandbox.configure(app_rate_limit=10)
    try:
        statuses = []
        started = time.monotonic()
        for _ in range(25):
            response = app.get("/v1/customers/c0/attributes")
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["Retry-After"]) >= 1
        elapsed = time.monotonic() - started
        allowed = 10 + int(elapsed * 10) + 1
        assert statuses[:10] == [200] * 10
        assert 25 - allowed <= statuses.count(429) <= 15
        time.sleep(0.25)
        assert app.get("/v1/customers/c0/attributes").status_code == 200
    finally:
        sandbox.configure(app_rate_limit=0)
