"""Activities the cohort check reads back: ``failed_event`` (injected, since Customer.io does
not document when it records one), relationship and merge activities, and the identifiers
every activity carries."""

import httpx
from ulid import ULID

from cio_sandbox.testing import SandboxHandle
from tests.cio_sandbox.operations import activities, applied, event, identify, person, relation


def test_an_injected_event_failure_is_a_200_and_a_failed_event_activity(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"id": "c1"}, email="c1@x.io"))
    sandbox.configure(event_fail_rate=1.0)
    event_id = str(ULID())
    applied(track, event({"id": "c1"}, "Order Placed", id=event_id, attributes={"total": 5}))
    v1 = track.post("/api/v1/customers/c1/events", json={"name": "Signed Up"})
    assert (v1.status_code, v1.json()) == (200, {})
    assert sandbox.events() == []
    assert sandbox.stats()["failed_events"] == 2
    failed = activities(app, "c1", type="failed_event")
    assert [a["name"] for a in failed] == ["Signed Up", "Order Placed"]
    assert failed[1]["data"]["data"] == {"total": 5}
    assert failed[1]["customer_identifiers"] == {
        "email": "c1@x.io",
        "id": "c1",
        "cio_id": failed[1]["customer_identifiers"]["cio_id"],
    }
    # The failed event's id was not taken: a retry that gets through is stored.
    sandbox.configure(event_fail_rate=0.0)
    applied(track, event({"id": "c1"}, "Order Placed", id=event_id))
    assert [e["id"] for e in sandbox.events()] == [event_id]
    assert activities(app, "c1", type="event")[0]["name"] == "Order Placed"


def test_event_failures_follow_their_rate_and_seed(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    sandbox.configure(event_fail_rate=0.25, seed=11)
    ops = [event({"id": f"p{i % 10}"}, "Viewed", id=str(ULID())) for i in range(400)]
    applied(track, *ops)
    failed = sandbox.stats()["failed_events"]
    assert 60 <= failed <= 140
    assert len(sandbox.events()) == 400 - failed


def test_relationship_activities_are_listed_newest_first(
    track: httpx.Client, app: httpx.Client
) -> None:
    applied(
        track,
        person({"id": "c1"}, "add_relationships", cio_relationships=[relation("1", "a", r=1)]),
        person({"id": "c1"}, "add_relationships", cio_relationships=[relation("1", "a", r=1)]),
        person({"id": "c1"}, "add_relationships", cio_relationships=[relation("1", "a", r=2)]),
        person({"id": "c1"}, "delete_relationships", cio_relationships=[relation("1", "a")]),
    )
    listed = activities(app, "c1")
    # An add that changes nothing records nothing.
    assert [a["type"] for a in listed] == [
        "delete_relationship",
        "relationship_attribute_change",
        "add_relationship",
    ]
    assert listed[1]["data"]["relationship_attributes"] == {"r": 2}
    assert listed[0]["data"]["object_id"] == "a"
