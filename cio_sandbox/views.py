"""How the store looks from outside: App API shapes and the HTML page.

Kept apart from :mod:`cio_sandbox.state` so the store stays plain dicts tuned for writes,
and the read shapes (which copy) are only built when someone asks.
"""

import html
from typing import Any

import orjson

from cio_sandbox.state import Obj, Person, SandboxState, Segment


def customer_view(person: Person) -> dict[str, Any]:
    """The App API ``customer`` object. As in Customer.io, identifiers also appear as attributes."""
    identifiers: dict[str, Any] = {"cio_id": person["cio_id"]}
    if person["id"] is not None:
        identifiers["id"] = person["id"]
    email = person["attributes"].get("email")
    if type(email) is str:
        identifiers["email"] = email
    created = person["created_at"]
    timestamps = {
        **person["timestamps"],
        **{name: created for name in identifiers if name != "email"},
    }
    attributes = {**person["attributes"], **identifiers}
    return {
        "id": person["id"],
        "identifiers": identifiers,
        "attributes": attributes,
        "timestamps": timestamps,
        "unsubscribed": attributes.get("unsubscribed") in (True, "true"),
    }


def activity_view(person: Person, activity: dict[str, Any]) -> dict[str, Any]:
    """One App API activity; events are stored as their event record and shown without internals."""
    data = activity["data"]
    view: dict[str, Any] = {
        "type": activity["type"],
        "timestamp": activity["timestamp"],
        "customer_id": person["id"],
        "customer_identifiers": member_view(person),
        # Stored bare to save a dict per identify; shown as {"attributes": {name: new value}}.
        "data": {"attributes": data} if activity["type"] == "attribute_change" else data,
    }
    if activity["type"] == "event":
        view["id"] = activity["id"]
    if "name" in activity:
        view["name"] = activity["name"]
    return view


def member_view(person: Person) -> dict[str, Any]:
    """A person's ``identifiers`` as segment membership and relationships list them."""
    email = person["attributes"].get("email")
    return {
        "email": email if type(email) is str else None,
        "id": person["id"],
        "cio_id": person["cio_id"],
    }


def segment_view(segment: Segment) -> dict[str, Any]:
    """The App API ``segment`` object (members are read through ``/membership``)."""
    return {name: value for name, value in segment.items() if name != "members"}


def object_view(obj: Obj) -> dict[str, Any]:
    """The App API ``object``: identifiers, attributes (identifiers included) and timestamps."""
    identifiers = {
        "object_type_id": obj["object_type_id"],
        "object_id": obj["object_id"],
        "cio_object_id": obj["cio_object_id"],
    }
    return {
        "identifiers": identifiers,
        "attributes": {**obj["attributes"], "object_id": obj["object_id"]},
        "timestamps": {**obj["timestamps"], "object_id": obj["created_at"]},
        "created_at": obj["created_at"],
        "updated_at": obj["updated_at"],
    }


def relationship_view(obj: Obj, attributes: dict[str, Any]) -> dict[str, Any]:
    """One of a person's relationships: the object's identifiers and the relationship's data."""
    return {
        "identifiers": {
            "object_type_id": obj["object_type_id"],
            "object_id": obj["object_id"],
            "cio_object_id": obj["cio_object_id"],
        },
        "relationship_attributes": attributes,
    }


def person_view(person: Person) -> dict[str, Any]:
    """A person as listed by ``/_sandbox/people``."""
    return {
        "cio_id": person["cio_id"],
        "id": person["id"],
        "attributes": person["attributes"],
        "created_at": person["created_at"],
        "updated_at": person["updated_at"],
    }


def index_page(state: SandboxState, limit: int) -> str:
    """A human look at the store: the first ``limit`` people and the latest ``limit`` events."""
    people: list[str] = []
    for person in state.people.values():
        if len(people) == limit:
            break
        people.append(
            f"<tr><td>{_text(person['id'])}</td><td>{_text(person['cio_id'])}</td>"
            f"<td><code>{_text(person['attributes'])}</code></td></tr>"
        )
    events = [
        f"<tr><td>{_text(event['timestamp'])}</td><td>{_text(event['person_id'])}</td>"
        f"<td>{_text(event['name'])}</td><td>{_text(event['id'])}</td>"
        f"<td><code>{_text(event['data'])}</code></td></tr>"
        for event in reversed(state.events[-limit:])
    ]
    objects = [
        f"<tr><td>{_text(obj['object_type_id'])}</td><td>{_text(obj['object_id'])}</td>"
        f"<td>{_text(obj['cio_object_id'])}</td><td><code>{_text(obj['attributes'])}</code></td>"
        f"<td>{len(state.members.get(obj['cio_object_id'], {}))}</td></tr>"
        for obj in list(state.objects.values())[:limit]
    ]
    relationships: list[str] = []
    for cio_id, related in state.relations.items():
        person = state.people[cio_id]
        for cio_object_id, attributes in related.items():
            if len(relationships) == limit:
                break
            obj = state.objects[cio_object_id]
            relationships.append(
                f"<tr><td>{_text(person['id'] or cio_id)}</td>"
                f"<td>{_text(obj['object_type_id'])}/{_text(obj['object_id'])}</td>"
                f"<td><code>{_text(attributes)}</code></td></tr>"
            )
    segments = [
        f"<tr><td>{segment['id']}</td><td>{_text(segment['name'])}</td>"
        f"<td>{len(segment['members'])}</td><td>"
        + _text(", ".join(_label(state.people[c]) for c in list(segment["members"])[:limit]))
        + "</td></tr>"
        for segment in list(state.segments.values())[:limit]
    ]
    suppressions = [
        f"<tr><td>{_text(record['identifiers'])}</td><td>{record['suppressed_at']}</td></tr>"
        for record in state.suppressions()[-limit:]
    ]
    merges = [
        f"<tr><td>{_text(merge['primary'])}</td><td>{_text(merge['secondary'])}</td>"
        f"<td>{_text(merge['attributes'])}</td><td>{merge['events']}</td>"
        f"<td>{merge['merged_at']}</td></tr>"
        for merge in state.merges[-limit:]
    ]
    relationship_count = sum(len(related) for related in state.relations.values())
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Customer.io sandbox</title>
<style>body{{font-family:sans-serif}}td{{border-bottom:1px solid #ddd;padding:2px 6px}}</style>
</head><body>
<h1>Customer.io sandbox</h1>
<p>JSON: <a href="/_sandbox/people">people</a>, <a href="/_sandbox/events">events</a>,
<a href="/_sandbox/objects">objects</a>, <a href="/_sandbox/relationships">relationships</a>,
<a href="/_sandbox/segments">segments</a>, <a href="/_sandbox/suppressions">suppressions</a>,
<a href="/_sandbox/merges">merges</a>,
<a href="/_sandbox/requests">requests</a>, <a href="/_sandbox/stats">stats</a>,
<a href="/_sandbox/config">config</a>. Show more with <code>?limit=N</code>.</p>
<h2>People ({len(state.people)}, first {len(people)})</h2>
<table><tr><th>id</th><th>cio_id</th><th>attributes</th></tr>{"".join(people)}</table>
<h2>Events ({len(state.events)}, latest {len(events)})</h2>
<table><tr><th>timestamp</th><th>person</th><th>name</th><th>id</th><th>data</th></tr>
{"".join(events)}</table>
<h2>Objects ({len(state.objects)}, first {len(objects)})</h2>
<table><tr><th>type</th><th>object_id</th><th>cio_object_id</th><th>attributes</th>
<th>people</th></tr>{"".join(objects)}</table>
<h2>Relationships ({relationship_count}, first {len(relationships)})</h2>
<table><tr><th>person</th><th>object</th><th>attributes</th></tr>
{"".join(relationships)}</table>
<h2>Manual segments ({len(state.segments)}, first {len(segments)})</h2>
<table><tr><th>id</th><th>name</th><th>members</th><th>first members</th></tr>
{"".join(segments)}</table>
<h2>Suppressions ({len(state.suppressions())}, latest {len(suppressions)})</h2>
<table><tr><th>identifiers</th><th>suppressed at</th></tr>{"".join(suppressions)}</table>
<h2>Merges ({len(state.merges)}, latest {len(merges)})</h2>
<table><tr><th>primary</th><th>secondary (deleted)</th><th>attributes gained</th>
<th>events moved</th><th>merged at</th></tr>{"".join(merges)}</table>
</body></html>"""


def _label(person: Person) -> str:
    email = person["attributes"].get("email")
    return str(person["id"] or (email if type(email) is str else person["cio_id"]))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return html.escape(orjson.dumps(value).decode())
    return html.escape(str(value))
