"""The client against the local Customer.io sandbox over real HTTP, faults included.

Every operation must end up exactly once as accepted or rejected-with-reason, and the
sandbox must hold each accepted person and event exactly once.
"""

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from ulid import ULID

from cio_sandbox.testing import SandboxHandle, running_sandbox
from resources.customerio import (
    CustomerIOAuthError,
    CustomerIORegionError,
    CustomerIOResource,
    Operation,
    Reason,
    SendResult,
)

TIMESTAMP = 1_700_000_000
FAULTS: dict[str, Any] = {
    "error_429_rate": 0.08,
    "error_500_rate": 0.06,
    "error_503_rate": 0.06,
    "drop_rate": 0.05,
    "entry_reject_rate": 0.02,
    "retry_after_s": 0,
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(seed=1) as handle:
        yield handle


@pytest.fixture
def sb(sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.configure(**{name: 0 for name in FAULTS}, latency_ms=0, app_rate_limit=10)
    sandbox.reset()
    return sandbox


def resource_for(sb: SandboxHandle, **settings: Any) -> CustomerIOResource:
    defaults: dict[str, Any] = {
        "site_id": sb.site_id,
        "api_key": sb.api_key,
        "app_api_key": sb.app_api_key,
        "track_url": sb.url,
        "app_url": sb.url,
        "max_rps": 1000.0,
        "concurrency": 4,
        "backoff_base_seconds": 0.001,
        "backoff_max_seconds": 0.01,
        "max_retries": 10,
    }
    return CustomerIOResource(**{**defaults, **settings})


def identify(i: int) -> Operation:
    return Operation(
        f"c{i}",
        {
            "type": "person",
            "identifiers": {"id": f"c{i}"},
            "action": "identify",
            "attributes": {"email": f"c{i}@example.com", "lifetime_orders": i % 17},
            "timestamp": TIMESTAMP,
        },
    )


def event_id(key: str) -> str:
    return str(ULID.from_bytes(hashlib.sha256(key.encode()).digest()[:16]))


def event(i: int) -> Operation:
    key = f"order-{i}"
    return Operation(
        key,
        {
            "type": "person",
            "identifiers": {"id": f"c{i % 500}"},
            "action": "event",
            "name": "Order Placed",
            "id": event_id(key),
            "timestamp": TIMESTAMP + i,
            "attributes": {"order_id": key, "total": 12.5},
        },
    )


def assert_each_key_once(result_keys: Counter[str], expected: set[str]) -> None:
    assert set(result_keys) == expected
    assert max(result_keys.values()) == 1


def test_credentials_and_region_check(sb: SandboxHandle) -> None:
    with resource_for(sb).track_client() as client:
        assert client.check_credentials().region == "us"
    with (
        resource_for(sb, region="eu").track_client() as client,
        pytest.raises(CustomerIORegionError),
    ):
        client.check_credentials()
    with (
        resource_for(sb, api_key="wrong-key-s3cret").track_client() as client,
        pytest.raises(CustomerIOAuthError) as raised,
    ):
        client.check_credentials()
    assert "wrong-key-s3cret" not in str(raised.value)


def test_rows_the_sandbox_refuses_map_back_to_their_exact_keys(sb: SandboxHandle) -> None:
    good = [identify(i) for i in range(10)]
    refused = [
        Operation(
            "bad-email",
            {"type": "person", "identifiers": {"email": "no-at-sign"}, "action": "identify"},
        ),
        Operation(
            "bad-ulid",
            {**event(1).entry, "id": "not-a-ulid"},
        ),
        Operation("bad-ts", {**identify(99).entry, "timestamp": 1.5}),
    ]
    operations = good[:4] + refused[:1] + good[4:7] + refused[1:] + good[7:]
    with resource_for(sb).track_client() as client:
        result = client.send(operations)
    assert result.accepted == 10
    assert {(r.key, r.reason, r.field) for r in result.rejected} == {
        ("bad-email", "invalid", "identifiers.email"),
        ("bad-ulid", "invalid", "id"),
        ("bad-ts", "invalid", "timestamp"),
    }
    assert set(sb.people()) == {f"c{i}" for i in range(10)}


def test_fault_injection_loses_and_duplicates_nothing(sb: SandboxHandle) -> None:
    sb.configure(**FAULTS)
    identifies = [identify(i) for i in range(3000)]
    events = [event(i) for i in range(3000)]
    operations = [op for pair in zip(identifies, events, strict=True) for op in pair]
    accepted: Counter[str] = Counter()
    rejected: dict[str, str] = {}
    with resource_for(sb, max_entries_per_batch=100).track_client() as client:
        for outcome in client.iter_send(operations):
            accepted.update(outcome.accepted)
            for rejection in outcome.rejected:
                assert rejection.key not in rejected
                rejected[rejection.key] = rejection.reason
    everything = {op.key for op in operations}
    assert not set(accepted) & set(rejected)
    assert_each_key_once(accepted + Counter(rejected.keys()), everything)
    assert rejected, "the sandbox was told to reject about 2% of the entries"
    assert set(rejected.values()) <= {"injected", Reason.RETRY_BUDGET_EXHAUSTED}

    faults = sb.stats()["faults_injected"]
    assert {"429", "500", "503", "drop"} <= set(faults)
    people = sb.people()
    events_stored = sb.events()
    # Events create their person too, so a person whose identify was refused may exist.
    owners = {op.entry["identifiers"]["id"] for op in events if op.key in accepted}
    assert set(people) == {key for key in accepted if key.startswith("c")} | owners
    assert all(people[key]["email"] == f"{key}@example.com" for key in accepted if key in people)
    stored_ids = [stored["id"] for stored in events_stored]
    assert len(stored_ids) == len(set(stored_ids))
    assert set(stored_ids) == {event_id(key) for key in accepted if key.startswith("order-")}
    assert sb.stats()["duplicate_events_ignored"] == 0

    # The rejected rows go again next run; without faults they all land, once.
    sb.configure(**{name: 0 for name in FAULTS})
    with resource_for(sb).track_client() as client:
        again = client.send(op for op in operations if op.key in rejected)
    assert (again.accepted, again.rejected) == (len(rejected), [])
    assert len(sb.people()) == 3000
    assert len({stored["id"] for stored in sb.events()}) == len(sb.events()) == 3000


def test_resending_acknowledged_events_creates_no_duplicates(sb: SandboxHandle) -> None:
    operations = [event(i) for i in range(200)]
    with resource_for(sb).track_client() as client:
        first = client.send(operations)
        second = client.send(operations)
    assert first.accepted == second.accepted == 200
    assert len(sb.events()) == 200
    assert sb.stats()["duplicate_events_ignored"] == 200


def test_app_read_back_stays_within_the_app_rate_limit(sb: SandboxHandle) -> None:
    resource = resource_for(sb)
    with resource.track_client() as client:
        client.send(identify(i) for i in range(250))
    with resource.app_client() as app:
        found = app.customer_attributes([f"c{i}" for i in range(250)] + ["nobody"])
    assert set(found) == {f"c{i}" for i in range(250)}
    assert found["c5"]["lifetime_orders"] == 5
    app_requests = [r for r in sb.requests() if r["path"] == "/v1/customers/attributes"]
    assert [r["status"] for r in app_requests] == [200, 200, 200]


def test_requests_stay_under_the_size_limit_and_max_rps(sb: SandboxHandle) -> None:
    operations = [
        Operation(op.key, {**op.entry, "attributes": {"note": "n" * 900, "i": i}})
        for i, op in enumerate(identify(i) for i in range(2000))
    ]
    with resource_for(sb, max_rps=20.0, concurrency=4).track_client() as client:
        result: SendResult = client.send(operations)
    assert result.accepted == 2000
    log = [r for r in sb.requests() if r["path"] == "/api/v2/batch"]
    assert max(r["bytes"] for r in log) <= 450_000
    assert sum(r["entries"] for r in log) == 2000
    span = log[-1]["time"] - log[0]["time"]
    assert len(log) - 1 <= 20.0 * span * 1.05 + 1


@pytest.mark.slow
def test_100k_identifies_with_faults_lose_and_duplicate_nothing(sb: SandboxHandle) -> None:
    sb.configure(**FAULTS)
    total = 100_000
    accepted: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    with resource_for(sb, concurrency=8).track_client() as client:
        for outcome in client.iter_send(identify(i) for i in range(total)):
            accepted.update(outcome.accepted)
            rejected.update(r.key for r in outcome.rejected)
    assert_each_key_once(accepted + rejected, {f"c{i}" for i in range(total)})
    assert set(sb.people()) == set(accepted)
    assert sb.stats()["people"] == len(accepted)


def test_person_delete_and_suppress_are_sent_and_an_entry_without_id_is_refused(
    sb: SandboxHandle,
) -> None:
    """The removals of the sync (docs/removals.md) are plain v2 person entries: the client
    packs, checks and sends any action, delete and suppress included."""

    def removal(key: str, action: str, identifiers: dict[str, str]) -> Operation:
        return Operation(key, {"type": "person", "identifiers": identifiers, "action": action})

    with resource_for(sb).track_client() as client:
        client.send([identify(1), identify(2)])
        result = client.send(
            [
                removal("c1", "delete", {"id": "c1"}),
                removal("c2", "suppress", {"id": "c2"}),
                removal("nobody", "suppress", {}),
            ]
        )

    assert result.accepted == 2
    assert [(r.key, r.reason) for r in result.rejected] == [("nobody", Reason.MISSING_IDENTIFIER)]
    assert sb.people() == {}
    assert [record["identifiers"]["id"] for record in sb.suppressions()] == ["c2"]
