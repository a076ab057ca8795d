"""One small workspace synced end to end, and what it leaves behind, for comparing runs.

Two days of customer state (the second changes and clears a few values) and two months of
events; a snapshot is what Customer.io holds and what the warehouse's plan and ledgers say,
without run ids and times. Two runs that should agree (sharded and unsharded, DuckDB and
Snowflake) must leave equal snapshots.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dagster as dg
import orjson

from tests.retention_assets.sync.harness import (
    AS_OF,
    CUSTOMER_STATE_PLAN,
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    state_row,
)
from tests.shop_events import ORDER_PLACED

CUSTOMERS = 30
EVENTS = 60
NEXT_DAY = AS_OF + dt.timedelta(days=1)
FIRST_DAY = AS_OF - dt.timedelta(days=40)
OLD = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)


def load(harness: SyncHarness) -> None:
    """Two days of customer state (the second changes and clears a few values) and events."""
    harness.put_state([state_row(f"c{i}", loyalty_points=i) for i in range(CUSTOMERS)])
    harness.put_state(
        [
            state_row(
                f"c{i}",
                as_of=NEXT_DAY,
                loyalty_points=i + (100 if i % 4 == 0 else 0),
                predicted_next_purchase_at=None if i % 5 == 0 else dt.datetime(2026, 12, 1),
            )
            for i in range(CUSTOMERS)
        ]
    )
    harness.put_events(
        [
            event_row(
                f"order:{i}",
                f"c{i % CUSTOMERS}",
                ORDER_PLACED,
                OLD + dt.timedelta(minutes=i),
                order_id=i,
            )
            for i in range(EVENTS)
        ]
    )


# (selection, first day, last day): both streams over the first days, then a day of changes.
Run = tuple[list[dg.AssetKey], dt.date, dt.date]
FIRST_RUN: Run = ([*STATE_SYNC, *EVENTS_SYNC_KEYS], FIRST_DAY, AS_OF)
NEXT_DAY_RUN: Run = (STATE_SYNC, NEXT_DAY, NEXT_DAY)
# The next day planned and not sent: the plan then holds its changes and clears.
NEXT_DAY_PLAN: Run = ([CUSTOMER_STATE_PLAN], NEXT_DAY, NEXT_DAY)


def sync(harness: SyncHarness, runs: list[Run], shards: int) -> list[dg.ExecuteInProcessResult]:
    """Run each of ``runs`` in turn, the sends split into ``shards`` steps."""
    return [harness.run(keys, first, last, shards=shards) for keys, first, last in runs]


def snapshot(harness: SyncHarness) -> dict[str, Any]:
    """What Customer.io holds and what the ledgers say, without run ids and times."""
    events = [
        (e["id"], e["name"], e["person_id"], e["timestamp"], orjson.dumps(e["data"]))
        for e in harness.sandbox.events()
    ]
    return {
        "people": harness.sandbox.people(),
        "events": sorted(events),
        "customer_ledger": harness.query(
            "SELECT customer_id, row_digest, as_of_date FROM cio_sync.customer_ledger"
            " ORDER BY customer_id"
        ),
        "attribute_ledger": harness.query(
            "SELECT customer_id, attribute, value_hash, as_of_date FROM cio_sync.attribute_ledger"
            " ORDER BY customer_id, attribute"
        ),
        "event_ledger": harness.query(
            "SELECT event_key, event_ulid, customer_id, event_date, sent_name, disposition"
            " FROM cio_sync.event_ledger ORDER BY event_key"
        ),
        "plan": harness.query(
            "SELECT as_of_date, customer_id, attribute, action, value_json, value_hash"
            " FROM cio_sync.customer_state_plan ORDER BY as_of_date, customer_id, attribute"
        ),
        "events_plan": harness.query(
            "SELECT event_key, event_name, customer_id, occurred_at, event_date"
            " FROM cio_sync.events_plan ORDER BY event_key"
        ),
        "rejected_rows": harness.query("SELECT count(*) FROM cio_sync.rejected_rows"),
    }


def unsharded_snapshot(harness: SyncHarness, runs: list[Run]) -> dict[str, Any]:
    """Load the workspace, sync it unsharded, and reset the sandbox for the next run."""
    load(harness)
    sync(harness, runs, shards=1)
    taken = snapshot(harness)
    assert len(taken["people"]) == CUSTOMERS
    assert len(taken["events"]) == EVENTS
    harness.sandbox.reset()
    return taken
