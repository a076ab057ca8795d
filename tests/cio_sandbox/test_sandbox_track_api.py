"""Track API contract of the sandbox, exercised over real HTTP: auth, validation, limits,
207 partial failures, identity rules and event dedupe (customerio-api.md)."""

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from ulid import ULID

from cio_sandbox.testing import SandboxHandle, running_sandbox


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxHandle]:
    with running_sandbox() as handle:
        yield handle


@pytest.fixture
def sandbox(server: SandboxHandle) -> SandboxHandle:
    server.reset()
    return server


@pytest.fixture
def track(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, auth=sandbox.track_auth) as client:
        yield client


def identify(identifiers: dict[str, Any], **attributes: Any) -> dict[str, Any]:
    return {
        "type": "person",
        "identifiers": identifiers,
        "action": "identify",
        "attributes": attributes,
    }


def event(person_id: str, name: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "person",
        "identifiers": {"id": person_id},
        "action": "event",
        "name": name,
        **fields,
    }


def batch(client: httpx.Client, *ops: dict[str, Any]) -> httpx.Response:
    return client.post("/api/v2/batch", json={"batch": list(ops)})


def test_track_auth_is_required(sandbox: SandboxHandle) -> None:
    body = {"batch": [identify({"id": "1"}, name="a")]}
    for auth in (None, (sandbox.site_id, "wrong-key"), ("other-site", sandbox.api_key)):
        response = httpx.post(f"{sandbox.url}/api/v2/batch", json=body, auth=auth)
        assert response.status_code == 401
    assert httpx.get(f"{sandbox.url}/api/v1/accounts/region").status_code == 401
    assert sandbox.people() == {}
    assert sandbox.stats()["requests_by_status"] == {"401": 4}


def test_region_reports_base_url(track: httpx.Client, sandbox: SandboxHandle) -> None:
    response = track.get("/api/v1/accounts/region")
    assert response.status_code == 200
    assert response.json() == {"url": sandbox.url, "region": "us", "environment_id": 1}


def test_all_valid_batch_is_200_and_applied(track: httpx.Client, sandbox: SandboxHandle) -> None:
    response = batch(track, identify({"id": "1"}, plan="gold"), identify({"id": "2"}, plan="free"))
    assert response.status_code == 200
    assert response.json() == {}
    assert sandbox.people() == {"1": {"plan": "gold"}, "2": {"plan": "free"}}


def test_invalid_entries_get_207_with_index_and_valid_ones_apply(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    response = batch(
        track,
        identify({"id": "ok-1"}, n=1),
        identify({}, n=2),
        identify({"id": "x", "email": "x@example.com"}, n=3),
        identify({"id": "ok-2"}, n=4),
        identify({"customer_id": "x"}, n=5),
        {"type": "person", "action": "identify", "attributes": {}},
        identify({"phone": "555-1234"}),
        {"type": "person", "identifiers": {"id": "x"}, "action": "explode"},
        {"type": "person", "identifiers": {"id": "x"}, "action": ["identify"]},
        "not an object",
    )
    assert response.status_code == 207
    errors = response.json()["errors"]
    assert [e["batch_index"] for e in errors] == [1, 2, 4, 5, 6, 7, 8, 9]
    assert {"reason", "field", "message"} <= errors[0].keys()
    assert errors[3]["reason"] == "required"
    assert errors[3]["field"] == "identifiers"
    assert sandbox.people() == {"ok-1": {"n": 1}, "ok-2": {"n": 4}}
    stats = sandbox.stats()
    assert (stats["entries_accepted"], stats["entries_rejected"]) == (2, 8)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"data": []}', b'{"batch": {"a": 1}}', b"[]"],
    ids=["malformed", "no-batch", "batch-not-list", "not-object"],
)
def test_bad_request_is_400_and_applies_nothing(
    track: httpx.Client, sandbox: SandboxHandle, body: bytes
) -> None:
    response = track.post("/api/v2/batch", content=body)
    assert response.status_code == 400
    assert {"reason", "field", "message"} <= response.json()["errors"][0].keys()
    assert sandbox.people() == {}


def test_oversize_requests_are_400_and_apply_nothing(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    ops = [identify({"id": str(i)}, filler="x" * 900) for i in range(600)]
    body = orjson.dumps({"batch": ops})
    assert len(body) >= 500 * 1024
    assert track.post("/api/v2/batch", content=body).status_code == 400
    big_entity = orjson.dumps(identify({"id": "big"}, **{f"a{i}": "x" * 900 for i in range(40)}))
    assert len(big_entity) >= 32 * 1024
    response = track.post("/api/v2/entity", content=big_entity)
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"] == "too_large"
    assert sandbox.people() == {}


def test_entity_endpoint_applies_one_operation(track: httpx.Client, sandbox: SandboxHandle) -> None:
    assert track.post("/api/v2/entity", json=identify({"id": "e1"}, a=1)).status_code == 200
    response = track.post("/api/v2/entity", json=identify({"id": "e1", "email": "e@x.io"}))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "identifiers"
    assert sandbox.people() == {"e1": {"a": 1}}


def test_identify_merges_and_null_or_empty_removes(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    batch(track, identify({"id": "m"}, a=1, b="two", c=True, d={"nested": [1]}))
    batch(track, identify({"id": "m"}, a=2, b=None, c="", e=1.5))
    assert sandbox.people() == {"m": {"a": 2, "d": {"nested": [1]}, "e": 1.5}}


def test_update_only_never_creates(track: httpx.Client, sandbox: SandboxHandle) -> None:
    batch(track, identify({"id": "ghost"}, _update=True, a=1))
    assert sandbox.people() == {}
    batch(track, identify({"id": "real"}, a=1), identify({"id": "real"}, _update=True, a=2))
    assert sandbox.people() == {"real": {"a": 2}}


def test_older_timestamp_does_not_overwrite_newer(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    newer = {**identify({"id": "t"}, tier="gold"), "timestamp": 1_700_000_100}
    older = {**identify({"id": "t"}, tier="silver", seen=1), "timestamp": 1_700_000_000}
    assert batch(track, newer, older).status_code == 200
    assert sandbox.people() == {"t": {"tier": "gold", "seen": 1}}
    bad = {**identify({"id": "t"}, tier="x"), "timestamp": 1.5}
    assert batch(track, bad).json()["errors"][0]["field"] == "timestamp"


def test_email_identifier_matches_case_insensitively(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    batch(track, identify({"email": "Ann@Example.com"}, a=1))
    batch(track, identify({"email": "ann@example.COM"}, b=2))
    people = sandbox.people()
    assert len(people) == 1
    assert next(iter(people.values())) == {"email": "Ann@Example.com", "a": 1, "b": 2}


def test_new_id_with_known_email_takes_over_that_person(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    batch(track, identify({"email": "bob@example.com"}, a=1))
    batch(track, identify({"id": "bob-1"}, email="BOB@example.com", b=2))
    assert sandbox.people() == {"bob-1": {"email": "BOB@example.com", "a": 1, "b": 2}}


def test_email_of_another_person_is_an_update_failure(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    batch(track, identify({"id": "p1"}, email="one@example.com"), identify({"id": "p2"}, x=1))
    response = batch(track, identify({"id": "p2"}, email="one@example.com", x=2))
    assert response.status_code == 200
    assert sandbox.people() == {"p1": {"email": "one@example.com"}, "p2": {"x": 1}}
    assert sandbox.stats()["attribute_update_failures"] == 1


def _failed_changes(sandbox: SandboxHandle, person_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{sandbox.url}/v1/customers/{person_id}/activities",
        params={"type": "failed_attribute_change"},
        headers=sandbox.app_headers,
    )
    assert response.status_code == 200
    return response.json()["activities"]


def test_existing_id_with_another_persons_email_drops_the_whole_update(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    batch(track, identify({"id": "p1"}, email="one@example.com"), identify({"id": "p2"}, x=1))
    # Case and surrounding whitespace do not make it another address.
    response = batch(track, identify({"id": "p2"}, email=" ONE@Example.com\t", x=2, y=3))
    assert (response.status_code, response.json()) == (200, {})
    assert sandbox.people() == {"p1": {"email": "one@example.com"}, "p2": {"x": 1}}
    (failure,) = _failed_changes(sandbox, "p2")
    assert failure["customer_id"] == "p2"
    assert failure["data"]["field"] == "email"
    assert _failed_changes(sandbox, "p1") == []


def test_new_id_with_the_email_of_a_person_who_has_an_id_is_created_empty_and_fails(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    batch(track, identify({"id": "first"}, email="Shared@example.com", a=1))
    response = batch(track, identify({"id": "second"}, email="shared@example.com ", b=2))
    assert response.status_code == 200
    assert sandbox.people() == {"first": {"email": "Shared@example.com", "a": 1}, "second": {}}
    assert [f["data"]["field"] for f in _failed_changes(sandbox, "second")] == ["email"]
    assert _failed_changes(sandbox, "first") == []
    batch(track, identify({"id": "third"}, _update=True, email="shared@example.com"))
    assert "third" not in sandbox.people()


def test_delete_removes_person(track: httpx.Client, sandbox: SandboxHandle) -> None:
    batch(track, identify({"id": "d"}, email="d@example.com"), identify({"id": "keep"}))
    delete = {"type": "person", "identifiers": {"email": "D@example.com"}, "action": "delete"}
    assert batch(track, delete).status_code == 200
    assert sandbox.people() == {"keep": {}}
    batch(track, identify({"email": "d@example.com"}, fresh=True))
    assert sorted(sandbox.people().values(), key=len) == [
        {},
        {"email": "d@example.com", "fresh": True},
    ]


def test_events_are_stored_and_deduplicated_by_ulid(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    event_id = str(ULID())
    first = event("u1", "Order Placed", id=event_id, timestamp=1_735_689_600, attributes={"n": 1})
    again = event("u2", "Order Placed", id=event_id.lower(), attributes={"n": 2})
    anonymous = event("u1", "Order Placed")
    assert batch(track, first, again, anonymous, anonymous).status_code == 200
    events = sandbox.events()
    assert len(events) == 3
    assert events[0] | {"received_at": 0} == {
        "type": "event",
        "id": event_id,
        "name": "Order Placed",
        "person_id": "u1",
        "cio_id": events[0]["cio_id"],
        "timestamp": 1_735_689_600,
        "data": {"n": 1},
        "received_at": 0,
    }
    stats = sandbox.stats()
    assert stats["duplicate_events_ignored"] == 1
    assert stats["entries_accepted"] == 4
    assert set(sandbox.people()) == {"u1"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id": "not-a-ulid"}, "id"),
        ({"id": "81ARZ3NDEKTSV4RRFFQ69G5FAV"}, "id"),  # first character above 7 overflows
        ({"id": 12345}, "id"),
        ({"timestamp": "2025-01-01"}, "timestamp"),
        ({"attributes": [1, 2]}, "attributes"),
    ],
)
def test_invalid_events_are_rejected(
    track: httpx.Client, sandbox: SandboxHandle, fields: dict[str, Any], field: str
) -> None:
    response = batch(track, event("v", "Order Placed", **fields))
    assert response.status_code == 207
    assert response.json()["errors"][0]["field"] == field
    assert sandbox.events() == []


def test_event_name_is_required_and_limited_to_100_bytes(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    nameless = {"type": "person", "identifiers": {"id": "n"}, "action": "event"}
    response = batch(track, nameless, event("n", "e" * 100), event("n", "é" * 50 + "x"))
    assert [e["batch_index"] for e in response.json()["errors"]] == [0, 2]
    assert [e["name"] for e in sandbox.events()] == ["e" * 100]


def test_person_id_limited_to_150_bytes(track: httpx.Client, sandbox: SandboxHandle) -> None:
    response = batch(
        track, identify({"id": "i" * 150}), identify({"id": "i" * 151}), identify({"id": "é" * 76})
    )
    assert [(e["batch_index"], e["reason"]) for e in response.json()["errors"]] == [
        (1, "too_long"),
        (2, "too_long"),
    ]
    assert set(sandbox.people()) == {"i" * 150}


def test_attribute_value_limited_to_1000_bytes(track: httpx.Client, sandbox: SandboxHandle) -> None:
    response = batch(
        track,
        identify({"id": "ok"}, v="x" * 1000, w="é" * 500),
        identify({"id": "long"}, v="x" * 1001),
        identify({"id": "multibyte"}, v="é" * 501),
        identify({"id": "json"}, v=["x" * 1000]),
    )
    assert [e["batch_index"] for e in response.json()["errors"]] == [1, 2, 3]
    assert set(sandbox.people()) == {"ok"}


def test_attribute_name_limited_to_150_bytes(track: httpx.Client, sandbox: SandboxHandle) -> None:
    ok = identify({"id": "a"}, **{"n" * 150: 1})
    too_long = identify({"id": "b"}, **{"n" * 151: 1})
    assert [e["batch_index"] for e in batch(track, ok, too_long).json()["errors"]] == [1]


def test_at_most_300_attributes(track: httpx.Client, sandbox: SandboxHandle) -> None:
    three_hundred = {f"a{i}": i for i in range(300)}
    response = batch(
        track,
        identify({"id": "full"}, **three_hundred),
        identify({"id": "over"}, **three_hundred, extra=1),
        identify({"id": "full"}, one_more=1),
        identify({"id": "full"}, a0=None, one_more=1),
    )
    errors = response.json()["errors"]
    assert [(e["batch_index"], e["reason"]) for e in errors] == [(1, "too_many"), (2, "too_many")]
    assert len(sandbox.people()["full"]) == 300


def test_entry_over_32_kb_is_rejected_inside_batch(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    huge = identify({"id": "huge"}, **{f"a{i}": "x" * 999 for i in range(40)})
    response = batch(track, identify({"id": "small"}), huge)
    assert response.status_code == 207
    assert response.json()["errors"] == [
        {
            "batch_index": 1,
            "reason": "too_large",
            "field": "",
            "message": "an entry must be 32 KB or less",
        }
    ]
    assert set(sandbox.people()) == {"small"}


def test_unsupported_operations_are_named(track: httpx.Client, sandbox: SandboxHandle) -> None:
    page = {"type": "person", "identifiers": {"id": "1"}, "action": "page", "name": "/"}
    anonymous = {
        "type": "object",
        "identifiers": {"object_type_id": "1", "object_id": "o"},
        "action": "identify_anonymous",
    }
    delivery = {"type": "delivery", "identifiers": {"id": "d"}, "action": "opened"}
    errors = batch(track, page, anonymous, delivery).json()["errors"]
    assert [(e["reason"], e["field"]) for e in errors] == [
        ("unsupported", "action"),
        ("unsupported", "action"),
        ("unsupported", "type"),
    ]


def test_v1_identify_event_and_delete(track: httpx.Client, sandbox: SandboxHandle) -> None:
    assert track.put("/api/v1/customers/v1", json={"email": "v@x.io", "a": 1}).status_code == 200
    event_id = str(ULID())
    body = {"name": "Signed Up", "id": event_id, "timestamp": 1_735_689_600, "data": {"k": "v"}}
    assert track.post("/api/v1/customers/v1/events", json=body).status_code == 200
    assert track.post("/api/v1/customers/v1/events", json=body).status_code == 200
    assert sandbox.people() == {"v1": {"email": "v@x.io", "a": 1}}
    assert [(e["name"], e["data"]) for e in sandbox.events()] == [("Signed Up", {"k": "v"})]
    invalid = track.put("/api/v1/customers/v1", json={"a": "x" * 1001})
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["reason"] == "too_long"
    assert track.post("/api/v1/customers/v1/events", content=b"{").status_code == 400
    assert track.delete("/api/v1/customers/v1").status_code == 200
    assert sandbox.people() == {}


def test_request_log_records_each_request(track: httpx.Client, sandbox: SandboxHandle) -> None:
    body = orjson.dumps({"batch": [identify({"id": "1"}), identify({})]})
    track.post("/api/v2/batch", content=body)
    (record,) = sandbox.requests()
    assert record["method"] == "POST"
    assert record["path"] == "/api/v2/batch"
    assert (record["status"], record["bytes"], record["entries"]) == (207, len(body), 2)
    assert record["fault"] is None


def test_reset_forgets_everything(track: httpx.Client, sandbox: SandboxHandle) -> None:
    event_id = str(ULID())
    batch(track, identify({"id": "r"}, a=1), event("r", "E", id=event_id))
    sandbox.reset()
    assert sandbox.people() == {}
    assert sandbox.events() == []
    assert sandbox.requests() == []
    assert sandbox.stats()["requests"] == 0
    batch(track, event("r", "E", id=event_id))
    assert len(sandbox.events()) == 1


def test_html_index_lists_people_and_events(track: httpx.Client, sandbox: SandboxHandle) -> None:
    batch(track, *(identify({"id": f"h{i}"}, tag="<b>") for i in range(5)), event("h0", "Hi"))
    page = httpx.get(f"{sandbox.url}/", params={"limit": 2}).text
    assert "People (5, first 2)" in page
    assert "Events (1, latest 1)" in page
    assert "&lt;b&gt;" in page and "<b>" not in page
