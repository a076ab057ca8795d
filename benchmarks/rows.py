"""The Track API entries of a first sync, read from the planned rows, for the baselines.

The SDK baselines and the client-side limit must send (or serialise) exactly what our sync
sends, read from the same warehouse with the same queries and parameters (one shard: the whole
partition; events under the default backfill policy of a first sync). Entries come in two
forms: as dicts, which the SDK takes and Python serialises, and as the JSON bytes our sync
sends (the SQL's text, events with the ids their plan assigned). It reads plans; it never
writes a ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa

from resources.warehouse import WarehouseSession
from retention_assets.shop import CUSTOMER_STATE, EVENTS
from retention_assets.sync.policies import DEFAULT_BACKFILL_POLICY
from retention_assets.sync.send import (
    event_entry,
    events_to_send_params,
    events_to_send_sql,
    profiles_to_send_params,
    profiles_to_send_sql,
)
from retention_assets.sync.shards import UNSHARDED

Entry = dict[str, Any]
PROFILES_TO_SEND = profiles_to_send_sql(CUSTOMER_STATE)
EVENTS_TO_SEND = events_to_send_sql(EVENTS)


def _limited(query: str, limit: int | None) -> str:
    return query if limit is None else f"SELECT * FROM ({query}) AS planned LIMIT {int(limit)}"


def _event_params(start: dt.date, end: dt.date, now: dt.datetime) -> dict[str, Any]:
    return events_to_send_params(start, end, UNSHARDED, DEFAULT_BACKFILL_POLICY, now)


def profile_entries(
    session: WarehouseSession, as_of: dt.date, limit: int | None = None
) -> Iterator[tuple[str, Entry]]:
    """``(customer_id, identify entry)`` for every planned, unacknowledged profile."""
    query = _limited(PROFILES_TO_SEND, limit)
    for batch in session.stream(query, profiles_to_send_params(CUSTOMER_STATE, as_of)):
        entries = batch.column(1).to_pylist()
        for customer_id, entry in zip(batch.column(0).to_pylist(), entries, strict=True):
            if customer_id is None or entry is None:
                raise ValueError(f"a planned profile without an id or an entry: {customer_id!r}")
            yield customer_id, orjson.loads(entry)


def serialised_profile_entries(
    session: WarehouseSession, as_of: dt.date
) -> Iterator[tuple[str, bytes]]:
    """The same profiles as the JSON bytes the warehouse renders."""
    for batch in session.stream(PROFILES_TO_SEND, profiles_to_send_params(CUSTOMER_STATE, as_of)):
        entries = batch.column(1).cast(pa.binary()).to_pylist()
        yield from zip(batch.column(0).to_pylist(), entries, strict=True)


def event_entries(
    session: WarehouseSession,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    limit: int | None = None,
) -> Iterator[tuple[str, Entry]]:
    """``(event_key, event entry)`` for every planned event of ``[start, end)``, as a first
    sync sends them (the default rename policy inside the trigger window)."""
    query = _limited(EVENTS_TO_SEND, limit)
    for batch in session.stream(query, _event_params(start, end, now)):
        rows = zip(*(batch.column(i).to_pylist() for i in range(7)), strict=True)
        for key, name, customer_id, occurred_ms, disposition, properties, ulid in rows:
            yield key, event_entry(customer_id, name, ulid, occurred_ms, properties, disposition)


def serialised_event_entries(
    session: WarehouseSession, start: dt.date, end: dt.date, now: dt.datetime
) -> Iterator[tuple[str, bytes]]:
    """The same events as the JSON bytes the warehouse renders."""
    for batch in session.stream(EVENTS_TO_SEND, _event_params(start, end, now)):
        entries = batch.column(7).cast(pa.binary()).to_pylist()
        yield from zip(batch.column(0).to_pylist(), entries, strict=True)
