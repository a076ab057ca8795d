"""Objects and relationships in the sandbox over real HTTP: v2 object identify and delete,
person- and object-side add/delete_relationships, ``cio_relationships`` on identify, the
100 KB attribute cap, and the App API reads of objects and relationships."""

import httpx

from cio_sandbox.testing import SandboxHandle
from tests.cio_sandbox.operations import (
    activities,
    applied,
    batch,
    identify,
    member,
    obj,
    person,
    rejected,
    relation,
)

BIG = "x" * 30_000  # one entry stays under 32 KB; four of them exceed 100 KB in total


def test_object_identify_creates_updates_per_field_and_removes(
    track: httpx.Client, sandbox: SandboxHandle, app: httpx.Client
) -> None:
    applied(track, obj("1", "acme", "identify", attributes={"plan": "gold", "seats": 5, "x": 1}))
    applied(track, obj(1, "acme", "identify", attributes={"seats": 6, "x": None, "y": ""}))
    assert sandbox.objects() == {("1", "acme"): {"plan": "gold", "seats": 6}}
    response = app.get("/v1/objects/1/acme/attributes")
    assert response.status_code == 200
    read = response.json()["object"]
    cio_object_id = read["identifiers"]["cio_object_id"]
    assert read["identifiers"] == {
        "object_type_id": "1",
        "object_id": "acme",
        "cio_object_id": cio_object_id,
    }
    assert read["attributes"] == {"plan": "gold", "seats": 6, "object_id": "acme"}
    assert set(read["timestamps"]) == {"plan", "seats", "object_id"}
    by_cio = app.get(
        f"/v1/objects/1/{cio_object_id}/attributes", params={"id_type": "cio_object_id"}
    )
    assert by_cio.json()["object"]["attributes"]["seats"] == 6


def test_object_types_keep_object_ids_apart_and_cio_object_id_only_updates(
    track: httpx.Client, sandbox: SandboxHandle, app: httpx.Client
) -> None:
    applied(track, obj("1", "42", "identify", attributes={"kind": "account"}))
    applied(track, obj("2", "42", "identify", attributes={"kind": "course"}))
    cio_object_id = app.get("/v1/objects/2/42/attributes").json()["object"]["identifiers"][
        "cio_object_id"
    ]
    by_cio = {"type": "object", "action": "identify", "attributes": {"kind": "class"}}
    applied(
        track,
        {**by_cio, "identifiers": {"cio_object_id": cio_object_id}},
        {**by_cio, "identifiers": {"cio_object_id": "o-unknown"}},
    )
    assert sandbox.objects() == {("1", "42"): {"kind": "account"}, ("2", "42"): {"kind": "class"}}
    assert app.get("/v1/objects/3/42/attributes").status_code == 404
    assert app.get("/v1/objects/1/42/attributes", params={"id_type": "x"}).status_code == 400
    assert app.get("/v1/objects/zero/42/attributes").status_code == 400


def test_invalid_object_operations_are_207_per_entry(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    response = batch(
        track,
        obj("1", "ok", "identify", attributes={"a": 1}),
        obj("0", "bad-type", "identify"),
        obj("one", "bad-type", "identify"),
        {"type": "object", "identifiers": {"object_id": "no-type"}, "action": "identify"},
        obj("1", "", "identify"),
        obj("1", "o" * 151, "identify"),
        obj("1", "long-name", "identify", attributes={"n" * 151: 1}),
        obj("1", "attrs", "identify", attributes=[1]),
        obj("1", "rel", "add_relationships"),
        obj(
            "1",
            "rel",
            "add_relationships",
            cio_relationships=[{"identifiers": {"phone": "+15555550100"}}],
        ),
        {
            "type": "object",
            "identifiers": {"cio_object_id": "c", "object_id": "x"},
            "action": "delete",
        },
        obj("1", "act", "explode"),
    )
    assert rejected(response) == [
        (1, "invalid", "identifiers.object_type_id"),
        (2, "invalid", "identifiers.object_type_id"),
        (3, "invalid", "identifiers"),
        (4, "invalid", "identifiers.object_id"),
        (5, "too_long", "identifiers.object_id"),
        (6, "too_long", f"attributes.{'n' * 40}"),
        (7, "invalid", "attributes"),
        (8, "required", "cio_relationships"),
        (9, "invalid", "cio_relationships[0].identifiers"),
        (10, "invalid", "identifiers.cio_object_id"),
        (11, "invalid", "action"),
    ]
    assert sandbox.objects() == {("1", "ok"): {"a": 1}}


def test_object_attributes_are_capped_at_100_kb_in_total(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(
        track,
        *(obj("1", "big", "identify", attributes={f"a{i}": BIG}) for i in range(3)),
    )
    response = batch(
        track,
        obj("1", "big", "identify", attributes={"a3": BIG}),
        obj("1", "big", "identify", attributes={"a0": BIG[:-1] + "y", "small": 1}),
    )
    (error,) = response.json()["errors"]
    assert (error["batch_index"], error["reason"], error["field"]) == (0, "too_large", "attributes")
    assert "102400" in error["message"]
    stored = sandbox.objects()[("1", "big")]
    assert sorted(stored) == ["a0", "a1", "a2", "small"]
    # Removing an attribute makes room again.
    applied(track, obj("1", "big", "identify", attributes={"a1": None, "a3": BIG}))
    assert sorted(sandbox.objects()[("1", "big")]) == ["a0", "a2", "a3", "small"]


def test_person_add_and_delete_relationships_with_attributes(
    track: httpx.Client, sandbox: SandboxHandle, app: httpx.Client
) -> None:
    applied(
        track,
        identify({"id": "ann"}, email="ann@example.com"),
        obj("1", "acme", "identify", attributes={"plan": "gold"}),
        person(
            {"id": "ann"},
            "add_relationships",
            cio_relationships=[relation("1", "acme", role="admin"), relation("2", "course-7")],
        ),
    )
    assert sandbox.relationships() == {
        ("ann", "1", "acme"): {"role": "admin"},
        ("ann", "2", "course-7"): {},
    }
    # The relationship named an object that did not exist: it was created, empty.
    assert sandbox.objects()[("2", "course-7")] == {}
    applied(
        track,
        person(
            {"email": "ANN@example.com"},
            "add_relationships",
            cio_relationships=[relation("1", "acme", role=None, since=2020)],
        ),
    )
    assert sandbox.relationships()[("ann", "1", "acme")] == {"since": 2020}
    listed = app.get("/v1/customers/ann/relationships").json()
    assert listed["next"] == ""
    assert sorted(
        (
            r["identifiers"]["object_type_id"],
            r["identifiers"]["object_id"],
            str(r["relationship_attributes"]),
        )
        for r in listed["cio_relationships"]
    ) == [("1", "acme", "{'since': 2020}"), ("2", "course-7", "{}")]
    members = app.get("/v1/objects/1/acme/relationships").json()["cio_relationships"]
    assert members == [
        {
            "identifiers": {
                "email": "ann@example.com",
                "id": "ann",
                "cio_id": members[0]["identifiers"]["cio_id"],
            },
            "relationship_attributes": {"since": 2020},
        }
    ]
    applied(
        track,
        person(
            {"id": "ann"},
            "delete_relationships",
            cio_relationships=[relation("1", "acme"), relation("3", "never-existed")],
        ),
    )
    assert sandbox.relationships() == {("ann", "2", "course-7"): {}}
    assert ("3", "never-existed") not in sandbox.objects()
    kinds = [a["type"] for a in activities(app, "ann")]
    assert kinds[:4] == [
        "delete_relationship",
        "relationship_attribute_change",
        "add_relationship",
        "add_relationship",
    ]
    assert app.get("/v1/customers/nobody/relationships").status_code == 404


def test_relationship_operations_create_people_like_events_but_deletes_never_do(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(
        track,
        person({"id": "new"}, "add_relationships", cio_relationships=[relation("1", "a")]),
        person({"id": "ghost"}, "delete_relationships", cio_relationships=[relation("1", "a")]),
        person({"cio_id": "ffff"}, "add_relationships", cio_relationships=[relation("1", "a")]),
    )
    assert set(sandbox.people()) == {"new"}
    assert sandbox.relationships() == {("new", "1", "a"): {}}


def test_object_side_relationships_and_cio_relationships_on_identify(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    applied(
        track,
        identify({"email": "bo@example.com"}, name="Bo"),
        obj(
            "1",
            "acme",
            "identify",
            attributes={"plan": "gold"},
            cio_relationships=[
                member({"id": "ann"}, role="admin"),
                member({"email": "BO@example.com"}),
            ],
        ),
        identify({"id": "cy"}),
        {**identify({"id": "cy"}, tier="a"), "cio_relationships": [relation("1", "acme", seat=3)]},
    )
    bo_key = next(key for key, attrs in sandbox.people().items() if attrs.get("name") == "Bo")
    assert sandbox.relationships() == {
        ("ann", "1", "acme"): {"role": "admin"},
        (bo_key, "1", "acme"): {},
        ("cy", "1", "acme"): {"seat": 3},
    }
    assert sandbox.people()["cy"] == {"tier": "a"}
    applied(
        track,
        obj("1", "acme", "delete_relationships", cio_relationships=[member({"id": "ann"})]),
        obj("1", "acme", "add_relationships", cio_relationships=[member({"id": "cy"}, seat=4)]),
    )
    assert sandbox.relationships() == {
        (bo_key, "1", "acme"): {},
        ("cy", "1", "acme"): {"seat": 4},
    }


def test_relationship_attributes_are_capped_at_100_kb_and_a_refusal_applies_nothing(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    def grow(key: str) -> dict[str, object]:
        return person(
            {"id": "ann"},
            "add_relationships",
            cio_relationships=[relation("1", "acme", **{key: BIG})],
        )

    applied(track, grow("a"), grow("b"), grow("c"))
    over_identify = {
        **identify({"id": "ann"}, touched=True),
        "cio_relationships": [relation("1", "other"), relation("1", "acme", d=BIG)],
    }
    response = batch(track, grow("d"), over_identify)
    assert rejected(response) == [
        (0, "too_large", "cio_relationships[0].relationship_attributes"),
        (1, "too_large", "cio_relationships[1].relationship_attributes"),
    ]
    assert sorted(sandbox.relationships()) == [("ann", "1", "acme")]
    assert sandbox.people()["ann"] == {}
    assert ("1", "other") not in sandbox.objects()


def test_deleting_an_object_or_a_person_removes_their_relationships(
    track: httpx.Client, sandbox: SandboxHandle, app: httpx.Client
) -> None:
    applied(
        track,
        obj("1", "a", "identify", cio_relationships=[member({"id": "p1"}), member({"id": "p2"})]),
        obj("1", "b", "identify", cio_relationships=[member({"id": "p1"})]),
    )
    applied(track, obj("1", "a", "delete"), obj("1", "missing", "delete"))
    assert sandbox.relationships() == {("p1", "1", "b"): {}}
    assert app.get("/v1/objects/1/a/attributes").status_code == 404
    applied(track, person({"id": "p1"}, "delete"))
    assert sandbox.relationships() == {}
    assert app.get("/v1/objects/1/b/relationships").json() == {"cio_relationships": [], "next": ""}
    assert set(sandbox.objects()) == {("1", "b")}


def test_relationship_lists_are_paged(
    track: httpx.Client, sandbox: SandboxHandle, app: httpx.Client
) -> None:
    applied(
        track,
        obj("1", "club", "identify", cio_relationships=[member({"id": f"m{i}"}) for i in range(5)]),
    )
    first = app.get("/v1/objects/1/club/relationships", params={"limit": 2}).json()
    second = app.get(
        "/v1/objects/1/club/relationships", params={"limit": 2, "start": first["next"]}
    ).json()
    third = app.get(
        "/v1/objects/1/club/relationships", params={"limit": 2, "start": second["next"]}
    ).json()
    pages = [first, second, third]
    ids = [r["identifiers"]["id"] for page in pages for r in page["cio_relationships"]]
    assert ids == [f"m{i}" for i in range(5)]
    assert third["next"] == ""
    bad = app.get("/v1/objects/1/club/relationships", params={"start": "x"})
    assert bad.status_code == 400
