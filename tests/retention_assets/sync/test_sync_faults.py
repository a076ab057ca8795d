"""Faults and crashes: afterwards Customer.io holds exactly the right state, once.

The sandbox injects 429s, 5xx, dropped connections and per-entry rejections; a child process
is killed with SIGKILL in the middle of a send. Re-runs must converge on the expected
profiles and events with nothing lost and no duplicate.
"""

from __future__ import annotations

import datetime as dt

from retention_assets.sync.event_ids import event_ulid
from tests.retention_assets.sync.harness import (
    AS_OF,
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    fault_suite,
    metadata_of,
    state_row,
)
from tests.retention_assets.sync.killed_sync import kill_mid_sync
from tests.retention_assets.sync.shapes import EVERY_SHAPE
from tests.shop_events import ORDER_PLACED
from tests.warehouses import duckdb_only

# The end-to-end suite: the example shop's source and a custom-shaped one (shapes.py).
pytestmark = EVERY_SHAPE

OLD = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)
FAULTS = fault_suite(seed=11)


def _load(harness: SyncHarness, customers: int, events: int) -> None:
    harness.put_state([state_row(f"c{i}", loyalty_points=i) for i in range(customers)])
    harness.put_events(
        [
            event_row(
                f"order:{i}", f"c{i % customers}", ORDER_PLACED, OLD + dt.timedelta(seconds=i)
            )
            for i in range(events)
        ]
    )


def _assert_exact_state(harness: SyncHarness, customers: int, events: int) -> None:
    people = harness.sandbox.people()
    assert sorted(people) == sorted(f"c{i}" for i in range(customers))
    assert all(people[f"c{i}"]["loyalty_points"] == i for i in range(customers))
    stored = harness.sandbox.events()
    assert len(stored) == events
    expected_ids = {
        event_ulid(f"order:{i}", int((OLD + dt.timedelta(seconds=i)).timestamp() * 1000))
        for i in range(events)
    }
    assert {e["id"] for e in stored} == expected_ids
    assert harness.query("SELECT count(*) FROM cio_sync.customer_ledger") == [(customers,)]
    assert harness.query("SELECT count(DISTINCT event_key) FROM cio_sync.event_ledger") == [
        (events,)
    ]


def test_faults_and_rejections_converge_to_exact_state(harness: SyncHarness) -> None:
    customers, events = 300, 600
    _load(harness, customers, events)
    # Small batches: many requests, so every kind of fault lands on some of them.
    harness.customerio = harness.customerio_resource(max_entries_per_batch=10)
    harness.sandbox.configure(**FAULTS)

    first = harness.run([*STATE_SYNC, *EVENTS_SYNC_KEYS], AS_OF - dt.timedelta(days=40), AS_OF)

    state = metadata_of(first, "cio_sync/customer_state")
    assert state["rejected"] > 0 and state["retries"] > 0
    assert state["accepted"] + state["rejected"] == customers
    open_rejections = harness.query(
        "SELECT count(*) FROM cio_sync.rejected_rows WHERE resolved_at IS NULL"
    )[0][0]
    assert open_rejections > 0

    harness.sandbox.configure(entry_reject_rate=0.0)
    harness.run([*STATE_SYNC, *EVENTS_SYNC_KEYS], AS_OF - dt.timedelta(days=40), AS_OF)

    _assert_exact_state(harness, customers, events)
    assert harness.query(
        "SELECT count(*), min(attempts) FROM cio_sync.rejected_rows WHERE resolved_at IS NOT NULL"
    ) == [(open_rejections, 1)]
    assert harness.query(
        "SELECT count(*) FROM cio_sync.rejected_rows WHERE resolved_at IS NULL"
    ) == [(0,)]


@duckdb_only
def test_kill_minus_nine_mid_sync_then_rerun_is_exact(harness: SyncHarness) -> None:
    customers, events = 400, 800
    _load(harness, customers, events)
    harness.sandbox.configure(latency_ms=20)
    kill_mid_sync(
        harness,
        AS_OF - dt.timedelta(days=40),
        AS_OF,
        lambda: harness.sandbox.stats()["entries_accepted"] >= 150,
        timeout_seconds=60,
    )
    received = harness.sandbox.stats()["entries_accepted"]
    assert 0 < received < customers + events

    harness.sandbox.configure(latency_ms=0)
    harness.run([*STATE_SYNC, *EVENTS_SYNC_KEYS], AS_OF - dt.timedelta(days=40), AS_OF)

    _assert_exact_state(harness, customers, events)
