"""How stored people and activities look from outside: App API shapes and the HTML page.

Kept apart from :mod:`cio_sandbox.state` so the store stays plain dicts tuned for writes,
and the read shapes (which copy) are only built when someone asks.
"""

import html
from typing import Any

import orjson

from cio_sandbox.state import Person, SandboxState


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
        # Stored bare to save a dict per identify; shown as {"attributes": {name: new value}}.
        "data": {"attributes": data} if activity["type"] == "attribute_change" else data,
    }
    if activity["type"] == "event":
        view["id"] = activity["id"]
        view["name"] = activity["name"]
    return view


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
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Customer.io sandbox</title>
<style>body{{font-family:sans-serif}}td{{border-bottom:1px solid #ddd;padding:2px 6px}}</style>
</head><body>
<h1>Customer.io sandbox</h1>
<p>JSON: <a href="/_sandbox/people">people</a>, <a href="/_sandbox/events">events</a>,
<a href="/_sandbox/requests">requests</a>, <a href="/_sandbox/stats">stats</a>,
<a href="/_sandbox/config">config</a>. Show more with <code>?limit=N</code>.</p>
<h2>People ({len(state.people)}, first {len(people)})</h2>
<table><tr><th>id</th><th>cio_id</th><th>attributes</th></tr>{"".join(people)}</table>
<h2>Events ({len(state.events)}, latest {len(events)})</h2>
<table><tr><th>timestamp</th><th>person</th><th>name</th><th>id</th><th>data</th></tr>
{"".join(events)}</table>
</body></html>"""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return html.escape(orjson.dumps(value).decode())
    return html.escape(str(value))
