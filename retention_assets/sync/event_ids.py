"""Event ids: assigned once per event, persisted, and deterministic ULIDs.

Customer.io ignores an event whose ``id`` it has already received, so an event must keep its
id for good once a request may have carried it: a send that crashed after Customer.io took
an event but before the acknowledgement was recorded re-sends it, and only the same id makes
that copy harmless, even when the event's ``occurred_at`` was corrected in between. So each
event gets its id when it is first planned, in the warehouse (``events_plan.sql``, which
stores it in ``cio_sync.event_ids`` with the plan, before any send reads it), and every later
plan reuses it.

The id is a ULID: its 48-bit time part is the event's time when first planned, so ids sort
like the events; its 80 random bits are the leading bits of a SHA-256 of the event key.
:func:`event_ulid` computes the same id in Python: it is the readable statement of that
scheme, which the tests check the SQL against (on DuckDB and Snowflake) and check against
the ``python-ulid`` library. The Crockford base32 text is built from tables of two- and
three-character chunks, the fastest way found in Python.
"""

from __future__ import annotations

import hashlib

_MAX_MILLISECONDS = (1 << 48) - 1
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 128 bits read as 130 (two leading zero bits): one 10-bit chunk of 2 characters, then eight
# 15-bit chunks of 3 characters each, looked up in tables built once.
_PAIRS = [_CROCKFORD[index >> 5] + _CROCKFORD[index & 31] for index in range(1 << 10)]
_TRIPLES = [
    _CROCKFORD[index >> 10] + _CROCKFORD[(index >> 5) & 31] + _CROCKFORD[index & 31]
    for index in range(1 << 15)
]
_MASK = (1 << 15) - 1


def event_ulid(event_key: str, occurred_at_ms: int) -> str:
    """The ULID an event first planned at ``occurred_at_ms`` gets; equal inputs, equal ids."""
    if not 0 <= occurred_at_ms <= _MAX_MILLISECONDS:
        raise ValueError(f"event time out of ULID range: {occurred_at_ms} ms")
    entropy = int.from_bytes(hashlib.sha256(event_key.encode()).digest()[:10], "big")
    value = (occurred_at_ms << 80) | entropy
    # Unrolled: a loop or a join costs more than the lookups themselves.
    return (
        _PAIRS[value >> 120]
        + _TRIPLES[(value >> 105) & _MASK]
        + _TRIPLES[(value >> 90) & _MASK]
        + _TRIPLES[(value >> 75) & _MASK]
        + _TRIPLES[(value >> 60) & _MASK]
        + _TRIPLES[(value >> 45) & _MASK]
        + _TRIPLES[(value >> 30) & _MASK]
        + _TRIPLES[(value >> 15) & _MASK]
        + _TRIPLES[value & _MASK]
    )
