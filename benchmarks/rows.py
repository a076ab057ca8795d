"""The Track API entries of a first sync, read from the planned rows, for the baselines.

The SDK baselines and the client-side limit must send (or serialise) exactly what our sync
sends, read from the same warehouse with the same queries (one shard: the whole partition).
``retention_assets.sync.send`` builds its entries inside generators it does not expose, so this
module builds them again from the same SQL, field for field: identify with the planned
attributes and the as-of stamp; events with the deterministic ULID, integer seconds and,
inside Customer.io's trigger window, the backfill policy's rename. It reads plans; it never
writes a ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson

from resources.warehouse import WarehouseSession
from retention_assets.sync.event_ids import event_ulid
from retention_assets.sync.policies import (
    BACKFILL_SUFFIX,
    TRIGGER_WINDOW,
    TRIGGER_WINDOW_MARGIN,
)
from retention_assets.sync.shards import UNSHARDED
from retention_assets.sync.sql_files import sharded_sql

Entry = dict[str, Any]


def _limited(query: str, limit: int | None) -> str:
    return query if limit is None else f"SELECT * FROM ({query}) AS planned LIMIT {int(limit)}"


def end_of_day_epoch(day: dt.date) -> int:
    """The identify ``timestamp`` of a partition: the end of its UTC day, as the sync stamps."""
    return int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, dt.UTC).timestamp())


def profile_entries(
    session: WarehouseSession, as_of: dt.date, limit: int | None = None
) -> Iterator[tuple[str, Entry]]:
    """``(customer_id, identify entry)`` for every planned, unacknowledged profile."""
    stamp = end_of_day_epoch(as_of)
    query = _limited(sharded_sql("profiles_to_send", "p.customer_id"), limit)
    for batch in session.stream(query, {"as_of": as_of, **UNSHARDED.params()}):
        ids = batch.column(0).to_pylist()
        attributes = batch.column(1).to_pylist()
        for customer_id, attributes_json in zip(ids, attributes, strict=True):
            yield (
                customer_id,
                {
                    "type": "person",
                    "identifiers": {"id": customer_id},
                    "action": "identify",
                    "attributes": orjson.loads(attributes_json),
                    "timestamp": stamp,
                },
            )


def event_entries(
    session: WarehouseSession,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    limit: int | None = None,
) -> Iterator[tuple[str, Entry]]:
    """``(event_key, event entry)`` for every planned event of ``[start, end)``, as a first
    sync sends them (the default rename policy inside the trigger window)."""
    # The policy's test, is_trigger_eligible(), compared as integer milliseconds.
    trigger_from_ms = int((now - TRIGGER_WINDOW - TRIGGER_WINDOW_MARGIN).timestamp() * 1000)
    query = _limited(sharded_sql("events_to_send", "p.customer_id"), limit)
    for batch in session.stream(query, {"start": start, "end": end, **UNSHARDED.params()}):
        rows = zip(*(batch.column(i).to_pylist() for i in range(6)), strict=True)
        for key, name, customer_id, occurred_ms, _event_date, properties in rows:
            yield (
                key,
                {
                    "type": "person",
                    "identifiers": {"id": customer_id},
                    "action": "event",
                    "name": name + BACKFILL_SUFFIX if occurred_ms >= trigger_from_ms else name,
                    "id": event_ulid(key, occurred_ms),
                    "timestamp": occurred_ms // 1000,
                    "attributes": orjson.loads(properties) if properties else {},
                },
            )
