"""End to end: events from the warehouse to the sandbox, deduplicated and backfill-safe."""

from __future__ import annotations

import datetime as dt

import pytest

from retention_assets.sync.policies import (
    BACKFILL_POLICY_TAG,
    BACKFILL_SUFFIX,
    DAGSTER_BACKFILL_TAG,
)
from tests.retention_assets.sync.harness import (
    EVENTS_SYNC_KEYS,
    SyncHarness,
    event_row,
    metadata_of,
)
from tests.retention_assets.sync.shapes import EVERY_SHAPE
from tests.shop_events import ORDER_PLACED, ORDER_REFUNDED, SUPPORT_TICKET_OPENED

# The end-to-end suite: the example shop's source and a custom-shaped one (shapes.py).
pytestmark = EVERY_SHAPE

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = NOW.date()
# Long outside the 72-hour trigger window; noon, so that OLD + 1 hour is the same UTC day
# whenever the tests run (at 23:xx it was not, and the late refund fell outside the window).
OLD = (NOW - dt.timedelta(days=20)).replace(hour=12, minute=0, second=0)
RECENT = NOW - dt.timedelta(hours=30)  # inside it: would start journeys


def _old_events() -> list[dict]:
    return [
        event_row(f"order:{i}", f"c{i}", ORDER_PLACED, OLD + dt.timedelta(minutes=i), order_id=i)
        for i in range(5)
    ]


def _names(harness: SyncHarness) -> list[str]:
    return sorted(event["name"] for event in harness.sandbox.events())


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_overlapping_ranges_and_repeated_backfills_never_duplicate(harness: SyncHarness) -> None:
    harness.put_events(_old_events())
    first, last = OLD.date() - dt.timedelta(days=2), OLD.date() + dt.timedelta(days=1)

    harness.run(EVENTS_SYNC_KEYS, first, last)
    harness.run(EVENTS_SYNC_KEYS, OLD.date(), OLD.date(), tags={DAGSTER_BACKFILL_TAG: "b1"})
    harness.run(
        EVENTS_SYNC_KEYS, first - dt.timedelta(days=3), last, tags={DAGSTER_BACKFILL_TAG: "b2"}
    )

    events = harness.sandbox.events()
    assert len(events) == 5
    assert len({event["id"] for event in events}) == 5
    assert harness.query("SELECT count(*) FROM cio_sync.event_ledger") == [(5,)]


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_first_sync_renames_trigger_eligible_events(harness: SyncHarness) -> None:
    harness.put_events(
        [
            *_old_events(),
            event_row("ticket:1", "c1", SUPPORT_TICKET_OPENED, RECENT, ticket_id=1),
        ]
    )

    result = harness.run(EVENTS_SYNC_KEYS, OLD.date(), TODAY)

    assert metadata_of(result, "cio_sync/events")["backfill_policy"] == "rename"
    assert _names(harness) == [ORDER_PLACED] * 5 + [SUPPORT_TICKET_OPENED + BACKFILL_SUFFIX]


@pytest.mark.duckdb_only
def test_backfill_run_follows_policy_but_live_run_uses_live_names(harness: SyncHarness) -> None:
    harness.put_events(_old_events())
    harness.run(
        EVENTS_SYNC_KEYS, OLD.date(), OLD.date()
    )  # first sync: the ledger is no longer empty
    harness.put_events(
        [
            event_row("order:100", "c1", ORDER_PLACED, RECENT, order_id=100),
            event_row("order:101", "c2", ORDER_PLACED, RECENT, order_id=101),
        ]
    )

    suppressed = harness.run(
        EVENTS_SYNC_KEYS,
        RECENT.date(),
        TODAY,
        tags={DAGSTER_BACKFILL_TAG: "b1", BACKFILL_POLICY_TAG: "suppress"},
    )

    assert metadata_of(suppressed, "cio_sync/events")["skipped"] == 2
    assert _names(harness) == [ORDER_PLACED] * 5  # no trigger-eligible event under its live name
    # Suppressed for good: a later live run does not send them either.
    harness.put_events([event_row("order:102", "c3", ORDER_PLACED, RECENT, order_id=102)])
    harness.run(EVENTS_SYNC_KEYS, RECENT.date(), TODAY)
    assert _names(harness) == [ORDER_PLACED] * 6
    assert harness.sandbox.events()[-1]["person_id"] == "c3"


@pytest.mark.duckdb_only
def test_mark_policy_keeps_name_and_flags_the_event(harness: SyncHarness) -> None:
    harness.put_events(_old_events())
    harness.run(EVENTS_SYNC_KEYS, OLD.date(), OLD.date())
    harness.put_events([event_row("refund:1", "c1", ORDER_REFUNDED, RECENT, refund_id=1)])

    harness.run(
        EVENTS_SYNC_KEYS,
        RECENT.date(),
        TODAY,
        tags={DAGSTER_BACKFILL_TAG: "b1", BACKFILL_POLICY_TAG: "mark"},
    )

    refund = next(e for e in harness.sandbox.events() if e["name"] == ORDER_REFUNDED)
    assert refund["data"] == {"refund_id": 1, "cio_backfill": True}


@pytest.mark.duckdb_only
def test_late_event_in_an_old_partition_is_sent_once(harness: SyncHarness) -> None:
    harness.put_events(_old_events())
    window = (OLD.date() - dt.timedelta(days=2), OLD.date())
    harness.run(EVENTS_SYNC_KEYS, *window)
    late_refund = event_row(
        "refund:9", "c2", ORDER_REFUNDED, OLD + dt.timedelta(hours=1), refund_id=9
    )
    harness.put_events([late_refund])

    harness.run(EVENTS_SYNC_KEYS, *window)
    harness.run(EVENTS_SYNC_KEYS, *window)

    refunds = [e for e in harness.sandbox.events() if e["name"] == ORDER_REFUNDED]
    assert len(refunds) == 1
    assert refunds[0]["timestamp"] == int(late_refund["occurred_at"].timestamp())
