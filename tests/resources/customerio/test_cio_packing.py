"""Validation against Customer.io's limits and packing into size-bounded batches."""

from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import pairwise
from typing import Any

import orjson
import pytest

from resources.customerio import Operation, Reason, Rejection
from resources.customerio.limits import ATTRIBUTES_MAX_COUNT, ENTRY_MAX_BYTES
from resources.customerio.packing import Batch, encode, pack


def person(action: str = "identify", **extra: Any) -> dict[str, Any]:
    return {"type": "person", "identifiers": {"id": "c1"}, "action": action, **extra}


def packed(operations: list[Operation], **limits: int) -> tuple[list[Batch], list[Rejection]]:
    batches: list[Batch] = []
    rejected: list[Rejection] = []
    for item in pack(operations, **limits):
        if isinstance(item, Batch):
            batches.append(item)
        else:
            rejected.extend(item)
    return batches, rejected


def test_batches_never_exceed_the_byte_limit_and_keep_every_row_once(
    identify: Callable[..., Operation],
) -> None:
    operations = [identify(f"c{i}", note="x" * (200 + i % 700)) for i in range(3000)]
    batches, rejected = packed(operations, max_bytes=40_000, max_entries=10_000)
    assert not rejected
    assert len(batches) > 10
    for batch in batches:
        body = batch.body()
        assert len(body) <= 40_000
        assert [entry["identifiers"]["id"] for entry in orjson.loads(body)["batch"]] == batch.keys
    assert [key for batch in batches for key in batch.keys] == [op.key for op in operations]
    # Packing is greedy: each batch is full enough that the next entry would not fit.
    for batch, following in pairwise(batches):
        assert len(batch.body()) + len(following.entries[0]) + 1 > 40_000


def test_max_entries_per_batch(identify: Callable[..., Operation]) -> None:
    batches, _ = packed([identify(f"c{i}") for i in range(25)], max_bytes=450_000, max_entries=10)
    assert [len(batch) for batch in batches] == [10, 10, 5]


def test_entry_over_32_kb_is_rejected_locally(identify: Callable[..., Operation]) -> None:
    # 40 attributes of 900 bytes: each value is within its limit, the entry is not.
    big = identify("big", **{f"a{i}": "v" * 900 for i in range(40)})
    assert len(orjson.dumps(big.entry)) > ENTRY_MAX_BYTES
    batches, rejected = packed([identify("ok"), big], max_bytes=450_000, max_entries=100)
    assert [batch.keys for batch in batches] == [["ok"]]
    assert [(r.key, r.reason) for r in rejected] == [("big", Reason.ENTRY_TOO_LARGE)]
    assert str(ENTRY_MAX_BYTES) in rejected[0].message


def test_entry_exactly_at_the_limit_is_sent() -> None:
    entry = person(attributes={})
    filler = ENTRY_MAX_BYTES - len(orjson.dumps(entry))
    chunks = {f"f{i:03d}": "v" * 900 for i in range(filler // 910)}
    entry["attributes"] = chunks
    entry["attributes"]["pad"] = ""
    entry["attributes"]["pad"] = "p" * (ENTRY_MAX_BYTES - len(orjson.dumps(entry)))
    assert len(orjson.dumps(entry)) == ENTRY_MAX_BYTES
    assert isinstance(encode(Operation("k", entry)), bytes)


@pytest.mark.parametrize(
    ("entry", "reason", "field"),
    [
        (person(identifiers={}), Reason.MISSING_IDENTIFIER, "identifiers"),
        ({"type": "person", "action": "identify"}, Reason.MISSING_IDENTIFIER, "identifiers"),
        (
            person(identifiers={"id": "c1", "email": "a@b.c"}),
            Reason.MULTIPLE_IDENTIFIERS,
            "identifiers",
        ),
        (person(identifiers={"user": "c1"}), Reason.INVALID_IDENTIFIER, "identifiers.user"),
        (person(identifiers={"id": ""}), Reason.INVALID_IDENTIFIER, "identifiers.id"),
        (person(identifiers={"id": None}), Reason.INVALID_IDENTIFIER, "identifiers.id"),
        (person(identifiers={"id": "   "}), Reason.INVALID_IDENTIFIER, "identifiers.id"),
        (person(identifiers={"phone": "555-1234"}), Reason.INVALID_IDENTIFIER, "identifiers.phone"),
        (person(identifiers={"id": "x" * 151}), Reason.IDENTIFIER_TOO_LONG, "identifiers.id"),
        # 76 two-byte characters: 152 bytes, though only 76 characters.
        (person(identifiers={"id": "é" * 76}), Reason.IDENTIFIER_TOO_LONG, "identifiers.id"),
        (person(action=""), Reason.MISSING_ACTION, "action"),
        ({"identifiers": {"id": "c1"}, "action": "identify"}, Reason.INVALID_ENTRY, "type"),
        (person(action="event"), Reason.MISSING_EVENT_NAME, "name"),
        (person(action="event", name="  "), Reason.MISSING_EVENT_NAME, "name"),
        (person(action="event", name="n" * 101), Reason.EVENT_NAME_TOO_LONG, "name"),
        (person(attributes=["a"]), Reason.INVALID_ATTRIBUTES, "attributes"),
        (
            person(attributes={f"a{i}": i for i in range(ATTRIBUTES_MAX_COUNT + 1)}),
            Reason.TOO_MANY_ATTRIBUTES,
            "attributes",
        ),
        (
            person(attributes={"n" * 151: 1}),
            Reason.ATTRIBUTE_NAME_TOO_LONG,
            "attributes." + "n" * 40 + "...",
        ),
        (
            person(attributes={"ok": 1, "note": "v" * 1001}),
            Reason.ATTRIBUTE_VALUE_TOO_LONG,
            "attributes.note",
        ),
        (
            person(attributes={"note": "ü" * 501}),
            Reason.ATTRIBUTE_VALUE_TOO_LONG,
            "attributes.note",
        ),
        (
            person(attributes={"items": ["sku-0000"] * 100}),
            Reason.ATTRIBUTE_VALUE_TOO_LONG,
            "attributes.items",
        ),
        (
            {"type": "object", "identifiers": {"object_type_id": "1"}, "action": "identify"},
            Reason.MISSING_IDENTIFIER,
            "identifiers.object_id",
        ),
        (
            person(action="merge", primary={"id": "a"}, secondary={}),
            Reason.MISSING_IDENTIFIER,
            "secondary",
        ),
        (person(attributes={"when": object()}), Reason.NOT_SERIALIZABLE, None),
        ("not an object", Reason.INVALID_ENTRY, None),
    ],
)
def test_each_limit_violation_is_rejected_locally_with_reason_and_field(
    entry: Any, reason: str, field: str | None
) -> None:
    result = encode(Operation("row-1", entry))
    assert isinstance(result, Rejection)
    assert (result.key, result.reason, result.field) == ("row-1", reason, field)
    assert result.message
    assert len(result.message) < 300


@pytest.mark.parametrize(
    "entry",
    [
        person(identifiers={"id": "x" * 150}),
        person(identifiers={"email": "A@Example.com"}),
        person(identifiers={"cio_id": "abc"}),
        person(identifiers={"phone": "+15551234567"}),
        person(identifiers={"id": 42}),
        person(
            action="event", name="n" * 100, id="01HZ", timestamp=1, attributes={"x": "y" * 5000}
        ),
        person(attributes={"n" * 150: "v" * 1000, "list": ["a"] * 10}),
        person(attributes={"_update": True, **{f"a{i}": i for i in range(ATTRIBUTES_MAX_COUNT)}}),
        person(action="merge", primary={"id": "a"}, secondary={"email": "b@c.d"}),
        {
            "type": "object",
            "identifiers": {"object_type_id": "1", "object_id": "o"},
            "action": "delete",
        },
        {"type": "delivery", "identifiers": {"id": "d"}, "action": "opened"},
    ],
)
def test_entries_within_the_limits_are_accepted(entry: dict[str, Any]) -> None:
    assert isinstance(encode(Operation("row", entry)), bytes)


def test_decimal_values_are_sent_as_numbers() -> None:
    data = encode(Operation("k", person(attributes={"revenue": Decimal("1234.50")})))
    assert isinstance(data, bytes)
    assert orjson.loads(data)["attributes"]["revenue"] == 1234.5


def test_each_entry_is_serialised_once_as_compact_json(
    identify: Callable[..., Operation],
) -> None:
    op = identify("c1", name="Ann", tags=["a", "b"])
    (batch,) = [item for item in pack([op], max_bytes=450_000, max_entries=10)]
    assert isinstance(batch, Batch)
    assert batch.body() == b'{"batch":[' + orjson.dumps(op.entry) + b"]}"


def test_pack_reads_its_input_lazily(identify: Callable[..., Operation]) -> None:
    pulled = 0

    def source() -> Iterator[Operation]:
        nonlocal pulled
        for i in range(1_000_000):
            pulled += 1
            yield identify(f"c{i}")

    first = next(pack(source(), max_bytes=450_000, max_entries=100))
    assert isinstance(first, Batch) and len(first) == 100
    assert pulled == 101  # the 101st row is what tells the first batch is full


def test_rejections_are_yielded_in_bounded_groups() -> None:
    bad = [Operation(f"k{i}", person(action="")) for i in range(25)]
    groups = list(pack(bad, max_bytes=450_000, max_entries=10, rejection_group=10))
    assert [len(group) for group in groups] == [10, 10, 5]


@pytest.mark.parametrize(("max_bytes", "max_entries"), [(500_000, 10), (20_000, 10), (450_000, 0)])
def test_packing_limits_outside_customerio_limits_are_refused(
    max_bytes: int, max_entries: int
) -> None:
    with pytest.raises(ValueError):
        next(pack([], max_bytes=max_bytes, max_entries=max_entries))


def test_prechecked_entries_are_sent_byte_for_byte() -> None:
    data = b'{"type":"person","identifiers":{"id":"c1"},"action":"identify","attributes":{}}'

    (batch,) = pack([Operation.prechecked("c1", data)], max_bytes=450_000, max_entries=1000)

    assert isinstance(batch, Batch)
    assert batch.entries == [data]
    assert batch.body() == b'{"batch":[' + data + b"]}"


def test_prechecked_entry_over_32_kb_is_still_rejected_locally() -> None:
    head = b'{"type":"person","identifiers":{"id":"c1"},"action":"identify","attributes":{"a":"'
    data = head + b"x" * ENTRY_MAX_BYTES + b'"}}'

    rejection = encode(Operation.prechecked("c1", data))

    assert isinstance(rejection, Rejection)
    assert rejection.reason == Reason.ENTRY_TOO_LARGE
