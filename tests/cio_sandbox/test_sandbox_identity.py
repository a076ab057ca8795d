"""Identity in the sandbox over real HTTP, as the identity-reconciliation plan relies on it:
identify by ``cio_id`` and by email, adoption of an email-only profile, the duplicate and the
conflict cases, merge, delete, and suppression that keeps an erased person from coming back."""

import time
from typing import Any

import httpx
from ulid import ULID

from cio_sandbox.testing import SandboxHandle
from tests.cio_sandbox.operations import (
    activities,
    applied,
    batch,
    create_segment,
    event,
    identify,
    merge,
    obj,
    person,
    rejected,
    relation,
)

DAY = 24 * 3600


def by_email(app: httpx.Client, email: str) -> list[dict[str, Any]]:
    response = app.get("/v1/customers", params={"email": email})
    assert response.status_code == 200
    return response.json()["results"]


def test_find_customers_by_email(track: httpx.Client, app: httpx.Client) -> None:
    applied(track, identify({"id": "c1"}, email="Ann@Example.com"), identify({"email": "bo@x.io"}))
    (ann,) = by_email(app, "ann@example.com")
    assert ann == {"email": "Ann@Example.com", "id": "c1", "cio_id": ann["cio_id"]}
    (bo,) = by_email(app, "BO@x.io")
    assert bo["id"] is None and bo["email"] == "bo@x.io"
    assert by_email(app, "nobody@x.io") == []
    assert app.get("/v1/customers").status_code == 400


def test_identify_by_cio_id_updates_and_never_creates(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"email": "legacy@x.io"}, source="form"))
    (legacy,) = by_email(app, "legacy@x.io")
    applied(
        track,
        identify({"cio_id": legacy["cio_id"]}, plan="gold", id="c7"),
        identify({"cio_id": "ffffffff"}, plan="ghost"),
    )
    assert sandbox.people() == {"c7": {"email": "legacy@x.io", "source": "form", "plan": "gold"}}
    read = app.get(f"/v1/customers/{legacy['cio_id']}/attributes", params={"id_type": "cio_id"})
    assert read.json()["customer"]["id"] == "c7"


def test_an_email_only_profile_is_adopted_by_the_first_id_that_brings_its_email(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"email": "legacy@x.io"}, source="form"))
    (before,) = by_email(app, "legacy@x.io")
    applied(track, identify({"id": "c1"}, email="LEGACY@x.io", plan="gold"))
    (after,) = by_email(app, "legacy@x.io")
    assert after == {"email": "LEGACY@x.io", "id": "c1", "cio_id": before["cio_id"]}
    assert sandbox.people() == {"c1": {"email": "LEGACY@x.io", "source": "form", "plan": "gold"}}


def test_an_id_profile_without_the_email_makes_a_duplicate_that_a_merge_resolves(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    now = int(time.time())
    applied(
        track,
        identify({"email": "legacy@x.io"}, source="form", plan="free"),
        event({"email": "legacy@x.io"}, "Signed Up", id=str(ULID()), timestamp=now - 2 * DAY),
        event({"email": "legacy@x.io"}, "Old Visit", id=str(ULID()), timestamp=now - 40 * DAY),
        identify({"id": "c1"}, plan="gold"),
    )
    # Identified by id without the email: Customer.io cannot know it is the same person.
    assert len(sandbox.people()) == 2
    vip = create_segment(app, "VIP")
    track.post(f"/api/v1/segments/{vip}/add_customers?id_type=email", json={"ids": ["legacy@x.io"]})
    applied(
        track,
        person(
            {"email": "legacy@x.io"}, "add_relationships", cio_relationships=[relation("1", "a")]
        ),
    )
    (legacy,) = by_email(app, "legacy@x.io")
    applied(track, merge({"id": "c1"}, {"email": "legacy@x.io"}))
    # The primary keeps its values, gains what it lacked (email included) and the rest.
    assert sandbox.people() == {"c1": {"plan": "gold", "email": "legacy@x.io", "source": "form"}}
    assert by_email(app, "legacy@x.io")[0]["id"] == "c1"
    assert sandbox.segments() == {"VIP": ["c1"]}
    assert sandbox.relationships() == {("c1", "1", "a"): {}}
    events = activities(app, "c1", type="event")
    assert [a["name"] for a in events] == ["Signed Up"]
    assert events[0]["customer_id"] == "c1"
    (record,) = sandbox.merges()
    assert record["secondary"] == {"cio_id": legacy["cio_id"], "id": None, "email": "legacy@x.io"}
    assert (record["events"], record["segments"], record["relationships"]) == (1, [vip], 1)
    assert record["attributes"] == ["email", "source"]
    (merged,) = activities(app, "c1", type="profile_merge")
    assert merged["data"]["cio_id"] == legacy["cio_id"]
    assert (
        app.get(
            f"/v1/customers/{legacy['cio_id']}/attributes", params={"id_type": "cio_id"}
        ).status_code
        == 404
    )


def test_an_email_owned_by_another_id_is_a_conflict_recorded_as_failed_change(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"id": "c1"}, email="ann@x.io"))
    response = batch(track, identify({"id": "c2"}, email="ann@x.io", plan="gold"))
    assert (response.status_code, response.json()) == (200, {})
    assert sandbox.people() == {"c1": {"email": "ann@x.io"}, "c2": {}}
    (failure,) = activities(app, "c2", type="failed_attribute_change")
    assert failure["data"]["field"] == "email"
    assert failure["customer_identifiers"]["id"] == "c2"


def test_merge_needs_both_people_and_is_validated(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"id": "a"}, x=1), identify({"id": "b"}, y=2))
    applied(
        track,
        merge({"id": "nobody"}, {"id": "b"}),
        merge({"id": "a"}, {"id": "nobody"}),
        merge({"id": "a"}, {"id": "a"}),
    )
    assert sandbox.people() == {"a": {"x": 1}, "b": {"y": 2}}
    assert sandbox.stats()["merges_ignored"] == 3
    response = batch(
        track,
        {"type": "person", "action": "merge", "secondary": {"id": "b"}},
        merge({"id": "a"}, {"phone": "+15555550100"}),
        merge({"id": "a", "email": "a@x.io"}, {"id": "b"}),
    )
    assert rejected(response) == [
        (0, "required", "primary"),
        (1, "invalid", "secondary.phone"),
        (2, "invalid", "primary"),
    ]
    assert track.post("/api/v1/merge_customers", json={"primary": {"id": "a"}}).status_code == 400
    assert track.post("/api/v1/merge_customers", content=b"{").status_code == 400
    v1 = track.post(
        "/api/v1/merge_customers", json={"primary": {"id": "a"}, "secondary": {"id": "b"}}
    )
    assert v1.status_code == 200
    # The secondary's id is not an attribute the primary can gain: ids do not move.
    assert sandbox.people() == {"a": {"x": 1, "y": 2}}


def test_delete_removes_the_profile_and_a_later_identify_recreates_it(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"id": "d"}, email="d@x.io", a=1))
    applied(track, person({"id": "d"}, "delete"))
    assert app.get("/v1/customers/d/attributes").status_code == 404
    applied(track, identify({"id": "d"}, b=2))
    assert sandbox.people() == {"d": {"b": 2}}


def test_a_suppressed_person_is_deleted_and_never_re_created(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(
        track,
        identify({"id": "gone"}, email="Gone@x.io", a=1),
        identify({"id": "kept"}),
        obj("1", "acme", "identify"),
    )
    applied(track, person({"id": "gone"}, "suppress"))
    assert app.get("/v1/customers/gone/attributes").status_code == 404
    # Customer.io: "Any future API calls or operations referencing the specified ID are
    # ignored" -- answered 200 (not a 207 error), nothing stored.
    response = batch(
        track,
        identify({"id": "gone"}, a=2),
        identify({"email": "gone@X.io"}, a=3),
        identify({"id": "new-id"}, email="gone@x.io"),
        identify({"id": "kept"}, id="gone"),
        event({"id": "gone"}, "Order Placed"),
        person({"id": "gone"}, "add_relationships", cio_relationships=[relation("1", "acme")]),
        obj("1", "acme", "add_relationships", cio_relationships=[{"identifiers": {"id": "gone"}}]),
    )
    assert (response.status_code, response.json()) == (200, {})
    assert sandbox.people() == {"kept": {}}
    assert sandbox.events() == []
    assert sandbox.relationships() == {}
    assert sandbox.stats()["suppressed_ignored"] == 7
    assert track.put("/api/v1/customers/gone", json={"a": 4}).status_code == 200
    assert "gone" not in sandbox.people()
    (record,) = sandbox.suppressions()
    assert record["identifiers"]["id"] == "gone"
    assert record["identifiers"]["email"] == "Gone@x.io"
    assert sorted(record["keys"])[:2] == [
        "cio_id:" + record["identifiers"]["cio_id"],
        "email:gone@x.io",
    ]


def test_unsuppress_lifts_every_identifier_but_the_profile_starts_over(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"id": "u"}, email="u@x.io", a=1))
    (before,) = by_email(app, "u@x.io")
    applied(track, person({"email": "U@x.io"}, "suppress"))
    applied(track, person({"email": "u@x.io"}, "unsuppress"))
    assert sandbox.suppressions() == []
    applied(track, identify({"id": "u"}, b=2))
    assert sandbox.people() == {"u": {"b": 2}}
    read = app.get("/v1/customers/u/attributes").json()["customer"]
    assert read["identifiers"]["cio_id"] != before["cio_id"]


def test_v1_suppress_and_unsuppress_read_the_identifier_from_its_shape(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(
        track,
        identify({"id": "p1"}),
        identify({"email": "p2@x.io"}),
        identify({"id": "p3"}),
    )
    p3 = app.get("/v1/customers/p3/attributes").json()["customer"]["identifiers"]["cio_id"]
    assert track.post("/api/v1/customers/p1/suppress").status_code == 200
    assert track.post("/api/v1/customers/p2@x.io/suppress").status_code == 200
    assert track.post(f"/api/v1/customers/cio_{p3}/suppress").status_code == 200
    assert sandbox.people() == {}
    assert len(sandbox.suppressions()) == 3
    assert track.post("/api/v1/customers/p2@x.io/unsuppress").status_code == 200
    assert [r["identifiers"].get("id") for r in sandbox.suppressions()] == ["p1", "p3"]
    assert httpx.post(f"{sandbox.url}/api/v1/customers/p1/unsuppress").status_code == 401


def test_an_identifier_nobody_has_can_be_suppressed_ahead(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, person({"id": "future"}, "suppress"))
    applied(track, identify({"id": "future"}, a=1))
    assert sandbox.people() == {}
    response = batch(track, person({"phone": "+15555550100"}, "suppress"))
    assert rejected(response) == [(0, "invalid", "identifiers.phone")]


def test_an_id_changes_only_through_cio_id_and_only_to_a_free_one(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"id": "old"}, email="p@x.io"), identify({"id": "taken"}))
    (found,) = by_email(app, "p@x.io")
    applied(track, identify({"id": "old"}, id="renamed-by-id"))
    assert set(sandbox.people()) == {"old", "taken"}
    applied(track, identify({"cio_id": found["cio_id"]}, id="new", plan="gold"))
    assert sandbox.people() == {"new": {"email": "p@x.io", "plan": "gold"}, "taken": {}}
    assert app.get("/v1/customers/old/attributes").status_code == 404
    applied(track, identify({"cio_id": found["cio_id"]}, id="taken", plan="silver"))
    assert sandbox.people()["new"] == {"email": "p@x.io", "plan": "gold"}
    fields = [a["data"]["field"] for a in activities(app, "new", type="failed_attribute_change")]
    assert fields == ["id", "id"]


def test_the_entity_endpoint_takes_the_new_operations_one_at_a_time(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(track, identify({"id": "a"}), identify({"email": "b@x.io"}, y=2))
    ok = track.post("/api/v2/entity", json=merge({"id": "a"}, {"email": "b@x.io"}))
    assert (ok.status_code, ok.json()) == (200, {})
    assert sandbox.people() == {"a": {"email": "b@x.io", "y": 2}}
    missing = track.post("/api/v2/entity", json=merge({"id": "a"}, {}))
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "secondary"
    relate = person({"id": "a"}, "add_relationships", cio_relationships=[])
    assert track.post("/api/v2/entity", json=relate).status_code == 400
    assert track.post("/api/v2/entity", json=person({"id": "a"}, "suppress")).status_code == 200
    assert sandbox.people() == {}
