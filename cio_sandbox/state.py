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
  else, or change an id a person already has (except when addressed by ``cio_id``, which may
  set any id nobody has), is answered like any other (200) but not applied: the whole
  update is dropped and a ``failed_attribute_change`` activity is recorded on the identified
  person (Customer.io's "Attribute Update Failure"). An ``id`` nobody had is
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

Beyond people and events (docs/customerio-sandbox.md has the sources and where they are silent):

* Objects are keyed by ``(object_type_id, object_id)`` and get an immutable ``cio_object_id``;
  identify creates (by type and id) or updates (also by ``cio_object_id``); null or ``""``
  removes an attribute; attributes over 100 KB in total refuse the operation. Deleting an
  object removes its relationships.
* A relationship joins one person and one object and carries attributes merged like object
  attributes. Adding one creates a missing object (by type and id) and a missing person (by
  id or email, as events do); deleting one never creates anything.
* Manual segments hold people by ``cio_id``; adds and removes ignore people who do not exist.
* Delete forgets the person, their relationships and memberships. Suppress deletes too and
  blocks the id and email the person had (and the identifier named): any later operation
  naming a blocked identifier, as its identifier or as a body ``id``/``email``, is answered
  200 and ignored (``suppressed_ignored`` counts them). Unsuppress lifts the block of every
  identifier suppressed with the named one; it does not bring the profile back.
* Merge: both people must exist (else a no-op). The primary gains the secondary's attributes
  it does not have (email included, never the id), its events of the last 30 days, its
  manual segments and relationships; then the secondary is deleted.
"""

import sys
import time
from typing import Any

import orjson

from cio_sandbox.validation import (
    ATTRIBUTES_LIMIT,
    OBJECT_ATTRIBUTES_LIMIT,
    Delete,
    EntryError,
    Identify,
    Member,
    Merge,
    ObjectDelete,
    ObjectIdentify,
    ObjectRef,
    ObjectRelate,
    Operation,
    Relate,
    Relation,
    Suppress,
    Track,
)

Person = dict[str, Any]
Obj = dict[str, Any]
Segment = dict[str, Any]

ACTIVITY_LIMIT = 100  # activities kept per person; bounds memory when a profile is hammered
MERGED_EVENTS_WINDOW = 30 * 24 * 3600  # a merge moves the secondary's events this recent
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
        self.objects: dict[str, Obj] = {}  # by cio_object_id
        self.by_object: dict[tuple[str, str], Obj] = {}  # by (object_type_id, object_id)
        self.next_object = 1
        # Relationship attributes by person cio_id, then cio_object_id; ``members`` holds the
        # same dicts by cio_object_id, then cio_id, so either side reads them directly.
        self.relations: dict[str, dict[str, dict[str, Any]]] = {}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}
        self.segments: dict[int, Segment] = {}
        self.next_segment = 1
        # "id:<id>" / "email:<folded email>" / "cio_id:<cio_id>" -> its suppression record
        self.suppressed: dict[str, dict[str, Any]] = {}
        self.merges: list[dict[str, Any]] = []
        self.suppressed_ignored = 0
        self.failed_events = 0
        self.merges_ignored = 0
        self.membership_ids_ignored = 0  # segment add/remove ids that named nobody

    def find(self, kind: str, value: str) -> Person | None:
        if kind == "id":
            return self.by_id.get(value)
        if kind == "email":
            return self.by_email.get(_email_key(value))
        if kind == "phone":
            return self.by_phone.get(value)
        return self.people.get(value)

    def find_object(self, target: ObjectRef) -> Obj | None:
        if target.cio_object_id is not None:
            return self.objects.get(target.cio_object_id)
        assert target.type_id is not None and target.object_id is not None
        return self.by_object.get((target.type_id, target.object_id))

    def is_suppressed(self, kind: str, value: Any) -> bool:
        return type(value) is str and _suppression_key(kind, value) in self.suppressed

    def apply(self, op: Operation) -> None:
        """Apply one validated operation; raise :class:`EntryError` if the store refuses it."""
        now = int(time.time())
        if isinstance(op, Identify):
            self._identify(op, now)
        elif isinstance(op, Track):
            self._track(op, now)
        elif isinstance(op, Delete):
            person = self.find(op.kind, op.value)
            if person is not None:
                self._remove(person)
        elif isinstance(op, Relate):
            self._relate_person(op, now)
        elif isinstance(op, Merge):
            self._merge_people(op, now)
        elif isinstance(op, Suppress):
            self._suppress(op, now)
        elif isinstance(op, ObjectIdentify):
            self._identify_object(op, now)
        elif isinstance(op, ObjectRelate):
            self._relate_object(op, now)
        else:
            self._delete_object(op)

    # Manual segments (App API creates them, Track v1 adds and removes members)

    def create_segment(self, name: str, description: str, now: int) -> Segment:
        segment_id = self.next_segment
        self.next_segment += 1
        segment: Segment = {
            "id": segment_id,
            "deduplicate_id": f"{segment_id}:{now}",
            "name": name,
            "description": description,
            "state": "finished",
            "progress": None,
            "type": "manual",
            "tags": None,
            "created_at": now,
            "updated_at": now,
            "members": {},  # cio_id -> None, in the order people joined
        }
        self.segments[segment_id] = segment
        return segment

    def change_membership(self, segment: Segment, kind: str, ids: list[str], add: bool) -> int:
        """Add or remove the people named; returns how many ids named nobody (ignored)."""
        members = segment["members"]
        ignored = 0
        for value in ids:
            person = self.find(kind, value)
            if person is None:
                ignored += 1
            elif add:
                members[person["cio_id"]] = None
            else:
                members.pop(person["cio_id"], None)
        segment["updated_at"] = int(time.time())
        return ignored

    def segments_of(self, person: Person) -> list[Segment]:
        cio_id = person["cio_id"]
        return [segment for segment in self.segments.values() if cio_id in segment["members"]]

    def stats(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "events": len(self.events),
            "duplicate_events_ignored": self.duplicate_events_ignored,
            "entries_accepted": self.entries_accepted,
            "entries_rejected": self.entries_rejected,
            "attribute_update_failures": self.attribute_update_failures,
            "objects": len(self.objects),
            "relationships": sum(len(objects) for objects in self.relations.values()),
            "segments": len(self.segments),
            "suppressed_identifiers": len(self.suppressed),
            "suppressed_ignored": self.suppressed_ignored,
            "merges": len(self.merges),
            "merges_ignored": self.merges_ignored,
            "failed_events": self.failed_events,
            "membership_ids_ignored": self.membership_ids_ignored,
        }

    def suppressions(self) -> list[dict[str, Any]]:
        """One record per suppress operation still in force, oldest first."""
        unique = {id(record): record for record in self.suppressed.values()}
        return sorted(unique.values(), key=lambda record: record["suppressed_at"])

    def snapshot(self) -> dict[str, Any]:
        """What rebuilds the workspace; counters describe one run and are not kept."""
        return {
            "version": 2,
            "next_cio": self.next_cio,
            "people": list(self.people.values()),
            "events": self.events,
            "event_ids": sorted(self.event_ids),
            "next_object": self.next_object,
            "objects": list(self.objects.values()),
            "relationships": [
                [cio_id, cio_object_id, attributes]
                for cio_id, objects in self.relations.items()
                for cio_object_id, attributes in objects.items()
            ],
            "next_segment": self.next_segment,
            "segments": [
                {**segment, "members": list(segment["members"])}
                for segment in self.segments.values()
            ],
            "suppressions": self.suppressions(),
            "merges": self.merges,
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild from :meth:`snapshot`; a version 1 snapshot (people and events) also loads."""
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
        self.next_object = snapshot.get("next_object", 1)
        for obj in snapshot.get("objects", []):
            self.objects[obj["cio_object_id"]] = obj
            self.by_object[(obj["object_type_id"], obj["object_id"])] = obj
        for cio_id, cio_object_id, attributes in snapshot.get("relationships", []):
            self.relations.setdefault(cio_id, {})[cio_object_id] = attributes
            self.members.setdefault(cio_object_id, {})[cio_id] = attributes
        self.next_segment = snapshot.get("next_segment", 1)
        for segment in snapshot.get("segments", []):
            members = dict.fromkeys(segment["members"])
            self.segments[segment["id"]] = {**segment, "members": members}
        for record in snapshot.get("suppressions", []):
            for key in record["keys"]:
                self.suppressed[key] = record
        self.merges = snapshot.get("merges", [])

    def _blocked(self, kind: str, value: str, attributes: dict[str, Any] | None = None) -> bool:
        """Whether the operation names a suppressed identifier (and must be ignored)."""
        if not self.suppressed:
            return False
        blocked = self.is_suppressed(kind, value)
        if not blocked and attributes is not None:
            blocked = self.is_suppressed("id", attributes.get("id")) or self.is_suppressed(
                "email", attributes.get("email")
            )
        if blocked:
            self.suppressed_ignored += 1
        return blocked

    def _identify(self, op: Identify, now: int) -> None:
        attributes = op.attributes
        if self._blocked(op.kind, op.value, attributes):
            return
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
            # Addressed by cio_id, a person's id may change to one nobody has.
            renamable = current_id is None or (op.kind == "cio_id" and person is not None)
            if body_id != current_id and renamable and body_id not in self.by_id:
                new_id = body_id
            elif body_id != current_id:
                self._fail(person, now, "id", "id belongs to another person or cannot change")
                return
        if email_owner is not None and email_owner is not person:
            if person is None and op.kind == "id" and not op.update_only:
                person = self._create(op.kind, op.value, now)
            self._fail(person, now, "email", "email belongs to another person")
            return
        if person is not None:
            self._check_capacity(person, attributes)
        elif op.update_only or op.kind == "cio_id":
            return
        relations = self._resolve_relations(op.relations, True, person) if op.relations else []
        if person is None:
            person = self._create(op.kind, op.value, now)
        if new_id is not None and person["id"] != new_id:
            if person["id"] is not None:
                del self.by_id[person["id"]]
            person["id"] = new_id
            self.by_id[new_id] = person
        self._merge(person, attributes, op.timestamp, now)
        for target, obj, merged in relations:
            self._link(person, obj or self._create_object(target, now), merged, now)

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
        if self._blocked(op.kind, op.value):
            return
        if op.failed:
            self._fail_event(op, now)
            return
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

    def _fail_event(self, op: Track, now: int) -> None:
        """Customer.io's silent event failure: 200 to the client, a failed_event activity."""
        self.failed_events += 1
        person = self.find(op.kind, op.value)
        if person is None and op.kind != "cio_id":
            person = self._create(op.kind, op.value, now)
        if person is not None:
            activity = {
                "type": "failed_event",
                "timestamp": now,
                "name": op.name,
                "data": {"reason": "sandbox fault injection: event failed", "data": op.data},
            }
            self._remember(person, activity)

    def _remove(self, person: Person) -> None:
        """Forget a person with their relationships and segment memberships (events stay)."""
        cio_id = person["cio_id"]
        del self.people[cio_id]
        if person["id"] is not None:
            del self.by_id[person["id"]]
        self._index(self.by_email, person["attributes"].get("email"), None, person, True)
        self._index(self.by_phone, person["attributes"].get("phone"), None, person, False)
        for cio_object_id in self.relations.pop(cio_id, {}):
            self._drop_member(cio_object_id, cio_id)
        for segment in self.segments.values():
            segment["members"].pop(cio_id, None)

    def _drop_member(self, cio_object_id: str, cio_id: str) -> None:
        members = self.members.get(cio_object_id)
        if members is not None:
            members.pop(cio_id, None)
            if not members:
                del self.members[cio_object_id]

    # Suppression and merges

    def _suppress(self, op: Suppress, now: int) -> None:
        key = _suppression_key(op.kind, op.value)
        if not op.suppress:
            record = self.suppressed.get(key)
            if record is not None:
                for blocked in record["keys"]:
                    self.suppressed.pop(blocked, None)
            return
        person = self.find(op.kind, op.value)
        identifiers: dict[str, Any] = {op.kind: op.value}
        if person is not None:
            email = person["attributes"].get("email")
            identifiers = {"id": person["id"], "email": email if type(email) is str else None}
            identifiers = {k: v for k, v in identifiers.items() if v is not None}
            identifiers["cio_id"] = person["cio_id"]
            self._remove(person)
        keys = sorted({key} | {_suppression_key(k, v) for k, v in identifiers.items()})
        record = {"keys": keys, "identifiers": identifiers, "suppressed_at": now}
        for blocked in keys:
            self.suppressed[blocked] = record

    def _merge_people(self, op: Merge, now: int) -> None:
        primary = self.find(*op.primary)
        secondary = self.find(*op.secondary)
        if primary is None or secondary is None or primary is secondary:
            self.merges_ignored += 1
            return
        gained = {
            name: value
            for name, value in secondary["attributes"].items()
            if name not in primary["attributes"] and name != "id"
        }
        moved_events = self._move_events(secondary, primary, now)
        secondary_segments = self.segments_of(secondary)
        secondary_relations = dict(self.relations.get(secondary["cio_id"], {}))
        record = {
            "primary": {"cio_id": primary["cio_id"], "id": primary["id"]},
            "secondary": {
                "cio_id": secondary["cio_id"],
                "id": secondary["id"],
                "email": secondary["attributes"].get("email"),
            },
            "merged_at": now,
            "attributes": sorted(gained),
            "events": moved_events,
            "segments": [segment["id"] for segment in secondary_segments],
            "relationships": len(secondary_relations),
        }
        self._remove(secondary)
        self._merge(primary, gained, None, now)
        for segment in secondary_segments:
            segment["members"][primary["cio_id"]] = None
        theirs = self.relations.get(primary["cio_id"], {})
        for cio_object_id, attributes in secondary_relations.items():
            if cio_object_id not in theirs:
                self._link(primary, self.objects[cio_object_id], attributes, now)
        self._remember(
            primary, {"type": "profile_merge", "timestamp": now, "data": record["secondary"]}
        )
        self.merges.append(record)

    def _move_events(self, source: Person, target: Person, now: int) -> int:
        """Re-attribute the source's recent events to the target; returns how many moved."""
        since = now - MERGED_EVENTS_WINDOW
        moved = 0
        for event in self.events:
            if event["cio_id"] == source["cio_id"] and event["timestamp"] >= since:
                event["cio_id"] = target["cio_id"]
                event["person_id"] = target["id"]
                self._remember(target, event)
                moved += 1
        return moved

    # Objects and relationships

    def _identify_object(self, op: ObjectIdentify, now: int) -> None:
        obj = self.find_object(op.target)
        if obj is None and op.target.cio_object_id is not None:
            return  # cio_object_id only updates
        stored = obj["attributes"] if obj is not None else {}
        merged = _merged(stored, op.attributes, "attributes")
        members = self._resolve_members(obj, op.members, add=True)
        if obj is None:
            obj = self._create_object(op.target, now)
        if merged != stored:
            for name in set(stored) | set(merged):
                if merged.get(name, _MISSING) != stored.get(name, _MISSING):
                    if name in merged:
                        obj["timestamps"][name] = now
                    else:
                        obj["timestamps"].pop(name, None)
            obj["attributes"] = merged
            obj["updated_at"] = now
        for member, person, attributes in members:
            self._link(person or self._create_member(member, now), obj, attributes, now)

    def _relate_object(self, op: ObjectRelate, now: int) -> None:
        obj = self.find_object(op.target)
        if obj is None and (not op.add or op.target.cio_object_id is not None):
            return
        members = self._resolve_members(obj, op.members, add=op.add)
        if obj is None:
            obj = self._create_object(op.target, now)
        for member, person, attributes in members:
            if op.add:
                self._link(person or self._create_member(member, now), obj, attributes, now)
            elif person is not None:
                self._unlink(person, obj, now)

    def _relate_person(self, op: Relate, now: int) -> None:
        if self._blocked(op.kind, op.value):
            return
        person = self.find(op.kind, op.value)
        if person is None and (not op.add or op.kind == "cio_id"):
            return
        relations = self._resolve_relations(op.relations, op.add, person)
        if person is None:
            person = self._create(op.kind, op.value, now)
        for target, obj, merged in relations:
            if op.add:
                self._link(person, obj or self._create_object(target, now), merged, now)
            elif obj is not None:
                self._unlink(person, obj, now)

    def _resolve_relations(
        self, relations: list[Relation], add: bool, person: Person | None = None
    ) -> list[tuple[ObjectRef, Obj | None, dict[str, Any]]]:
        """Each relation's object (None: create it) and merged attributes, all checked first."""
        resolved = []
        current = self.relations.get(person["cio_id"], {}) if person is not None else {}
        for index, relation in enumerate(relations):
            obj = self.find_object(relation.target)
            if obj is None and (not add or relation.target.cio_object_id is not None):
                continue
            stored = current.get(obj["cio_object_id"], {}) if obj is not None else {}
            field = f"cio_relationships[{index}].relationship_attributes"
            resolved.append((relation.target, obj, _merged(stored, relation.attributes, field)))
        return resolved

    def _resolve_members(
        self, obj: Obj | None, members: list[Member], add: bool
    ) -> list[tuple[Member, Person | None, dict[str, Any]]]:
        """Each member's person (None: create one) and merged attributes, all checked first."""
        resolved = []
        current = self.members.get(obj["cio_object_id"], {}) if obj is not None else {}
        for index, member in enumerate(members):
            if self._blocked(member.kind, member.value):
                continue
            person = self.find(member.kind, member.value)
            if person is None and (not add or member.kind == "cio_id"):
                continue
            stored = current.get(person["cio_id"], {}) if person is not None else {}
            field = f"cio_relationships[{index}].relationship_attributes"
            resolved.append((member, person, _merged(stored, member.attributes, field)))
        return resolved

    def _create_member(self, member: Member, now: int) -> Person:
        # A person named twice in one list is created once.
        existing = self.find(member.kind, member.value)
        return existing or self._create(member.kind, member.value, now)

    def _create_object(self, target: ObjectRef, now: int) -> Obj:
        assert target.type_id is not None and target.object_id is not None
        existing = self.by_object.get((target.type_id, target.object_id))
        if existing is not None:
            return existing
        cio_object_id = f"o{self.next_object:07x}"
        self.next_object += 1
        obj: Obj = {
            "cio_object_id": cio_object_id,
            "object_type_id": target.type_id,
            "object_id": target.object_id,
            "attributes": {},
            "timestamps": {},
            "created_at": now,
            "updated_at": now,
        }
        self.objects[cio_object_id] = obj
        self.by_object[(target.type_id, target.object_id)] = obj
        return obj

    def _delete_object(self, op: ObjectDelete) -> None:
        obj = self.find_object(op.target)
        if obj is None:
            return
        cio_object_id = obj["cio_object_id"]
        del self.objects[cio_object_id]
        del self.by_object[(obj["object_type_id"], obj["object_id"])]
        for cio_id in self.members.pop(cio_object_id, {}):
            objects = self.relations.get(cio_id)
            if objects is not None:
                objects.pop(cio_object_id, None)
                if not objects:
                    del self.relations[cio_id]

    def _link(self, person: Person, obj: Obj, attributes: dict[str, Any], now: int) -> None:
        cio_id, cio_object_id = person["cio_id"], obj["cio_object_id"]
        objects = self.relations.setdefault(cio_id, {})
        known = cio_object_id in objects
        if known and objects[cio_object_id] == attributes:
            return
        objects[cio_object_id] = attributes
        self.members.setdefault(cio_object_id, {})[cio_id] = attributes
        kind = "relationship_attribute_change" if known else "add_relationship"
        data = {**_object_identifiers(obj), "relationship_attributes": attributes}
        self._remember(person, {"type": kind, "timestamp": now, "data": data})

    def _unlink(self, person: Person, obj: Obj, now: int) -> None:
        objects = self.relations.get(person["cio_id"])
        if objects is None or objects.pop(obj["cio_object_id"], None) is None:
            return
        if not objects:
            del self.relations[person["cio_id"]]
        self._drop_member(obj["cio_object_id"], person["cio_id"])
        activity = {"type": "delete_relationship", "timestamp": now}
        self._remember(person, {**activity, "data": _object_identifiers(obj)})

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


def _suppression_key(kind: str, value: str) -> str:
    return f"email:{_email_key(value)}" if kind == "email" else f"{kind}:{value}"


def _object_identifiers(obj: Obj) -> dict[str, str]:
    return {
        "object_type_id": obj["object_type_id"],
        "object_id": obj["object_id"],
        "cio_object_id": obj["cio_object_id"],
    }


def _merged(stored: dict[str, Any], changes: dict[str, Any], field: str) -> dict[str, Any]:
    """Object or relationship attributes after ``changes`` (null or "" removes), size-checked."""
    merged = dict(stored)
    for name, value in changes.items():
        if value is None or value == "":
            merged.pop(name, None)
        else:
            merged[name] = value
    if len(orjson.dumps(merged)) > OBJECT_ATTRIBUTES_LIMIT:
        raise EntryError(
            "too_large", field, f"attributes would total more than {OBJECT_ATTRIBUTES_LIMIT} bytes"
        )
    return merged
