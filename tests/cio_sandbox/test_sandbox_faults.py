"""Fault injection, latency, runtime config, state persistence and the lifecycle of
``running_sandbox``: what client retry and benchmark tests rely on."""

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from ulid import ULID

from cio_sandbox.config import SandboxConfig
from cio_sandbox.testing import SandboxHandle, running_sandbox

DEFAULTS = SandboxConfig().as_dict()


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxHandle]:
    with running_sandbox() as handle:
        yield handle


@pytest.fixture
def sandbox(server: SandboxHandle) -> SandboxHandle:
    server.configure(**DEFAULTS)
    server.reset()
    return server


@pytest.fixture
def track(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, auth=sandbox.track_auth) as client:
        yield client


def identify(person_id: str, **attributes: Any) -> dict[str, Any]:
    return {
        "type": "person",
        "identifiers": {"id": person_id},
        "action": "identify",
        "attributes": attributes,
    }


def statuses(track: httpx.Client, count: int) -> list[int]:
    return [
        track.post("/api/v2/entity", json=identify(f"p{i}", n=i)).status_code for i in range(count)
    ]


def test_fault_shares_follow_config_and_faulted_requests_apply_nothing(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    sandbox.configure(seed=7, error_429_rate=0.2, error_500_rate=0.1, error_503_rate=0.1)
    seen = statuses(track, 400)
    counts = Counter(seen)
    assert 50 <= counts[429] <= 110
    assert 20 <= counts[500] <= 60
    assert 20 <= counts[503] <= 60
    assert counts[200] == 400 - counts[429] - counts[500] - counts[503]
    applied = {f"p{i}" for i, status in enumerate(seen) if status == 200}
    assert set(sandbox.people()) == applied
    stats = sandbox.stats()
    assert stats["faults_injected"] == {str(s): counts[s] for s in (429, 500, 503)}


def test_same_seed_gives_same_faults(track: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(seed=11, error_500_rate=0.3, drop_rate=0.0)
    first = statuses(track, 60)
    sandbox.reset()
    assert statuses(track, 60) == first
    assert 500 in first


def test_429_carries_retry_after(track: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(error_429_rate=1.0, retry_after_s=3)
    response = track.post("/api/v2/batch", json={"batch": [identify("a")]})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json()["errors"][0]["reason"] == "injected"
    assert sandbox.people() == {}


def test_dropped_connection_applies_nothing(track: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(drop_rate=1.0)
    body = {"batch": [identify("drop", a=1)]}
    with pytest.raises(httpx.TransportError):
        track.post("/api/v2/batch", json=body)
    assert sandbox.people() == {}
    (record,) = sandbox.requests()
    assert (record["status"], record["fault"]) == (None, "drop")
    assert sandbox.stats()["requests_by_status"] == {"dropped": 1}
    sandbox.configure(drop_rate=0.0)
    assert track.post("/api/v2/batch", json=body).status_code == 200
    assert sandbox.people() == {"drop": {"a": 1}}


def test_faults_spare_reads_and_control_endpoints(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    sandbox.configure(error_500_rate=1.0)
    assert track.get("/api/v1/accounts/region").status_code == 200
    assert sandbox.stats()["requests_by_status"] == {"200": 1}


def test_entry_rejections_are_reported_in_207(track: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(seed=3, entry_reject_rate=0.25)
    response = track.post("/api/v2/batch", json={"batch": [identify(str(i)) for i in range(400)]})
    assert response.status_code == 207
    errors = response.json()["errors"]
    assert 60 <= len(errors) <= 140
    assert {e["reason"] for e in errors} == {"injected"}
    rejected = {str(e["batch_index"]) for e in errors}
    assert set(sandbox.people()) == {str(i) for i in range(400)} - rejected


def test_latency_applies_to_every_track_request(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    sandbox.configure(latency_ms=150)
    for call in (
        lambda: track.get("/api/v1/accounts/region"),
        lambda: track.post("/api/v2/batch", json={"batch": []}),
        lambda: httpx.get(f"{sandbox.url}/api/v1/accounts/region"),
    ):
        started = time.monotonic()
        call()
        assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    sandbox.stats()
    assert time.monotonic() - started < 0.15


def test_latency_does_not_serialise_requests(sandbox: SandboxHandle) -> None:
    sandbox.configure(latency_ms=300)
    started = time.monotonic()
    with (
        httpx.Client(base_url=sandbox.url, auth=sandbox.track_auth) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        list(pool.map(lambda _: client.get("/api/v1/accounts/region"), range(8)))
    assert time.monotonic() - started < 1.0


def test_slow_responses_add_delay(track: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(slow_rate=1.0, slow_ms=200)
    started = time.monotonic()
    assert track.post("/api/v2/batch", json={"batch": [identify("s")]}).status_code == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    "changes",
    [
        {"error_429_rate": 1.5},
        {"error_429_rate": 0.6, "error_500_rate": 0.6},
        {"latency_ms": -1},
        {"seed": "abc"},
        {"no_such_option": 1},
    ],
)
def test_bad_config_is_refused(sandbox: SandboxHandle, changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        sandbox.configure(**changes)
    assert sandbox.config() == DEFAULTS


def test_bad_options_fail_before_starting() -> None:
    with pytest.raises(ValueError), running_sandbox(drop_rate=2):
        pass


def test_cli_options_and_custom_credentials() -> None:
    with running_sandbox(
        site_id="s", api_key="k", app_api_key="a", region="eu", latency_ms=5, seed=1
    ) as sandbox:
        assert sandbox.config()["latency_ms"] == 5
        assert sandbox.config()["seed"] == 1
        response = httpx.get(f"{sandbox.url}/api/v1/accounts/region", auth=("s", "k"))
        assert response.json()["region"] == "eu"
        assert (
            httpx.get(
                f"{sandbox.url}/v1/customers/x/attributes", headers={"Authorization": "Bearer a"}
            ).status_code
            == 404
        )


def test_state_file_survives_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    event_id = str(ULID())
    event = {
        "type": "person",
        "identifiers": {"id": "kept"},
        "action": "event",
        "name": "E",
        "id": event_id,
    }
    with running_sandbox(state_file=state_file) as sandbox:
        body = {"batch": [identify("kept", email="k@x.io"), event]}
        httpx.post(f"{sandbox.url}/api/v2/batch", json=body, auth=sandbox.track_auth)
    assert state_file.exists()
    with running_sandbox(state_file=state_file) as sandbox:
        assert sandbox.people() == {"kept": {"email": "k@x.io"}}
        body = {"batch": [identify("kept", a=1), event, identify("new")]}
        httpx.post(f"{sandbox.url}/api/v2/batch", json=body, auth=sandbox.track_auth)
        assert len(sandbox.events()) == 1
        assert sandbox.stats()["duplicate_events_ignored"] == 1
        people = httpx.get(f"{sandbox.url}/_sandbox/people").json()["people"]
        assert len({person["cio_id"] for person in people}) == 2


def test_server_is_stopped_even_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), running_sandbox() as sandbox:
        url = sandbox.url
        raise RuntimeError("test failed")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sandbox/stats")
