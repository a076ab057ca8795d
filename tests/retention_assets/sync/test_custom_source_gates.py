"""A custom-shaped source is held to its spec before anything is sent.

Two gates stand between a team's relation and Customer.io: the spec must still fit the
relation (its columns, their types), and the rows must pass the checks the spec yields. Each
test breaks one of them in the CRM-shaped relation of ``shapes.CUSTOM`` and runs the sync.
"""

from __future__ import annotations

import datetime as dt

import pytest

from retention_assets.shop import CUSTOMER_STATE_PLAN, EVENTS_PLAN
from tests.retention_assets.sync.harness import (
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    state_row,
)
from tests.retention_assets.sync.test_plan_gates import _failure, _materialized
from tests.shop_events import ORDER_PLACED

pytestmark = pytest.mark.parametrize("shape", ["custom"], indirect=True)

OCCURRED = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def test_a_renamed_column_stops_the_plan_naming_file_field_and_fix(harness: SyncHarness) -> None:
    harness.put_state([state_row("m1")])
    with harness.warehouse.session() as session:
        session.execute('ALTER TABLE crm.member_snapshots RENAME COLUMN "ltv_usd" TO "ltv"')

    result = harness.run(STATE_SYNC, raise_on_error=False)

    message = _failure(result, CUSTOMER_STATE_PLAN)
    assert "members.yaml:" in message
    assert "attributes[2].column" in message
    assert "ltv_usd" in message
    assert "Fix:" in message
    assert harness.sandbox.stats()["requests"] == 0


def test_a_column_of_the_wrong_type_stops_the_plan(harness: SyncHarness) -> None:
    harness.put_state([state_row("m1")])
    with harness.warehouse.session() as session:
        session.execute('ALTER TABLE crm.member_snapshots ALTER "crm_lifetime_orders" TYPE VARCHAR')

    result = harness.run(STATE_SYNC, raise_on_error=False)

    message = _failure(result, CUSTOMER_STATE_PLAN)
    assert "crm_lifetime_orders" in message and "integer" in message
    assert harness.sandbox.stats()["requests"] == 0


def test_a_padded_member_id_is_refused_by_the_spec_check(harness: SyncHarness) -> None:
    harness.put_state([state_row("m1"), state_row(" m2")])

    result = harness.run(STATE_SYNC, raise_on_error=False)

    message = _failure(result, CUSTOMER_STATE_PLAN)
    assert "customer_state__unique_id" in message
    assert "padded_customer_id (1 rows)" in message
    assert "cio_sync/customer_state" not in _materialized(result)
    assert harness.sandbox.people() == {}


def test_an_action_outside_the_vocabulary_is_refused(harness: SyncHarness) -> None:
    harness.put_events(
        [
            event_row("a1", "m1", ORDER_PLACED, OCCURRED, order_id=1),
            event_row("a2", "m1", "Checkout Completed", OCCURRED, order_id=2),
        ]
    )

    result = harness.run(EVENTS_SYNC_KEYS, OCCURRED.date(), raise_on_error=False)

    message = _failure(result, EVENTS_PLAN)
    assert "events__vocabulary" in message
    assert harness.sandbox.events() == []


def test_berlin_wall_clock_times_arrive_as_utc_instants(harness: SyncHarness) -> None:
    # 00:30 in Berlin on 1 November is 23:30 UTC the day before: the UTC day is the partition.
    late_evening = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)
    harness.put_events([event_row("a1", "m1", ORDER_PLACED, late_evening, order_id=1)])

    harness.run(EVENTS_SYNC_KEYS, late_evening.date())

    (event,) = harness.sandbox.events()
    assert event["timestamp"] == int(late_evening.timestamp())
