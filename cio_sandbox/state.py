"""The sandbox's in-memory workspace: people, events and per-person activity.

People are plain dicts keyed by a generated ``cio_id`` and indexed by ``id``, lower-cased
``email`` and ``phone``, so that one entry costs a few dict operations and a benchmark never
waits on the sandbox. Operations arrive already validated (:mod:`cio_sandbox.validation`);
applying one never half-happens: everything that can refuse it is checked before the first
write.

Identity rules, after Customer.io's documented behaviour (customerio-api.md):

* A person is found by the single identifier of the operation. Email matching ignores case
  and surrounding whitespace. A ``cio_id`` must name an existing person.
* Identify by an ``id`` that nobody has, with a body ``email`` owned by a person without an id:
  that person is updated and takes the id (no duplicate is created).
* An update that would give a person an email, or an ``id`` attribute, that belongs to someone
  else, or change an id a person already has, is answered like any other (200) but not
  applied: the whole update is dropped and a ``failed_attribute_change`` activity is recorded
  on the identified person (Customer.io's "Attribute Update Failure"). An ``id`` nobody had is
  still created, empty, so that the failure is readable where Customer.io shows it: in that
  person's activities. A ``cio_id`` attribute is ignored: it cannot change.
* Identify creates the person unless ``_update: true`` was sent; events create their person
  too (except by ``cio_id``, whose events are kept without a profile); delete of an unknown
  person is a no-op. Events of a deleted person stay in the event log.
* Attribute merge: keys replace, ``null`` or ``""`` removes the attribute. An identify carrying
  ``timestamp`` T leaves alone every attribute last written by an identify carrying a later
  timestamp, so updates sent close together apply in event order, not arrival order.
* Events are deduplicated by ULID ``id`` (case-insensitive, forever, across people): a repeat
  is accepted and ignored. Ids are stored upper-cased. An event without ``id`` is always stored.
* Unique attributes per person are capped at 300; an identify that would exceed it is refused.
"""

import sys
import time
from typing import Any

from cio_sandbox.validation import ATTRIBUTES_LIMIT, Delete, EntryError, Identify, PersonOp, Track

Person = dict[str, Any]

ACTIVITY_LIMIT = 100  # activities kept per person; bounds memory when a profile is hammered
_MISSING = object()


class SandboxState:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.people: dict[str, Person] = {}  # by cio_id
        self.by_id: dict[str, Person] = {}
        self.by_email: dict[str, Person] = {}  # lower-cased email
        self.by_phone: dict[str, Person] = {}
        self.events: list[dict[str, Any]] = []
        self.event_ids: set[str] = set()  # every ULID received, upper-cased
        self.next_cio = 1
        self.entries_accepted = 0
        self.entries_rejected = 0
        self.duplicate_events_ignored = 0
        self.attribute_update_failures = 0

    def find(self, kind: str, value: str) -> Person | None:
        if kind == "id":
            return self.by_id.get(value)
        if kind == "email":
            return self.by_email.get(_email_key(value))
        if kind == "phone":
            return self.by_phone.get(value)
        return self.people.get(value)

    def apply(self, op: PersonOp) -> None:
        """Apply one validated operation; raise :class:`EntryError` if the person refuses it."""
        now = int(time.time())
        if type(op) is Identify:
            self._identify(op, now)
        elif type(op) is Track:
            self._track(op, now)
        else:
            assert type(op) is Delete
            self._delete(op)

    def stats(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "events": len(self.events),
            "duplicate_events_ignored": self.duplicate_events_ignored,
            "entries_accepted": self.entries_accepted,
            "entries_rejected": self.entries_rejected,
            "attribute_update_failures": self.attribute_update_failures,
        }

    def snapshot(self) -> dict[str, Any]:
        """What rebuilds the workspace; counters describe one run and are not kept."""
        return {
            "version": 1,
            "next_cio": self.next_cio,
            "people": list(self.people.values()),
            "events": self.events,
            "event_ids": sorted(self.event_ids),
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.reset()
        self.next_cio = snapshot["next_cio"]
        self.events = snapshot["events"]
        self.event_ids = set(snapshot["event_ids"])
        for person in snapshot["people"]:
            self.people[person["cio_id"]] = person
            if person["id"] is not None:
                self.by_id[person["id"]] = person
            self._index(self.by_email, None, person["attributes"].get("email"), person, True)
            self._index(self.by_phone, None, person["attributes"].get("phone"), person, False)

    def _identify(self, op: Identify, now: int) -> None:
        attributes = op.attributes
        body_id = attributes.pop("id", None)
        attributes.pop("cio_id", None)
        email = attributes.get("email")
        email_owner = self.by_email.get(_email_key(email)) if type(email) is str else None
        person = self.find(op.kind, op.value)
        new_id = None
        if person is None and op.kind == "id":
            new_id = op.value
            if email_owner is not None and email_owner["id"] is None:
                person = email_owner
        if body_id is not None:
            current_id = person["id"] if person is not None else new_id
            if current_id is None and body_id not in self.by_id:
                new_id = body_id
            elif body_id != current_id:
                self._fail(person, now, "id", "id belongs to another person or cannot change")
                return
        if email_owner is not None and email_owner is not person:
            if person is None and op.kind == "id" and not op.update_only:
                person = self._create(op.kind, op.value, now)
            self._fail(person, now, "email", "email belongs to another person")
            return
        if person is None:
            if op.update_only or op.kind == "cio_id":
                return
            person = self._create(op.kind, op.value, now)
        else:
            self._check_capacity(person, attributes)
        if new_id is not None and person["id"] is None:
            person["id"] = new_id
            self.by_id[new_id] = person
        self._merge(person, attributes, op.timestamp, now)

    def _merge(
        self, person: Person, attributes: dict[str, Any], ordered: int | None, now: int
    ) -> None:
        stored = person["attributes"]
        stamps = person["timestamps"]
        # attribute -> timestamp of the latest timestamped identify that wrote it
        order: dict[str, int] = person.setdefault("ordered_at", {}) if ordered is not None else {}
        at = now if ordered is None else ordered
        old_email = stored.get("email")
        old_phone = stored.get("phone")
        changed: dict[str, Any] = {}
        for name, value in attributes.items():
            if ordered is not None:
                if order.get(name, -1) > ordered:
                    continue
                order[name] = ordered
            if value is None or value == "":
                if name in stored:
                    del stored[name]
                    del stamps[name]
                    changed[name] = attributes[name] = None
                continue
            old = stored.get(name, _MISSING)
            if old is _MISSING or old != value or type(old) is not type(value):
                stored[name] = value
                stamps[name] = at
                changed[name] = value
        if not changed:
            return
        if len(changed) == len(attributes):
            # Keep the request's own dict (same content) and let the copy go: a first sync
            # would otherwise hold every profile's attributes twice.
            changed = attributes
        person["updated_at"] = now
        self._index(self.by_email, old_email, stored.get("email"), person, True)
        self._index(self.by_phone, old_phone, stored.get("phone"), person, False)
        self._remember(person, {"type": "attribute_change", "timestamp": at, "data": changed})

    def _track(self, op: Track, now: int) -> None:
        event_id = None
        if op.event_id is not None:
            # ULIDs are case-insensitive; their canonical form is upper case.
            event_id = op.event_id.upper()
            if event_id in self.event_ids:
                self.duplicate_events_ignored += 1
                return
            self.event_ids.add(event_id)
        person = self.find(op.kind, op.value)
        if person is None and op.kind != "cio_id":
            person = self._create(op.kind, op.value, now)
        record = {
            "type": "event",
            "id": event_id,
            "name": sys.intern(op.name),  # a few names repeat across millions of events
            "person_id": person["id"] if person is not None else None,
            "cio_id": person["cio_id"] if person is not None else op.value,
            "timestamp": now if op.timestamp is None else op.timestamp,
            "data": op.data,
            "received_at": now,
        }
        self.events.append(record)
        if person is not None:
            self._remember(person, record)

    def _delete(self, op: Delete) -> None:
        person = self.find(op.kind, op.value)
        if person is None:
            return
        del self.people[person["cio_id"]]
        if person["id"] is not None:
            del self.by_id[person["id"]]
        self._index(self.by_email, person["attributes"].get("email"), None, person, True)
        self._index(self.by_phone, person["attributes"].get("phone"), None, person, False)

    def _create(self, kind: str, value: str, now: int) -> Person:
        cio_id = f"{self.next_cio:08x}"
        self.next_cio += 1
        person: Person = {
            "cio_id": cio_id,
            "id": None,
            "attributes": {},
            "timestamps": {},
            "activities": [],
            "created_at": now,
            "updated_at": now,
        }
        self.people[cio_id] = person
        if kind == "id":
            person["id"] = value
            self.by_id[value] = person
        elif kind in ("email", "phone"):
            person["attributes"][kind] = value
            person["timestamps"][kind] = now
            index = self.by_email if kind == "email" else self.by_phone
            self._index(index, None, value, person, kind == "email")
        return person

    def _check_capacity(self, person: Person, attributes: dict[str, Any]) -> None:
        stored = person["attributes"]
        if len(stored) + len(attributes) <= ATTRIBUTES_LIMIT:
            return
        after = len(stored)
        for name, value in attributes.items():
            if value is None or value == "":
                after -= name in stored
            else:
                after += name not in stored
        if after > ATTRIBUTES_LIMIT:
            raise EntryError(
                "too_many",
                "attributes",
                f"person would hold more than {ATTRIBUTES_LIMIT} attributes",
            )

    def _fail(self, person: Person | None, now: int, field: str, message: str) -> None:
        self.attribute_update_failures += 1
        if person is not None:
            activity = {
                "type": "failed_attribute_change",
                "timestamp": now,
                "data": {"field": field, "reason": message},
            }
            self._remember(person, activity)

    @staticmethod
    def _remember(person: Person, activity: dict[str, Any]) -> None:
        activities = person["activities"]
        activities.append(activity)
        if len(activities) > ACTIVITY_LIMIT:
            del activities[0]

    @staticmethod
    def _index(index: dict[str, Person], old: Any, new: Any, person: Person, fold: bool) -> None:
        """Move ``person`` from key ``old`` to key ``new`` (non-string values are not indexed)."""
        if old == new:
            return
        old_key = (_email_key(old) if fold else old) if type(old) is str else ""
        if old_key and index.get(old_key) is person:
            del index[old_key]
        if type(new) is str and (key := _email_key(new) if fold else new):
            index[key] = person


def _email_key(email: str) -> str:
    """How Customer.io tells emails apart: case and surrounding whitespace do not count."""
    return email.strip().lower()
