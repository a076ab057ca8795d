"""Manual segments in the sandbox over real HTTP: created and read through the App API,
members added and removed through Track v1 (1 to 1,000 ids of one ``id_type``), membership
read back in pages and per customer, as the cohort check will read them."""

from typing import Any

import httpx
import pytest

from cio_sandbox.testing import SandboxHandle
from tests.cio_sandbox.operations import applied, create_segment, identify


def change(
    track: httpx.Client, segment_id: Any, verb: str, ids: list[Any], id_type: str | None = None
) -> httpx.Response:
    params = {} if id_type is None else {"id_type": id_type}
    return track.post(f"/api/v1/segments/{segment_id}/{verb}", params=params, json={"ids": ids})


@pytest.fixture
def people(track: httpx.Client) -> None:
    applied(
        track,
        *(identify({"id": f"c{i}"}, email=f"c{i}@example.com") for i in range(5)),
        identify({"email": "legacy@example.com"}, source="form"),
    )


def test_create_list_and_get_a_manual_segment(app: httpx.Client, sandbox: SandboxHandle) -> None:
    response = app.post("/v1/segments", json={"segment": {"name": "VIP", "description": "top"}})
    assert response.status_code == 200
    segment = response.json()["segment"]
    assert {k: segment[k] for k in ("name", "description", "type", "progress", "tags")} == {
        "name": "VIP",
        "description": "top",
        "type": "manual",
        "progress": None,
        "tags": None,
    }
    assert type(segment["id"]) is int and type(segment["created_at"]) is int
    other = create_segment(app, "Reactivation")
    assert other != segment["id"]
    listed = app.get("/v1/segments").json()["segments"]
    assert [s["name"] for s in listed] == ["VIP", "Reactivation"]
    assert app.get(f"/v1/segments/{other}").json()["segment"]["name"] == "Reactivation"
    assert app.get("/v1/segments/999").status_code == 404
    assert app.get("/v1/segments/abc").status_code == 404
    for bad in ({}, {"segment": {}}, {"segment": {"name": " "}}, {"segment": {"name": 1}}):
        assert app.post("/v1/segments", json=bad).status_code == 400
    unauthorized = httpx.post(f"{sandbox.url}/v1/segments", json={"segment": {"name": "x"}})
    assert unauthorized.status_code == 401


@pytest.mark.usefixtures("people")
def test_add_and_remove_members_by_id_email_and_cio_id(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    vip = create_segment(app, "VIP")
    applied(track, identify({"id": "7"}))
    # An integer id is read as its digits.
    assert change(track, vip, "add_customers", ["c0", "c1", 7, "nobody"]).status_code == 200
    assert change(track, vip, "add_customers", ["C3@Example.com", "c4"], "email").status_code == 200
    legacy = app.get("/v1/customers", params={"email": "legacy@example.com"}).json()["results"][0]
    assert change(track, vip, "add_customers", [legacy["cio_id"]], "cio_id").status_code == 200
    assert sandbox.segments() == {"VIP": ["c0", "c1", "7", "c3", "legacy@example.com"]}
    # Ignored, as documented: ids nobody has, and values that cannot be of the id_type ("c4").
    assert sandbox.stats()["membership_ids_ignored"] == 2
    assert change(track, vip, "remove_customers", ["c1", "c9"]).status_code == 200
    assert change(track, vip, "remove_customers", ["c3@example.com"], "email").status_code == 200
    assert sandbox.segments() == {"VIP": ["c0", "7", "legacy@example.com"]}
    log = [r for r in sandbox.requests() if r["path"].startswith("/api/v1/segments")]
    assert [r["entries"] for r in log] == [4, 2, 1, 2, 1]


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ({"ids": []}, {}, "ids"),
        ({"ids": [f"c{i}" for i in range(1001)]}, {}, "ids"),
        ({}, {}, "ids"),
        ({"ids": "c0"}, {}, "ids"),
        ({"ids": [{"id": "c0"}]}, {}, "ids"),
        ({"ids": [True]}, {}, "ids"),
        ({"ids": ["c0"]}, {"id_type": "phone"}, "id_type"),
    ],
    ids=["empty", "1001-ids", "no-ids", "not-a-list", "objects", "booleans", "bad-id-type"],
)
def test_bad_membership_requests_are_400_and_change_nothing(
    track: httpx.Client,
    app: httpx.Client,
    sandbox: SandboxHandle,
    body: dict[str, Any],
    params: dict[str, str],
    field: str,
) -> None:
    vip = create_segment(app, "VIP")
    response = track.post(f"/api/v1/segments/{vip}/add_customers", params=params, json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert sandbox.segments() == {"VIP": []}


@pytest.mark.usefixtures("people")
def test_at_most_1000_ids_per_request_and_the_segment_must_exist(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    vip = create_segment(app, "VIP")
    thousand = [f"c{i % 5}" for i in range(1000)]
    assert change(track, vip, "add_customers", thousand).status_code == 200
    assert sandbox.segments() == {"VIP": ["c0", "c1", "c2", "c3", "c4"]}
    unknown = change(track, 999, "add_customers", ["c0"])
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "segment_id"
    assert change(track, "vip", "remove_customers", ["c0"]).status_code == 400
    unauthorized = httpx.post(
        f"{sandbox.url}/api/v1/segments/{vip}/add_customers", json={"ids": ["c0"]}
    )
    assert unauthorized.status_code == 401


@pytest.mark.usefixtures("people")
def test_membership_is_read_in_pages(track: httpx.Client, app: httpx.Client) -> None:
    vip = create_segment(app, "VIP")
    change(track, vip, "add_customers", ["c4", "c0", "c2"])
    change(track, vip, "add_customers", ["legacy@example.com"], "email")
    first = app.get(f"/v1/segments/{vip}/membership", params={"limit": 3}).json()
    assert [i["id"] for i in first["identifiers"]] == ["c4", "c0", "c2"]
    assert first["ids"] == ["c4", "c0", "c2"]
    assert first["identifiers"][0] == {
        "email": "c4@example.com",
        "id": "c4",
        "cio_id": first["identifiers"][0]["cio_id"],
    }
    rest = app.get(f"/v1/segments/{vip}/membership", params={"limit": 3, "start": first["next"]})
    page = rest.json()
    # A member without an id is an empty string in ``ids``, as Customer.io documents.
    assert page["ids"] == [""]
    assert page["identifiers"][0]["email"] == "legacy@example.com"
    assert page["next"] == ""
    whole = app.get(f"/v1/segments/{vip}/membership").json()
    assert len(whole["identifiers"]) == 4 and whole["next"] == ""
    assert app.get(f"/v1/segments/{vip}/membership", params={"limit": 30_001}).status_code == 400
    assert app.get(f"/v1/segments/{vip}/membership", params={"limit": 0}).status_code == 400
    assert app.get("/v1/segments/999/membership").status_code == 404


@pytest.mark.usefixtures("people")
def test_segments_of_a_customer(track: httpx.Client, app: httpx.Client) -> None:
    vip = create_segment(app, "VIP", "top spenders")
    reactivation = create_segment(app, "Reactivation")
    change(track, vip, "add_customers", ["c1", "c2"])
    change(track, reactivation, "add_customers", ["c2"])
    both = app.get("/v1/customers/c2/segments").json()["segments"]
    assert [(s["id"], s["name"]) for s in both] == [(vip, "VIP"), (reactivation, "Reactivation")]
    assert both[0]["description"] == "top spenders"
    by_email = app.get("/v1/customers/c1@example.com/segments", params={"id_type": "email"})
    assert [s["name"] for s in by_email.json()["segments"]] == ["VIP"]
    assert app.get("/v1/customers/c3/segments").json() == {"segments": []}
    assert app.get("/v1/customers/nobody/segments").status_code == 404
    assert app.get("/v1/customers/c1/segments", params={"id_type": "x"}).status_code == 400


@pytest.mark.usefixtures("people")
def test_a_deleted_person_leaves_their_segments(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    vip = create_segment(app, "VIP")
    change(track, vip, "add_customers", ["c0", "c1"])
    assert track.delete("/api/v1/customers/c0").status_code == 200
    assert sandbox.segments() == {"VIP": ["c1"]}
    # Re-identified, the person is new and not a member again.
    applied(track, identify({"id": "c0"}))
    assert sandbox.segments() == {"VIP": ["c1"]}


@pytest.mark.usefixtures("people")
def test_faulted_membership_requests_apply_nothing(
    track: httpx.Client, app: httpx.Client, sandbox: SandboxHandle
) -> None:
    vip = create_segment(app, "VIP")
    sandbox.configure(error_503_rate=1.0)
    assert change(track, vip, "add_customers", ["c0"]).status_code == 503
    sandbox.configure(error_503_rate=0.0, error_429_rate=1.0, retry_after_s=2)
    refused = change(track, vip, "add_customers", ["c0"])
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "2")
    assert sandbox.segments() == {"VIP": []}
    sandbox.configure(error_429_rate=0.0)
    assert change(track, vip, "add_customers", ["c0"]).status_code == 200
    assert sandbox.segments() == {"VIP": ["c0"]}
