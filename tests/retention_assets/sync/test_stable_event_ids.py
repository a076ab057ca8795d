"""End to end: an event keeps the id of its first plan, whatever its occurred_at becomes.

Customer.io drops an event whose id it already holds. A send can crash after Customer.io took
some events but before their acknowledgement was recorded; if a corrected load then moves
their ``occurred_at``, the next run sends them again and only the same id keeps them from
becoming duplicates. Events the ledger knows were delivered are reported, not resent.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from resources.warehouse import WarehouseResource
from retention_assets.shop import EVENTS as EVENTS_STREAM
from retention_assets.shop import EVENTS_PLAN
from retention_assets.sync import plans
from retention_assets.sync.event_ids import event_ulid
from retention_assets.tables import EVENTS_TABLE
from tests.retention_assets.sync.harness import (
    EVENTS_SYNC_KEYS,
    SyncHarness,
    event_row,
    metadata_of,
)
from tests.shop_events import ORDER_PLACED

OLD = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)  # long outside the trigger window
FIRST, LAST = OLD.date(), OLD.date()
EVENTS = 6
LOST_ACKS = ("order:0", "order:1")  # delivered, but the acknowledgement flush never happened
RECORDED = ("order:2",)  # delivered and in the ledger


def _time(index: int) -> dt.datetime:
    return OLD + dt.timedelta(seconds=index)


def _original_id(index: int) -> str:
    return event_ulid(f"order:{index}", int(_time(index).timestamp() * 1000))


def _load(harness: SyncHarness) -> None:
    harness.put_events(
        [
            event_row(f"order:{i}", f"c{i}", ORDER_PLACED, _time(i), order_id=i)
            for i in range(EVENTS)
        ]
    )


def _move_by_a_minute(warehouse: WarehouseResource, keys: tuple[str, ...]) -> None:
    """A corrected re-load: the events' occurred_at moves by a minute, within the same day."""
    with warehouse.session() as session:
        for key in keys:
            session.execute(
                f"UPDATE {EVENTS_TABLE} SET occurred_at = occurred_at + INTERVAL 1 MINUTE"
                " WHERE event_key = $key",
                {"key": key},
            )


def _forget_acknowledgements(warehouse: WarehouseResource, keys: tuple[str, ...]) -> None:
    """The crash window: Customer.io holds these events, the warehouse has no trace of it."""
    with warehouse.session() as session:
        for key in keys:
            for table in ("cio_sync.event_acks", "cio_sync.event_ledger"):
                session.execute(f"DELETE FROM {table} WHERE event_key = $key", {"key": key})


def test_events_resent_after_a_lost_acknowledgement_keep_their_id_when_time_changed(
    harness: SyncHarness,
) -> None:
    _load(harness)
    harness.run(EVENTS_SYNC_KEYS, FIRST, LAST)
    assert len(harness.sandbox.events()) == EVENTS
    _forget_acknowledgements(harness.warehouse, LOST_ACKS)
    _move_by_a_minute(harness.warehouse, (*LOST_ACKS, *RECORDED))

    result = harness.run(EVENTS_SYNC_KEYS, FIRST, LAST)

    events = harness.sandbox.events()
    # Exactly one copy of each event, under the id of its first plan.
    assert sorted(event["data"]["order_id"] for event in events) == list(range(EVENTS))
    assert {event["id"] for event in events} == {_original_id(i) for i in range(EVENTS)}
    # The two whose acknowledgement was lost were sent again and dropped as repeats.
    assert harness.sandbox.stats()["duplicate_events_ignored"] == len(LOST_ACKS)
    plan = metadata_of(result, "cio_sync/events_plan")
    assert plan["planned_events"] == len(LOST_ACKS)
    assert plan["changed_after_delivery"] == len(RECORDED)
    assert plan["planned_with_changed_time"] == len(LOST_ACKS)
    assert metadata_of(result, "cio_sync/events")["accepted"] == len(LOST_ACKS)
    # The ledger now holds every event again, with the time each acknowledged request carried.
    assert harness.query(
        "SELECT event_key, event_ulid, occurred_at FROM cio_sync.event_ledger"
        " WHERE event_key IN ('order:0', 'order:2') ORDER BY event_key"
    ) == [
        ("order:0", _original_id(0), _time(0) + dt.timedelta(minutes=1)),
        ("order:2", _original_id(2), _time(2)),
    ]


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_id_of_a_plan_whose_send_never_ran_is_reused_after_the_time_changed(
    harness: SyncHarness,
) -> None:
    _load(harness)
    planned = harness.run([EVENTS_PLAN], FIRST, LAST)  # the send crashed before it started
    assert metadata_of(planned, "cio_sync/events_plan")["planned_events"] == EVENTS
    _move_by_a_minute(harness.warehouse, ("order:3",))

    harness.run(EVENTS_SYNC_KEYS, FIRST, LAST)

    sent = {event["data"]["order_id"]: event for event in harness.sandbox.events()}
    assert sorted(sent) == list(range(EVENTS))
    assert sent[3]["id"] == _original_id(3)
    # The corrected time is what the event carries; only its id stays.
    assert sent[3]["timestamp"] == int((_time(3) + dt.timedelta(minutes=1)).timestamp())
    assert harness.query("SELECT count(*), count(DISTINCT event_id) FROM cio_sync.event_ids") == [
        (EVENTS, EVENTS)
    ]


@pytest.mark.duckdb_only
def test_a_changed_time_on_a_delivered_event_is_logged_and_not_resent(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    _load(harness)
    harness.run(EVENTS_SYNC_KEYS, FIRST, LAST)
    _move_by_a_minute(harness.warehouse, RECORDED)
    log = logging.getLogger("test.events_plan")

    with harness.warehouse.session() as session, caplog.at_level(logging.INFO, log.name):
        summary = plans.plan_events(
            session, EVENTS_STREAM, FIRST, FIRST + dt.timedelta(days=1), log=log
        )

    assert summary["changed_after_delivery"] == 1 and summary["planned_events"] == 0
    assert (
        "1 events Customer.io already holds have another occurred_at in the model now"
        in caplog.text
    )
    assert "order:2 (delivered 2026-10-01 12:00:02, now 2026-10-01 12:01:02 UTC)" in caplog.text
    harness.run(EVENTS_SYNC_KEYS, FIRST, LAST)
    assert len(harness.sandbox.events()) == EVENTS
    assert harness.sandbox.stats()["duplicate_events_ignored"] == 0
