"""Checks Track API operations against Customer.io's documented shapes and limits.

Validation runs before an operation touches the store, so a rejected entry leaves nothing
behind (a 207 reports it while its neighbours apply) and all limits live in one place.
Every check raises :class:`EntryError`, whose three fields become the ``reason``, ``field``
and ``message`` of Customer.io's error bodies.

Sizes are UTF-8 bytes. A string attribute value is measured as its raw text; any other value
as its compact JSON, which is what a client naturally computes before sending.

Objects (``type: object``) and relationships follow the Track v2 spec: an object is named by
``object_type_id`` (a string-formatted integer from 1) and ``object_id``, or by the immutable
``cio_object_id`` for updates; their attributes have no per-value limit, but an object's
attributes, and one relationship's attributes, total at most 100 KB (checked by the store,
which sees the merged result).
"""

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import orjson

ENTITY_REQUEST_LIMIT = 32 * 1024  # a /v2/entity body must be under this
BATCH_REQUEST_LIMIT = 500 * 1024  # a /v2/batch body must be under this
ENTRY_LIMIT = 32 * 1024  # one entry inside a batch: this or less
ID_LIMIT = 150
ATTRIBUTE_NAME_LIMIT = 150
ATTRIBUTE_VALUE_LIMIT = 1000
ATTRIBUTES_LIMIT = 300  # per identify, and unique attributes per person
EVENT_NAME_LIMIT = 100
OBJECT_ATTRIBUTES_LIMIT = 100 * 1024  # an object's attributes, or one relationship's, in total
OBJECT_ID_LIMIT = 150

IDENTIFIER_KINDS = frozenset({"id", "email", "phone", "cio_id"})
MERGE_IDENTIFIER_KINDS = frozenset({"id", "email", "cio_id"})
RELATIONSHIP_ACTIONS = frozenset({"add_relationships", "delete_relationships"})
SUPPORTED_ACTIONS = frozenset(
    {"identify", "event", "delete", "merge", "suppress", "unsuppress"} | RELATIONSHIP_ACTIONS
)
OBJECT_ACTIONS = frozenset({"identify", "delete"} | RELATIONSHIP_ACTIONS)
# Documented by Customer.io but not simulated: refused as "unsupported" rather than "invalid"
# so a test failure says the sandbox, not the client, is the limit.
UNSUPPORTED_ACTIONS = frozenset(
    {"add_device", "delete_device", "page", "screen", "identify_anonymous"}
)

_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", re.IGNORECASE)
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# Below these lengths a string cannot exceed its byte limit (UTF-8 uses at most 4 bytes per
# character), which spares an encode() for nearly every name and value.
_SAFE_NAME_CHARS = ATTRIBUTE_NAME_LIMIT // 4
_SAFE_VALUE_CHARS = ATTRIBUTE_VALUE_LIMIT // 4


class EntryError(Exception):
    """One rejected operation, in Customer.io's error vocabulary."""

    def __init__(self, reason: str, field: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field
        self.message = message

    def as_dict(self, batch_index: int | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {
            "reason": self.reason,
            "field": self.field,
            "message": self.message,
        }
        if batch_index is not None:
            error = {"batch_index": batch_index, **error}
        return error


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An object by ``(object_type_id, object_id)``, or (updates only) by ``cio_object_id``."""

    type_id: str | None
    object_id: str | None
    cio_object_id: str | None = None


@dataclass(slots=True)
class Relation:
    """One relationship as a person operation lists it: the object and relationship attributes."""

    target: ObjectRef
    attributes: dict[str, Any]


@dataclass(slots=True)
class Member:
    """One relationship as an object operation lists it: the person and relationship attributes."""

    kind: str
    value: str
    attributes: dict[str, Any]


@dataclass(slots=True)
class Identify:
    kind: str
    value: str
    attributes: dict[str, Any]
    timestamp: int | None
    update_only: bool
    relations: list[Relation] = dataclasses.field(default_factory=list)


@dataclass(slots=True)
class Track:
    kind: str
    value: str
    name: str
    event_id: str | None
    timestamp: int | None
    data: dict[str, Any]
    # Set by fault injection: accepted (200) but recorded as a failed_event activity instead.
    failed: bool = False


@dataclass(slots=True)
class Delete:
    kind: str
    value: str


@dataclass(slots=True)
class Relate:
    """``add_relationships`` (``add``) or ``delete_relationships`` on a person."""

    kind: str
    value: str
    relations: list[Relation]
    add: bool


@dataclass(slots=True)
class Merge:
    primary: tuple[str, str]
    secondary: tuple[str, str]


@dataclass(slots=True)
class Suppress:
    """``suppress`` (``suppress=True``) or ``unsuppress`` of a person's identifier."""

    kind: str
    value: str
    suppress: bool


@dataclass(slots=True)
class ObjectIdentify:
    target: ObjectRef
    attributes: dict[str, Any]
    members: list[Member]


@dataclass(slots=True)
class ObjectRelate:
    target: ObjectRef
    members: list[Member]
    add: bool


@dataclass(slots=True)
class ObjectDelete:
    target: ObjectRef


PersonOp = Identify | Track | Delete | Relate | Merge | Suppress
ObjectOp = ObjectIdentify | ObjectRelate | ObjectDelete
Operation = PersonOp | ObjectOp


def parse_v2_operation(op: Any) -> Operation:
    """Validate one ``/v2/entity`` body or ``/v2/batch`` entry."""
    if type(op) is not dict:
        raise EntryError("invalid", "", "operation must be a JSON object")
    entity_type = op.get("type")
    if entity_type is None:
        raise EntryError("required", "type", "type is required")
    if entity_type == "object":
        return _parse_object_operation(op)
    if entity_type != "person":
        raise EntryError("unsupported", "type", "the sandbox simulates people and objects only")
    action = _check_action(op, SUPPORTED_ACTIONS)
    if action == "merge":
        return Merge(
            _check_merge_side(op.get("primary"), "primary"),
            _check_merge_side(op.get("secondary"), "secondary"),
        )
    kind, value = _check_identifiers(op.get("identifiers"))
    if action == "identify":
        attributes, update_only = _check_attributes(op.get("attributes"), "attributes")
        timestamp = _check_timestamp(op.get("timestamp"), "timestamp")
        relations = op.get("cio_relationships")
        checked = [] if relations is None else _check_relations(relations, "cio_relationships")
        return Identify(kind, value, attributes, timestamp, update_only, checked)
    if action == "event":
        name = _check_event_name(op.get("name"), "name")
        event_id = _check_event_id(op.get("id"), "id")
        timestamp = _check_timestamp(op.get("timestamp"), "timestamp")
        data = _check_event_data(op.get("attributes"), "attributes")
        return Track(kind, value, name, event_id, timestamp, data)
    if action in RELATIONSHIP_ACTIONS:
        relations = op.get("cio_relationships")
        if relations is None:
            raise EntryError("required", "cio_relationships", "cio_relationships is required")
        checked = _check_relations(relations, "cio_relationships")
        return Relate(kind, value, checked, action == "add_relationships")
    if action in ("suppress", "unsuppress"):
        if kind == "phone":
            raise EntryError("invalid", "identifiers.phone", f"cannot {action} by phone")
        return Suppress(kind, value, action == "suppress")
    return Delete(kind, value)


def _check_action(op: dict[str, Any], supported: frozenset[str]) -> str:
    action = op.get("action")
    if action is None:
        raise EntryError("required", "action", "action is required")
    if type(action) is not str:
        raise EntryError("invalid", "action", "action must be a string")
    if action not in supported:
        if action in UNSUPPORTED_ACTIONS:
            raise EntryError("unsupported", "action", f"the sandbox does not simulate {action}")
        raise EntryError("invalid", "action", "unknown action")
    return action


def _parse_object_operation(op: dict[str, Any]) -> ObjectOp:
    action = _check_action(op, OBJECT_ACTIONS)
    target = check_object_identifiers(op.get("identifiers"), "identifiers")
    if action == "delete":
        return ObjectDelete(target)
    members_value = op.get("cio_relationships")
    if action == "identify":
        if target.cio_object_id is None and target.object_id is None:
            raise EntryError("required", "identifiers", "object_id is required")
        attributes = _check_object_attributes(op.get("attributes"), "attributes")
        members = [] if members_value is None else _check_members(members_value)
        return ObjectIdentify(target, attributes, members)
    if members_value is None:
        raise EntryError("required", "cio_relationships", "cio_relationships is required")
    return ObjectRelate(target, _check_members(members_value), action == "add_relationships")


def check_object_identifiers(identifiers: Any, field: str) -> ObjectRef:
    """``{object_type_id, object_id}`` or ``{cio_object_id}``."""
    if type(identifiers) is not dict or not identifiers:
        raise EntryError(
            "required" if identifiers is None else "invalid",
            field,
            "identifiers must hold object_type_id and object_id, or cio_object_id",
        )
    if "cio_object_id" in identifiers:
        cio_object_id = identifiers["cio_object_id"]
        if len(identifiers) != 1 or type(cio_object_id) is not str or not cio_object_id:
            raise EntryError(
                "invalid", f"{field}.cio_object_id", "cio_object_id must stand alone, a string"
            )
        return ObjectRef(None, None, cio_object_id)
    if set(identifiers) != {"object_type_id", "object_id"}:
        raise EntryError(
            "invalid", field, "identifiers must hold object_type_id and object_id, or cio_object_id"
        )
    return ObjectRef(
        check_object_type_id(identifiers["object_type_id"], f"{field}.object_type_id"),
        _check_object_id(identifiers["object_id"], f"{field}.object_id"),
    )


def check_object_type_id(value: Any, field: str) -> str:
    """A string-formatted integer from 1 (an integer is accepted and read as its digits)."""
    if type(value) is int and value >= 1:
        return str(value)
    if type(value) is not str or not value.isdigit() or int(value) < 1:
        raise EntryError("invalid", field, "object_type_id must be a string integer from 1")
    return str(int(value))


def _check_object_id(value: Any, field: str) -> str:
    if type(value) is int:
        value = str(value)
    if type(value) is not str or not value:
        raise EntryError("invalid", field, "object_id must be a non-empty string")
    if len(value.encode()) > OBJECT_ID_LIMIT:
        raise EntryError("too_long", field, f"object_id is longer than {OBJECT_ID_LIMIT} bytes")
    return value


def _check_object_attributes(attributes: Any, field: str) -> dict[str, Any]:
    if attributes is None:
        return {}
    if type(attributes) is not dict:
        raise EntryError("invalid", field, "attributes must be a JSON object")
    for name in attributes:
        if not name:
            raise EntryError("invalid", field, "attribute name is empty")
        if len(name.encode()) > ATTRIBUTE_NAME_LIMIT:
            raise EntryError(
                "too_long",
                f"{field}.{name[:40]}",
                f"name is longer than {ATTRIBUTE_NAME_LIMIT} bytes",
            )
    return attributes


def _check_relations(relations: Any, field: str) -> list[Relation]:
    if type(relations) is not list or not relations:
        raise EntryError("invalid", field, f"{field} must be a non-empty list")
    checked = []
    for index, relation in enumerate(relations):
        where = f"{field}[{index}]"
        if type(relation) is not dict:
            raise EntryError("invalid", where, "a relationship must be a JSON object")
        target = check_object_identifiers(relation.get("identifiers"), f"{where}.identifiers")
        if target.cio_object_id is None and target.type_id is None:
            raise EntryError("required", f"{where}.identifiers", "object_type_id is required")
        attributes = _check_object_attributes(
            relation.get("relationship_attributes"), f"{where}.relationship_attributes"
        )
        checked.append(Relation(target, attributes))
    return checked


def _check_members(members: Any) -> list[Member]:
    field = "cio_relationships"
    if type(members) is not list or not members:
        raise EntryError("invalid", field, f"{field} must be a non-empty list")
    checked = []
    for index, member in enumerate(members):
        where = f"{field}[{index}]"
        if type(member) is not dict:
            raise EntryError("invalid", where, "a relationship must be a JSON object")
        kind, value = _check_identifiers(member.get("identifiers"), f"{where}.identifiers")
        if kind == "phone":
            raise EntryError("invalid", f"{where}.identifiers", "relate people by id/email/cio_id")
        attributes = _check_object_attributes(
            member.get("relationship_attributes"), f"{where}.relationship_attributes"
        )
        checked.append(Member(kind, value, attributes))
    return checked


def _check_merge_side(side: Any, field: str) -> tuple[str, str]:
    if side is None:
        raise EntryError("required", field, f"{field} is required")
    kind, value = _check_identifiers(side, field)
    if kind not in MERGE_IDENTIFIER_KINDS:
        raise EntryError("invalid", f"{field}.{kind}", "merge people by id, email or cio_id")
    return kind, value


def parse_v1_identify(customer_id: str, body: Any) -> Identify:
    """Validate ``PUT /api/v1/customers/{id}``: the body is the attribute map."""
    value = check_customer_id(customer_id, "id")
    attributes, update_only = _check_attributes(body, "body")
    return Identify("id", value, attributes, None, update_only)


def parse_v1_event(customer_id: str, body: Any) -> Track:
    """Validate ``POST /api/v1/customers/{id}/events``: ``{name, id?, timestamp?, data?}``."""
    value = check_customer_id(customer_id, "id")
    if type(body) is not dict:
        raise EntryError("invalid", "body", "body must be a JSON object")
    name = _check_event_name(body.get("name"), "name")
    event_id = _check_event_id(body.get("id"), "id")
    timestamp = _check_timestamp(body.get("timestamp"), "timestamp")
    data = _check_event_data(body.get("data"), "data")
    return Track("id", value, name, event_id, timestamp, data)


def parse_v1_merge(body: Any) -> Merge:
    """Validate ``POST /api/v1/merge_customers``: ``{primary: {kind: value}, secondary: ...}``."""
    if type(body) is not dict:
        raise EntryError("invalid", "body", "body must be a JSON object")
    return Merge(
        _check_merge_side(body.get("primary"), "primary"),
        _check_merge_side(body.get("secondary"), "secondary"),
    )


def v1_path_identifier(raw: str) -> tuple[str, str]:
    """A v1 path identifier: ``cio_<cio_id>``, an email (it holds ``@``) or else an id."""
    if raw.startswith("cio_") and len(raw) > 4:
        return "cio_id", raw[4:]
    if "@" in raw:
        return "email", raw
    return "id", check_customer_id(raw, "identifier")


def check_customer_id(value: Any, field: str) -> str:
    """A person id: a non-empty string (or integer, sent as its digits) of at most 150 bytes."""
    if type(value) is int:
        value = str(value)
    elif type(value) is not str or not value:
        raise EntryError("invalid", field, "id must be a non-empty string")
    if len(value) > _SAFE_NAME_CHARS and len(value.encode()) > ID_LIMIT:
        raise EntryError("too_long", field, f"id is longer than {ID_LIMIT} bytes")
    return value


def entry_size(op: Any) -> int:
    return len(orjson.dumps(op))


def _check_identifiers(identifiers: Any, where: str = "identifiers") -> tuple[str, str]:
    if identifiers is None:
        raise EntryError("required", where, f"{where} is required")
    if type(identifiers) is not dict or len(identifiers) != 1:
        raise EntryError(
            "invalid",
            where,
            f"{where} must hold exactly one of id, email, phone, cio_id",
        )
    ((kind, value),) = identifiers.items()
    field = f"{where}.{kind}"
    if kind not in IDENTIFIER_KINDS:
        raise EntryError("invalid", field, "unknown identifier")
    if kind == "id":
        return kind, check_customer_id(value, field)
    if type(value) is not str or not value:
        raise EntryError("invalid", field, f"{kind} must be a non-empty string")
    if kind == "email" and "@" not in value:
        raise EntryError("invalid", field, "email is not an email address")
    if kind == "phone" and not _E164.fullmatch(value):
        raise EntryError("invalid", field, "phone must be in E.164 format")
    return kind, value


def _check_attributes(attributes: Any, field: str) -> tuple[dict[str, Any], bool]:
    """Return the attributes without ``_update``, and whether ``_update`` was true."""
    if attributes is None:
        return {}, False
    if type(attributes) is not dict:
        raise EntryError("invalid", field, "attributes must be a JSON object")
    update_only = attributes.pop("_update", False) is True
    if len(attributes) > ATTRIBUTES_LIMIT:
        raise EntryError("too_many", field, f"more than {ATTRIBUTES_LIMIT} attributes")
    for name, value in attributes.items():
        if not name:
            raise EntryError("invalid", field, "attribute name is empty")
        if len(name) > _SAFE_NAME_CHARS and len(name.encode()) > ATTRIBUTE_NAME_LIMIT:
            raise EntryError(
                "too_long",
                f"{field}.{name[:40]}",
                f"name is longer than {ATTRIBUTE_NAME_LIMIT} bytes",
            )
        kind = type(value)
        if kind is str:
            too_long = (
                len(value) > _SAFE_VALUE_CHARS and len(value.encode()) > ATTRIBUTE_VALUE_LIMIT
            )
        elif kind is dict or kind is list:
            too_long = len(orjson.dumps(value)) > ATTRIBUTE_VALUE_LIMIT
        else:
            too_long = False
        if too_long:
            raise EntryError(
                "too_long", f"{field}.{name}", f"value is longer than {ATTRIBUTE_VALUE_LIMIT} bytes"
            )
    if "id" in attributes and attributes["id"] is not None:
        attributes["id"] = check_customer_id(attributes["id"], f"{field}.id")
    return attributes, update_only


def _check_timestamp(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value < 0:
        raise EntryError("invalid", field, "timestamp must be integer unix seconds")
    return value


def _check_event_name(name: Any, field: str) -> str:
    if name is None or name == "":
        raise EntryError("required", field, "event name is required")
    if type(name) is not str:
        raise EntryError("invalid", field, "event name must be a string")
    if len(name) > EVENT_NAME_LIMIT // 4 and len(name.encode()) > EVENT_NAME_LIMIT:
        raise EntryError("too_long", field, f"event name is longer than {EVENT_NAME_LIMIT} bytes")
    return name


def _check_event_id(event_id: Any, field: str) -> str | None:
    if event_id is None:
        return None
    if type(event_id) is not str or not _ULID.fullmatch(event_id):
        raise EntryError("invalid", field, "event id must be a ULID")
    return event_id


def _check_event_data(data: Any, field: str) -> dict[str, Any]:
    if data is None:
        return {}
    if type(data) is not dict:
        raise EntryError("invalid", field, "event data must be a JSON object")
    return data
