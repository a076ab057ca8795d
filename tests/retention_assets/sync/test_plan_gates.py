"""The plans run their source's blocking checks themselves: no selection sends an unchecked row.

Each test runs only the ``cio_sync`` assets (the documented way to re-send after the models
were built), after rows changed in the model table without any check running. The gates are
the spec's checks (``<sync>__<check>``) and the model's own blocking checks.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from retention_assets.shop import CUSTOMER_STATE_PLAN, CUSTOMER_STATE_SYNC, EVENTS_PLAN
from retention_assets.tables import CUSTOMER_STATE_TABLE
from tests.retention_assets.sync.harness import (
    AS_OF,
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    metadata_of,
    state_row,
)
from tests.shop_events import ORDER_PLACED

OCCURRED = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def _failure(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dg.Failure | str:
    """The description of the failure of the step that materializes ``key``."""
    for event in result.all_events:
        if event.is_step_failure and event.step_key == key.to_python_identifier():
            data = event.step_failure_data
            if data.user_failure_data is not None:
                return data.user_failure_data.description or ""
            return data.error.message if data.error else ""
    raise AssertionError(f"{key.to_user_string()} did not fail")


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        e.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    }


@pytest.mark.duckdb_only
def test_sync_only_run_refuses_a_state_value_outside_the_allowed_ones(
    harness: SyncHarness,
) -> None:
    harness.put_state([state_row("c1"), state_row("c2", vip_tier="platinum")])

    result = harness.run(STATE_SYNC, raise_on_error=False)

    assert not result.success
    message = _failure(result, CUSTOMER_STATE_PLAN)
    assert "customer_state_allowed_values" in message
    assert "vip_tier_not_allowed (1 rows)" in message
    assert "rebuild the model's partition(s), then run this plan again" in message
    assert "cio_sync/customer_state" not in _materialized(result)
    assert harness.sandbox.people() == {}
    assert harness.sandbox.stats()["requests"] == 0


def test_refused_plan_leaves_nothing_for_a_send_only_run(harness: SyncHarness) -> None:
    harness.put_state([state_row("c1")])
    harness.run([CUSTOMER_STATE_PLAN])  # a dry run: planned, not sent
    harness.put_state([state_row("c1", vip_tier="platinum")])

    refused = harness.run([CUSTOMER_STATE_PLAN], raise_on_error=False)
    send_only = harness.run([CUSTOMER_STATE_SYNC])

    assert not refused.success
    assert metadata_of(send_only, "cio_sync/customer_state")["planned"] == 0
    assert harness.sandbox.people() == {}


@pytest.mark.duckdb_only
def test_fixed_rows_pass_the_gate_and_are_sent(harness: SyncHarness) -> None:
    harness.put_state([state_row("c1", vip_tier="platinum")])
    assert not harness.run(STATE_SYNC, raise_on_error=False).success

    harness.put_state([state_row("c1", vip_tier="gold")])
    harness.run(STATE_SYNC)

    assert harness.sandbox.people()["c1"]["vip_tier"] == "gold"


def test_sync_only_run_refuses_unknown_and_drifted_event_names(harness: SyncHarness) -> None:
    harness.put_events(
        [
            event_row("order:1", "c1", ORDER_PLACED, OCCURRED),
            event_row("order:2", "c1", "order_placed", OCCURRED),
            event_row("order:3", "c2", "Totally Unknown", OCCURRED),
        ]
    )

    result = harness.run(EVENTS_SYNC_KEYS, raise_on_error=False)

    message = _failure(result, EVENTS_PLAN)
    assert "events__vocabulary: unknown_event_name (2 rows)" in message
    assert "cio_sync/events" not in _materialized(result)
    assert harness.sandbox.events() == []


@pytest.mark.duckdb_only
def test_sync_only_run_refuses_an_event_dated_next_year(harness: SyncHarness) -> None:
    next_year = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    future = event_row("order:9", "c1", ORDER_PLACED, next_year)
    future["event_date"] = AS_OF  # filed under a past partition, as a bad load would
    harness.put_events([event_row("order:1", "c1", ORDER_PLACED, OCCURRED), future])

    result = harness.run(EVENTS_SYNC_KEYS, raise_on_error=False)

    message = _failure(result, EVENTS_PLAN)
    # The model's own check: its partition column disagrees with the event's time.
    assert "events_timestamps_utc: event_date_not_occurred_at_day (1 rows)" in message
    assert harness.sandbox.events() == []


@pytest.mark.duckdb_only
def test_sync_only_run_refuses_an_event_from_the_future(harness: SyncHarness) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    harness.put_events([event_row("order:9", "c1", ORDER_PLACED, soon)])

    result = harness.run(EVENTS_SYNC_KEYS, first=soon.date(), raise_on_error=False)

    message = _failure(result, EVENTS_PLAN)
    assert "events__timestamps: future_timestamp (1 rows)" in message
    assert harness.sandbox.events() == []


def test_sync_only_run_refuses_a_duplicated_customer(harness: SyncHarness) -> None:
    harness.put_state([state_row("c1"), state_row("c2")])
    with harness.warehouse.session() as session:
        session.execute(
            f"INSERT INTO {CUSTOMER_STATE_TABLE} SELECT * FROM {CUSTOMER_STATE_TABLE}"
            " WHERE customer_id = 'c2'"
        )

    result = harness.run(STATE_SYNC, raise_on_error=False)

    message = _failure(result, CUSTOMER_STATE_PLAN)
    assert "customer_state__unique_id: duplicate_customer_id (2 rows)" in message
    assert "cio_sync/customer_state" not in _materialized(result)
    assert harness.sandbox.people() == {}


@pytest.mark.duckdb_only
def test_sync_only_run_refuses_an_event_key_already_used_on_another_day(
    harness: SyncHarness,
) -> None:
    day_before = OCCURRED - dt.timedelta(days=1)
    harness.put_events(
        [
            event_row("order:1", "c1", ORDER_PLACED, OCCURRED),
            # A rebuild that moved order:7 a day earlier, while its old row stayed behind.
            event_row("order:7", "c1", ORDER_PLACED, OCCURRED),
            event_row("order:7", "c1", ORDER_PLACED, day_before),
        ]
    )

    result = harness.run(EVENTS_SYNC_KEYS, raise_on_error=False)

    message = _failure(result, EVENTS_PLAN)
    assert "events__unique_key: duplicate_event_key (2 rows)" in message
    assert harness.sandbox.events() == []


def test_sync_only_run_refuses_a_spec_whose_mapped_column_is_gone(harness: SyncHarness) -> None:
    harness.put_state([state_row("c1")])
    with harness.warehouse.session() as session:
        session.execute(f"ALTER TABLE {CUSTOMER_STATE_TABLE} DROP COLUMN loyalty_tier")

    result = harness.run(STATE_SYNC, raise_on_error=False)

    message = _failure(result, CUSTOMER_STATE_PLAN)
    assert "loyalty_tier" in message
    assert "Nothing was planned or sent for customer_state" in message
    assert harness.sandbox.people() == {}
