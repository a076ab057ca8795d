"""The inspection views of the new data (JSON under ``/_sandbox/`` and the HTML page) and its
persistence across a restart with ``--state-file``."""

from pathlib import Path

import httpx
import orjson

from cio_sandbox.testing import SandboxHandle, running_sandbox
from tests.cio_sandbox.operations import (
    applied,
    create_segment,
    identify,
    member,
    merge,
    obj,
    person,
)


def populate(sandbox: SandboxHandle) -> None:
    with (
        httpx.Client(base_url=sandbox.url, auth=sandbox.track_auth) as track,
        httpx.Client(base_url=sandbox.url, headers=sandbox.app_headers) as app,
    ):
        applied(
            track,
            identify({"id": "c1"}, email="c1@x.io"),
            identify({"email": "legacy@x.io"}, tag="<b>"),
            identify({"id": "c2"}),
            identify({"id": "erased"}, email="erased@x.io"),
            obj("1", "acme", "identify", attributes={"plan": "<i>gold</i>"}),
            obj(
                "1", "acme", "add_relationships", cio_relationships=[member({"id": "c1"}, role="a")]
            ),
        )
        segment = create_segment(app, "VIP & friends")
        response = track.post(
            f"/api/v1/segments/{segment}/add_customers", json={"ids": ["c1", "c2"]}
        )
        assert response.status_code == 200
        applied(track, merge({"id": "c1"}, {"email": "legacy@x.io"}))
        applied(track, person({"id": "erased"}, "suppress"))


def test_json_views_list_objects_relationships_segments_suppressions_merges(
    sandbox: SandboxHandle,
) -> None:
    populate(sandbox)
    assert sandbox.objects() == {("1", "acme"): {"plan": "<i>gold</i>"}}
    assert sandbox.relationships() == {("c1", "1", "acme"): {"role": "a"}}
    assert sandbox.segments() == {"VIP & friends": ["c1", "c2"]}
    (suppression,) = sandbox.suppressions()
    assert suppression["identifiers"]["email"] == "erased@x.io"
    (merged,) = sandbox.merges()
    assert merged["primary"]["id"] == "c1"
    stats = sandbox.stats()
    assert {k: stats[k] for k in ("objects", "relationships", "segments", "merges")} == {
        "objects": 1,
        "relationships": 1,
        "segments": 1,
        "merges": 1,
    }
    assert stats["suppressed_identifiers"] == 3  # id, email and cio_id of the erased person
    page = httpx.get(f"{sandbox.url}/_sandbox/objects", params={"limit": 0}).json()
    assert (page["count"], page["objects"]) == (1, [])
    bad = httpx.get(f"{sandbox.url}/_sandbox/relationships", params={"offset": "x"})
    assert bad.status_code == 400


def test_html_page_shows_the_new_sections_escaped(sandbox: SandboxHandle) -> None:
    populate(sandbox)
    page = httpx.get(f"{sandbox.url}/").text
    for heading in (
        "Objects (1, first 1)",
        "Relationships (1, first 1)",
        "Manual segments (1, first 1)",
        "Suppressions (1, latest 1)",
        "Merges (1, latest 1)",
    ):
        assert heading in page
    assert "VIP &amp; friends" in page
    assert "&lt;i&gt;gold&lt;/i&gt;" in page and "<i>gold" not in page
    assert 'href="/_sandbox/suppressions"' in page


def test_state_file_keeps_the_new_data_across_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with running_sandbox(state_file=state_file) as first:
        populate(first)
        before = (first.objects(), first.relationships(), first.segments(), first.merges())
        suppressions = first.suppressions()
    with running_sandbox(state_file=state_file) as second:
        assert (
            second.objects(),
            second.relationships(),
            second.segments(),
            second.merges(),
        ) == before
        assert second.suppressions() == suppressions
        with httpx.Client(base_url=second.url, auth=second.track_auth) as track:
            applied(track, identify({"id": "erased"}, back=True))
            applied(track, obj("1", "beta", "identify"))
        assert "erased" not in second.people()
        # Ids handed out after a restart do not collide with the restored ones.
        cio_object_ids = {o["identifiers"]["cio_object_id"] for o in _objects(second)}
        assert len(cio_object_ids) == 2


def test_a_state_file_of_people_and_events_only_still_loads(tmp_path: Path) -> None:
    state_file = tmp_path / "v1.json"
    person_record = {
        "cio_id": "00000001",
        "id": "old",
        "attributes": {"email": "old@x.io"},
        "timestamps": {"email": 1},
        "activities": [],
        "created_at": 1,
        "updated_at": 1,
    }
    snapshot = {
        "version": 1,
        "next_cio": 2,
        "people": [person_record],
        "events": [],
        "event_ids": [],
    }
    state_file.write_bytes(orjson.dumps(snapshot))
    with running_sandbox(state_file=state_file) as sandbox:
        assert sandbox.people() == {"old": {"email": "old@x.io"}}
        assert sandbox.objects() == {} and sandbox.segments() == {}


def _objects(sandbox: SandboxHandle) -> list[dict[str, object]]:
    return httpx.get(f"{sandbox.url}/_sandbox/objects").json()["objects"]
