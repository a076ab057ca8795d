"""Track v2 operations and App API reads as the sandbox tests send them.

Plain builders over httpx, kept in the tests: the product's client lives in resources/ and is
tested against the sandbox on its own.
"""

from typing import Any

import httpx


def person(identifiers: dict[str, Any], action: str, **fields: Any) -> dict[str, Any]:
    return {"type": "person", "identifiers": identifiers, "action": action, **fields}


def identify(identifiers: dict[str, Any], **attributes: Any) -> dict[str, Any]:
    return person(identifiers, "identify", attributes=attributes)


def event(identifiers: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
    return person(identifiers, "event", name=name, **fields)


def obj(type_id: Any, object_id: Any, action: str, **fields: Any) -> dict[str, Any]:
    identifiers = {"object_type_id": type_id, "object_id": object_id}
    return {"type": "object", "identifiers": identifiers, "action": action, **fields}


def relation(type_id: str, object_id: str, **attributes: Any) -> dict[str, Any]:
    """One entry of a person's ``cio_relationships``."""
    entry: dict[str, Any] = {"identifiers": {"object_type_id": type_id, "object_id": object_id}}
    if attributes:
        entry["relationship_attributes"] = attributes
    return entry


def member(identifiers: dict[str, Any], **attributes: Any) -> dict[str, Any]:
    """One entry of an object's ``cio_relationships``."""
    entry: dict[str, Any] = {"identifiers": identifiers}
    if attributes:
        entry["relationship_attributes"] = attributes
    return entry


def merge(primary: dict[str, Any], secondary: dict[str, Any]) -> dict[str, Any]:
    return {"type": "person", "action": "merge", "primary": primary, "secondary": secondary}


def batch(track: httpx.Client, *ops: dict[str, Any]) -> httpx.Response:
    return track.post("/api/v2/batch", json={"batch": list(ops)})


def applied(track: httpx.Client, *ops: dict[str, Any]) -> None:
    """Send a batch that must be accepted whole."""
    response = batch(track, *ops)
    assert (response.status_code, response.json()) == (200, {})


def rejected(response: httpx.Response) -> list[tuple[int, str, str]]:
    """``(batch_index, reason, field)`` of every entry a 207 refused."""
    assert response.status_code == 207, response.text
    return [(e["batch_index"], e["reason"], e["field"]) for e in response.json()["errors"]]


def activities(app: httpx.Client, person_id: str, **params: Any) -> list[dict[str, Any]]:
    response = app.get(f"/v1/customers/{person_id}/activities", params=params)
    assert response.status_code == 200, response.text
    return response.json()["activities"]


def create_segment(app: httpx.Client, name: str, description: str = "") -> int:
    response = app.post(
        "/v1/segments", json={"segment": {"name": name, "description": description}}
    )
    assert response.status_code == 200, response.text
    segment_id = response.json()["segment"]["id"]
    assert type(segment_id) is int
    return segment_id
