"""Serialise, validate and pack operations into Track API v2 batch request bodies.

Every entry is serialised exactly once (orjson), or arrives serialised from a producer that
vouches for its field limits (``Operation.prechecked``); its bytes are both measured against
the limits and joined into the request body, so the per-row cost stays a single dumps plus a
few dict lookups, or a length. Entries that break a Customer.io limit become Rejections here
and are never sent: Customer.io may drop oversize data silently instead of reporting it.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import orjson

from resources.customerio.limits import (
    ATTRIBUTE_NAME_MAX_BYTES,
    ATTRIBUTE_VALUE_MAX_BYTES,
    ATTRIBUTES_MAX_COUNT,
    BATCH_MAX_BYTES,
    ENTRY_MAX_BYTES,
    EVENT_NAME_MAX_BYTES,
    IDENTIFIER_MAX_BYTES,
    PERSON_IDENTIFIER_KEYS,
    RESERVED_ATTRIBUTE_KEYS,
)
from resources.customerio.operations import Operation, Reason, Rejection

_BODY_HEAD: Final = b'{"batch":['
_BODY_TAIL: Final = b"]}"
# Smallest batch_max_bytes that still fits one maximum-size entry in a request.
MIN_BATCH_MAX_BYTES: Final = ENTRY_MAX_BYTES + len(_BODY_HEAD) + len(_BODY_TAIL)
# UTF-8 spends at most 4 bytes per character: a string of at most limit // 4 characters
# cannot break a byte limit, which spares most values an encode().
_UTF8_MAX_BYTES_PER_CHAR: Final = 4
_SAFE_ID_CHARS: Final = IDENTIFIER_MAX_BYTES // _UTF8_MAX_BYTES_PER_CHAR
_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")
# Field names quoted in messages are cut to this many characters.
_FIELD_NAME_PREVIEW: Final = 40

Violation = tuple[str, str | None, str]


@dataclass(slots=True)
class Batch:
    """Serialised entries of one request, with the caller's keys in the same order."""

    keys: list[str]
    entries: list[bytes]

    def __len__(self) -> int:
        return len(self.entries)

    def body(self) -> bytes:
        """The request body, ``{"batch":[...]}``, built by joining the entries' bytes."""
        return _BODY_HEAD + b",".join(self.entries) + _BODY_TAIL

    def split(self) -> tuple["Batch", "Batch"]:
        """Two halves, used to narrow a rejected batch down to its bad entries."""
        middle = len(self.entries) // 2
        return (
            Batch(self.keys[:middle], self.entries[:middle]),
            Batch(self.keys[middle:], self.entries[middle:]),
        )


def _json_default(value: object) -> object:
    # Warehouse drivers hand out Decimal for NUMERIC columns; Customer.io wants a number.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def dumps(value: object) -> bytes:
    """Compact JSON as sent to Customer.io (Decimal becomes a number)."""
    return orjson.dumps(value, default=_json_default)


def utf8_len(text: str) -> int:
    """Length of a string in UTF-8 bytes (what Customer.io's byte limits count)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def attribute_value_bytes(value: object) -> int:
    """Size of an attribute value as Customer.io limits it: UTF-8 bytes of a string,
    the compact JSON of anything else."""
    if isinstance(value, str):
        return utf8_len(value)
    return len(dumps(value))


def _quoted(name: str) -> str:
    return name if len(name) <= _FIELD_NAME_PREVIEW else name[:_FIELD_NAME_PREVIEW] + "..."


def _identifier_violation(identifiers: object, field: str) -> Violation | None:
    if type(identifiers) is dict and len(identifiers) == 1:
        ((name, value),) = identifiers.items()
        # The common case, a plain short id, is decided without building any message.
        if (
            name == "id"
            and type(value) is str
            and 0 < len(value) <= _SAFE_ID_CHARS
            and not value.isspace()
        ):
            return None
    if not isinstance(identifiers, dict) or not identifiers:
        return (
            Reason.MISSING_IDENTIFIER,
            field,
            f"{field} must hold one of id, email, phone, cio_id",
        )
    if len(identifiers) != 1:
        names = ", ".join(sorted(_quoted(str(name)) for name in identifiers))
        return (
            Reason.MULTIPLE_IDENTIFIERS,
            field,
            f"{field} must hold exactly one identifier, got {len(identifiers)} ({names})",
        )
    ((name, value),) = identifiers.items()
    where = f"{field}.{_quoted(str(name))}"
    if name not in PERSON_IDENTIFIER_KEYS:
        return Reason.INVALID_IDENTIFIER, where, f"{where} is not one of id, email, phone, cio_id"
    if isinstance(value, bool) or not isinstance(value, str | int):
        return Reason.INVALID_IDENTIFIER, where, f"{where} must be a string"
    if isinstance(value, int):
        return None
    if not value.strip():
        return Reason.INVALID_IDENTIFIER, where, f"{where} is empty"
    if name == "id" and utf8_len(value) > IDENTIFIER_MAX_BYTES:
        return (
            Reason.IDENTIFIER_TOO_LONG,
            where,
            f"{where} is {utf8_len(value)} bytes, over the {IDENTIFIER_MAX_BYTES}-byte limit",
        )
    if name == "phone" and not _E164.fullmatch(value):
        return Reason.INVALID_IDENTIFIER, where, f"{where} must be in E.164 format (+15551234567)"
    return None


def _object_identifier_violation(identifiers: object) -> Violation | None:
    if not isinstance(identifiers, dict):
        return Reason.MISSING_IDENTIFIER, "identifiers", "identifiers must be an object"
    for name in ("object_type_id", "object_id"):
        value = identifiers.get(name)
        if value is None or value == "":
            return (
                Reason.MISSING_IDENTIFIER,
                f"identifiers.{name}",
                f"identifiers.{name} is missing",
            )
    return None


def _attribute_violation(attributes: object, entry_bytes: int) -> Violation | None:
    if attributes is None:
        return None
    if not isinstance(attributes, dict):
        return Reason.INVALID_ATTRIBUTES, "attributes", "attributes must be an object"
    if not attributes:
        return None
    count = len(attributes)
    if count > ATTRIBUTES_MAX_COUNT:
        count -= sum(1 for name in RESERVED_ATTRIBUTE_KEYS if name in attributes)
    if count > ATTRIBUTES_MAX_COUNT:
        return (
            Reason.TOO_MANY_ATTRIBUTES,
            "attributes",
            f"{count} attributes, over the limit of {ATTRIBUTES_MAX_COUNT} per entry",
        )
    # No name or value can be longer than the whole entry, so short entries skip the loops.
    if (
        entry_bytes > ATTRIBUTE_NAME_MAX_BYTES
        and max(map(len, attributes)) * _UTF8_MAX_BYTES_PER_CHAR > ATTRIBUTE_NAME_MAX_BYTES
    ):
        for name in attributes:
            size = utf8_len(name)
            if size > ATTRIBUTE_NAME_MAX_BYTES:
                where = f"attributes.{_quoted(name)}"
                return (
                    Reason.ATTRIBUTE_NAME_TOO_LONG,
                    where,
                    f"attribute name is {size} bytes, over the "
                    f"{ATTRIBUTE_NAME_MAX_BYTES}-byte limit",
                )
    if entry_bytes > ATTRIBUTE_VALUE_MAX_BYTES:
        for name, value in attributes.items():
            if isinstance(value, str):
                if len(value) * _UTF8_MAX_BYTES_PER_CHAR <= ATTRIBUTE_VALUE_MAX_BYTES:
                    continue
            elif not isinstance(value, dict | list):
                continue
            size = attribute_value_bytes(value)
            if size > ATTRIBUTE_VALUE_MAX_BYTES:
                where = f"attributes.{_quoted(name)}"
                return (
                    Reason.ATTRIBUTE_VALUE_TOO_LONG,
                    where,
                    f"{where} is {size} bytes, over the {ATTRIBUTE_VALUE_MAX_BYTES}-byte limit",
                )
    return None


def entry_violation(entry: object, entry_bytes: int) -> Violation | None:
    """The first Customer.io limit an entry breaks, as (reason, field, message), or None.

    `entry_bytes` is the size of the entry's serialised JSON; it lets the value checks be
    skipped for entries too small to hold an oversize value.
    """
    if not isinstance(entry, dict):
        return Reason.INVALID_ENTRY, None, "entry must be a JSON object"
    action = entry.get("action")
    if not isinstance(action, str) or not action:
        return Reason.MISSING_ACTION, "action", "action is missing"
    kind = entry.get("type")
    if kind == "person":
        if action == "merge":
            violation = _identifier_violation(entry.get("primary"), "primary")
            if violation is None:
                violation = _identifier_violation(entry.get("secondary"), "secondary")
        else:
            violation = _identifier_violation(entry.get("identifiers"), "identifiers")
    elif kind == "object":
        violation = _object_identifier_violation(entry.get("identifiers"))
    elif not isinstance(kind, str) or not kind:
        return Reason.INVALID_ENTRY, "type", "type is missing"
    else:
        violation = None
    if violation is not None:
        return violation
    if action == "event":
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            return Reason.MISSING_EVENT_NAME, "name", "event name is missing"
        size = utf8_len(name)
        if size > EVENT_NAME_MAX_BYTES:
            return (
                Reason.EVENT_NAME_TOO_LONG,
                "name",
                f"event name is {size} bytes, over the {EVENT_NAME_MAX_BYTES}-byte limit",
            )
    elif action == "identify":
        return _attribute_violation(entry.get("attributes"), entry_bytes)
    return None


def encode(operation: Operation) -> bytes | Rejection:
    """Serialise one operation's entry, or say why it must not be sent."""
    data = operation.serialised
    if data is None:
        try:
            data = dumps(operation.entry)
        except (orjson.JSONEncodeError, TypeError) as exc:
            return Rejection(operation.key, Reason.NOT_SERIALIZABLE, None, str(exc)[:200])
        violation = entry_violation(operation.entry, len(data))
        if violation is not None:
            return Rejection(operation.key, *violation)
    size = len(data)
    if size > ENTRY_MAX_BYTES:
        return Rejection(
            operation.key,
            Reason.ENTRY_TOO_LARGE,
            None,
            f"entry is {size} bytes serialised, over the {ENTRY_MAX_BYTES}-byte limit",
        )
    return data


def check_batch_limits(max_bytes: int, max_entries: int) -> None:
    """Raise ValueError unless the packing limits fit Customer.io's."""
    if not MIN_BATCH_MAX_BYTES <= max_bytes < BATCH_MAX_BYTES:
        raise ValueError(
            f"batch_max_bytes must be between {MIN_BATCH_MAX_BYTES} and "
            f"{BATCH_MAX_BYTES - 1} (requests must stay under {BATCH_MAX_BYTES} bytes)"
        )
    if max_entries < 1:
        raise ValueError("max_entries_per_batch must be at least 1")


def pack(
    operations: Iterable[Operation],
    *,
    max_bytes: int,
    max_entries: int,
    rejection_group: int = 1000,
) -> Iterator[Batch | list[Rejection]]:
    """Pack operations, lazily, into batches whose body stays within `max_bytes`.

    Yields a Batch whenever one is full and, in groups of up to `rejection_group`, the
    rows that failed validation. Nothing is read from `operations` ahead of need, so a
    warehouse cursor can feed it.
    """
    check_batch_limits(max_bytes, max_entries)
    envelope = len(_BODY_HEAD) + len(_BODY_TAIL) - 1  # -1: n entries need n-1 commas
    keys: list[str] = []
    entries: list[bytes] = []
    size = envelope
    rejected: list[Rejection] = []
    for operation in operations:
        prechecked = operation.serialised
        # The common case, a prechecked entry within the entry limit, costs a length only.
        if prechecked is not None and len(prechecked) <= ENTRY_MAX_BYTES:
            data: bytes | Rejection = prechecked
        else:
            data = encode(operation)
        if isinstance(data, Rejection):
            rejected.append(data)
            if len(rejected) >= rejection_group:
                yield rejected
                rejected = []
            continue
        added = len(data) + 1
        if entries and (size + added > max_bytes or len(entries) >= max_entries):
            yield Batch(keys, entries)
            keys, entries, size = [], [], envelope
        keys.append(operation.key)
        entries.append(data)
        size += added
    if entries:
        yield Batch(keys, entries)
    if rejected:
        yield rejected


def decode_errors(content: bytes) -> list[dict[str, Any]]:
    """The ``errors`` list of a Customer.io error body; empty when there is none."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return (
        [error for error in errors if isinstance(error, dict)] if isinstance(errors, list) else []
    )
