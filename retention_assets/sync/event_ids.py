"""Deterministic ULIDs for events.

Customer.io ignores an event whose ``id`` it has already received, so an id derived from the
event's stable key makes retries, re-runs and overlapping backfills free of duplicates. The
48-bit time part is the event's own time, so ids sort like the events; the 80 random bits
are the leading bits of a SHA-256 of the event key.

Millions of events go through here per sync, so the Crockford base32 text is built from
tables of two- and three-character chunks rather than character by character
(``base64.b32encode`` is slower still: 3.3 us an id against 1.5 us); the tests check ids
against the ``python-ulid`` library.
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
    """The ULID Customer.io receives for one event; equal inputs always give the same id."""
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
