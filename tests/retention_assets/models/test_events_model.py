"""retention_events on named edge cases, built by the real asset in a DuckDB file.

Shop timestamps are store-local America/New_York; subscription and support timestamps are UTC.
One module-scoped warehouse is built by a single-run range backfill; tests that change raw
data between builds use a warehouse of their own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlglot

from resources.params import parameter_names
from retention_assets.models.build import load_sql
from retention_assets.models.events import EVENT_NAME_PARAMS, event_name_param, retention_events
from retention_assets.models.raw_rules import with_staging
from retention_assets.shop_specs import EVENT_NAMES
from retention_assets.tables import EVENTS_TABLE
from tests.metadata_tables import as_text
from tests.shop_events import (
    ORDER_PLACED,
    ORDER_REFUNDED,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_PAUSED,
    SUBSCRIPTION_STARTED,
    SUPPORT_TICKET_OPENED,
)

RANGE = ("2025-03-01", "2025-11-30")
UTC = dt.UTC

# The cast: customers and records named after the case they show.
BUYER = 201
REFUNDED_BUYER = 202
SUPPORT_REQUESTER = 204
SUBSCRIBER_WHO_RESUMES = 205
SUBSCRIBER_WHO_RESTARTS_AFTER_CANCEL = 206
SUBSCRIBER_WITH_EARLIER_HISTORY = 207
DST_BUYER = 208

ORDER_LATE_EVENING_LOCAL = 20101  # 2025-06-14 20:30 EDT = 2025-06-15 00:30 UTC
ORDER_CANCELLED = 20102
ORDER_RELOADED = 20103  # landed twice
ORDER_REFUNDED_LATER = 20201
ORDER_WITHOUT_CUSTOMER = 20301
ORDER_SPRING_FORWARD = 20801  # 2025-03-09 03:30 EDT = 07:30 UTC
ORDER_FALL_BACK_MORNING = 20802  # 2025-11-02 00:30 EDT = 04:30 UTC, still 2025-11-02
ORDER_FALL_BACK_NIGHT = 20803  # 2025-11-02 23:30 EST = 2025-11-03 04:30 UTC
REFUND_OF_REFUNDED_ORDER = 2021
REFUND_WITHOUT_CUSTOMER = 2031
TICKET_LAST_SECOND = 2041  # 2025-06-15 23:59:59 UTC
TICKET_MIDNIGHT = 2042  # 2025-06-16 00:00:00 UTC
TICKET_WITHOUT_CUSTOMER = 2043


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def order(
    order_id: int, customer_id: int | None, placed_at: str, total: str, status: str = "placed"
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "placed_at": ts(placed_at),
        "status": status,
        "currency": "USD",
        "total_amount": Decimal(total),
        "discount_amount": Decimal("0"),
    }


def subscription(
    subscription_id: int, customer_id: int, status: str, updated_at: str, **extra: Any
) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "customer_id": customer_id,
        "status": status,
        "started_at": ts("2025-06-01 00:00"),
        "updated_at": ts(updated_at),
        **extra,
    }


def load_cast(warehouse: Any) -> None:
    warehouse.insert(
        "orders",
        [
            order(ORDER_LATE_EVENING_LOCAL, BUYER, "2025-06-14 20:30", "45.50"),
            order(ORDER_CANCELLED, BUYER, "2025-06-15 10:00", "12.00", "cancelled"),
            order(ORDER_RELOADED, BUYER, "2025-06-15 12:00", "9.00"),
            {
                **order(ORDER_RELOADED, BUYER, "2025-06-15 12:00", "9.00"),
                "_loaded_at": ts("2025-06-17 00:00"),
            },
            order(ORDER_REFUNDED_LATER, REFUNDED_BUYER, "2025-06-10 12:00", "30.00"),
            order(ORDER_WITHOUT_CUSTOMER, None, "2025-06-15 12:00", "5.00"),
            order(ORDER_SPRING_FORWARD, DST_BUYER, "2025-03-09 03:30", "1.00"),
            order(ORDER_FALL_BACK_MORNING, DST_BUYER, "2025-11-02 00:30", "1.00"),
            order(ORDER_FALL_BACK_NIGHT, DST_BUYER, "2025-11-02 23:30", "1.00"),
        ],
    )
    warehouse.insert(
        "order_items",
        [
            {
                "order_id": ORDER_LATE_EVENING_LOCAL,
                "line_number": 1,
                "quantity": 2,
                "category": "tea",
            },
            {
                "order_id": ORDER_LATE_EVENING_LOCAL,
                "line_number": 2,
                "quantity": 1,
                "category": "tea",
            },
        ],
    )
    warehouse.insert(
        "refunds",
        [
            {
                "refund_id": REFUND_OF_REFUNDED_ORDER,
                "order_id": ORDER_REFUNDED_LATER,
                "refunded_at": ts("2025-06-15 09:00"),
                "amount": Decimal("10.00"),
                "reason": "damaged",
            },
            {
                "refund_id": REFUND_WITHOUT_CUSTOMER,
                "order_id": ORDER_WITHOUT_CUSTOMER,
                "refunded_at": ts("2025-06-15 13:00"),
                "amount": Decimal("5.00"),
                "reason": "other",
            },
        ],
    )
    warehouse.insert(
        "support_tickets",
        [
            {
                "ticket_id": TICKET_LAST_SECOND,
                "customer_id": SUPPORT_REQUESTER,
                "opened_at": ts("2025-06-15 23:59:59"),
                "status": "open",
            },
            {
                "ticket_id": TICKET_MIDNIGHT,
                "customer_id": SUPPORT_REQUESTER,
                "opened_at": ts("2025-06-16 00:00:00"),
                "status": "solved",
            },
            {
                "ticket_id": TICKET_WITHOUT_CUSTOMER,
                "customer_id": None,
                "opened_at": ts("2025-06-15 12:00"),
                "status": "open",
            },
        ],
    )
    warehouse.insert(
        "subscriptions",
        [
            # active -> (unchanged) -> paused (landed twice) -> active again -> cancelled
            subscription(2051, SUBSCRIBER_WHO_RESUMES, "active", "2025-06-15 01:00"),
            subscription(2051, SUBSCRIBER_WHO_RESUMES, "active", "2025-06-15 02:00"),
            subscription(2051, SUBSCRIBER_WHO_RESUMES, "paused", "2025-06-15 03:00"),
            subscription(
                2051,
                SUBSCRIBER_WHO_RESUMES,
                "paused",
                "2025-06-15 03:00",
                _loaded_at=ts("2025-06-18 00:00"),
            ),
            subscription(2051, SUBSCRIBER_WHO_RESUMES, "active", "2025-06-15 04:00"),
            subscription(2051, SUBSCRIBER_WHO_RESUMES, "cancelled", "2025-06-15 05:00"),
            # Re-activated after a cancellation: a start, but not a resume.
            subscription(2052, SUBSCRIBER_WHO_RESTARTS_AFTER_CANCEL, "active", "2025-06-15 06:00"),
            subscription(
                2052, SUBSCRIBER_WHO_RESTARTS_AFTER_CANCEL, "cancelled", "2025-06-15 07:00"
            ),
            subscription(2052, SUBSCRIBER_WHO_RESTARTS_AFTER_CANCEL, "active", "2025-06-15 08:00"),
            # Earlier rows lie before the window of a one-day rebuild, yet decide what changed.
            subscription(2053, SUBSCRIBER_WITH_EARLIER_HISTORY, "active", "2025-02-01 00:00"),
            # The first load of this change said cancelled; a re-load corrected it to paused.
            subscription(
                2053,
                SUBSCRIBER_WITH_EARLIER_HISTORY,
                "cancelled",
                "2025-06-15 10:00",
                _loaded_at=ts("2025-06-15 10:30"),
            ),
            subscription(
                2053,
                SUBSCRIBER_WITH_EARLIER_HISTORY,
                "paused",
                "2025-06-15 10:00",
                _loaded_at=ts("2025-06-16 00:00"),
            ),
            subscription(2054, SUBSCRIBER_WITH_EARLIER_HISTORY, "paused", "2025-06-10 00:00"),
            subscription(2054, SUBSCRIBER_WITH_EARLIER_HISTORY, "active", "2025-06-15 11:00"),
        ],
    )


@pytest.fixture(scope="module")
def built(new_model_warehouse: Callable[[], Any]) -> tuple[Any, Any]:
    warehouse = new_model_warehouse()
    load_cast(warehouse)
    result = warehouse.materialize([retention_events], partition_range=RANGE)
    return warehouse, result


def all_events(warehouse: Any) -> list[dict[str, Any]]:
    return warehouse.rows(f"SELECT * FROM {EVENTS_TABLE} ORDER BY event_key")


@pytest.fixture(scope="module")
def events(built: tuple[Any, Any]) -> dict[str, dict[str, Any]]:
    """The built events by event_key."""
    warehouse, _ = built
    return {row["event_key"]: row for row in all_events(warehouse)}


def test_the_sql_binds_every_name_of_the_spec_vocabulary() -> None:
    # A name renamed in the spec alone would leave the SQL's parameter without a value.
    sql = with_staging(load_sql("events.sql"), frozenset())
    assert sorted(EVENT_NAME_PARAMS.values()) == sorted(EVENT_NAMES)
    assert set(EVENT_NAME_PARAMS) <= parameter_names(sql)
    assert event_name_param("Support Ticket Opened") == "support_ticket_opened"


def test_sql_spells_no_event_name_and_parses_as_duckdb() -> None:
    sql = with_staging(load_sql("events.sql"), frozenset())
    assert not [name for name in EVENT_NAMES if name in sql]
    assert sqlglot.parse_one(sql, read="duckdb") is not None


def test_every_event_name_is_produced_from_the_vocabulary(
    events: dict[str, dict[str, Any]],
) -> None:
    assert {row["event_name"] for row in events.values()} == set(EVENT_NAMES)


def test_event_keys_are_unique(built: tuple[Any, Any]) -> None:
    warehouse, _ = built
    keys = [row["event_key"] for row in all_events(warehouse)]
    assert len(keys) == len(set(keys))


def test_order_placed_event(events: dict[str, dict[str, Any]]) -> None:
    row = events[f"order:{ORDER_LATE_EVENING_LOCAL}"]
    assert row["event_name"] == ORDER_PLACED
    assert row["customer_id"] == str(BUYER)
    assert row["occurred_at"] == utc("2025-06-15 00:30")
    assert json.loads(row["properties"]) == {
        "order_id": ORDER_LATE_EVENING_LOCAL,
        "total_amount": 45.5,
        "currency": "USD",
        "item_count": 3,
    }
    assert row["loaded_at"] == utc("2025-06-15 02:30")


def test_cancelled_order_has_no_event(events: dict[str, dict[str, Any]]) -> None:
    assert f"order:{ORDER_CANCELLED}" not in events


def test_reloaded_order_is_one_event_from_its_latest_load(
    events: dict[str, dict[str, Any]],
) -> None:
    row = events[f"order:{ORDER_RELOADED}"]
    assert row["loaded_at"] == utc("2025-06-17 00:00")
    assert json.loads(row["properties"])["item_count"] == 0


def test_refund_event_is_attributed_via_its_order(events: dict[str, dict[str, Any]]) -> None:
    row = events[f"refund:{REFUND_OF_REFUNDED_ORDER}"]
    assert row["event_name"] == ORDER_REFUNDED
    assert row["customer_id"] == str(REFUNDED_BUYER)
    assert row["occurred_at"] == utc("2025-06-15 13:00")
    assert json.loads(row["properties"]) == {
        "refund_id": REFUND_OF_REFUNDED_ORDER,
        "order_id": ORDER_REFUNDED_LATER,
        "amount": 10.0,
        "reason": "damaged",
    }


def test_support_ticket_event(events: dict[str, dict[str, Any]]) -> None:
    row = events[f"ticket:{TICKET_LAST_SECOND}"]
    assert row["event_name"] == SUPPORT_TICKET_OPENED
    assert row["customer_id"] == str(SUPPORT_REQUESTER)
    assert json.loads(row["properties"]) == {"ticket_id": TICKET_LAST_SECOND}


def test_events_without_a_customer_are_dropped(events: dict[str, dict[str, Any]]) -> None:
    assert f"order:{ORDER_WITHOUT_CUSTOMER}" not in events
    assert f"refund:{REFUND_WITHOUT_CUSTOMER}" not in events
    assert f"ticket:{TICKET_WITHOUT_CUSTOMER}" not in events
    assert all(row["customer_id"] is not None for row in events.values())


def subscription_events(
    events: dict[str, dict[str, Any]], subscription_id: int
) -> list[tuple[str, str, dict[str, Any]]]:
    rows = [
        row for key, row in events.items() if key.startswith(f"subscription:{subscription_id}:")
    ]
    rows.sort(key=lambda row: row["occurred_at"])
    return [(row["event_key"], row["event_name"], json.loads(row["properties"])) for row in rows]


def test_subscription_transitions_including_resume(events: dict[str, dict[str, Any]]) -> None:
    assert subscription_events(events, 2051) == [
        (
            "subscription:2051:active:2025-06-15T01:00:00.000000Z",
            SUBSCRIPTION_STARTED,
            {"subscription_id": 2051, "status": "active"},
        ),
        (
            "subscription:2051:paused:2025-06-15T03:00:00.000000Z",
            SUBSCRIPTION_PAUSED,
            {"subscription_id": 2051, "status": "paused"},
        ),
        (
            "subscription:2051:active:2025-06-15T04:00:00.000000Z",
            SUBSCRIPTION_STARTED,
            {"subscription_id": 2051, "status": "active", "resumed": True},
        ),
        (
            "subscription:2051:cancelled:2025-06-15T05:00:00.000000Z",
            SUBSCRIPTION_CANCELLED,
            {"subscription_id": 2051, "status": "cancelled"},
        ),
    ]


def test_restart_after_cancellation_is_not_a_resume(events: dict[str, dict[str, Any]]) -> None:
    assert [(name, props) for _, name, props in subscription_events(events, 2052)] == [
        (SUBSCRIPTION_STARTED, {"subscription_id": 2052, "status": "active"}),
        (SUBSCRIPTION_CANCELLED, {"subscription_id": 2052, "status": "cancelled"}),
        (SUBSCRIPTION_STARTED, {"subscription_id": 2052, "status": "active"}),
    ]


@pytest.mark.parametrize(
    ("event_key", "event_date"),
    [
        pytest.param(
            f"order:{ORDER_LATE_EVENING_LOCAL}", "2025-06-15", id="local-evening-utc-next-day"
        ),
        pytest.param(f"ticket:{TICKET_LAST_SECOND}", "2025-06-15", id="last-second-of-day"),
        pytest.param(f"ticket:{TICKET_MIDNIGHT}", "2025-06-16", id="midnight-starts-next-day"),
        pytest.param(f"order:{ORDER_SPRING_FORWARD}", "2025-03-09", id="dst-spring-forward"),
        pytest.param(f"order:{ORDER_FALL_BACK_MORNING}", "2025-11-02", id="dst-fall-back-edt"),
        pytest.param(f"order:{ORDER_FALL_BACK_NIGHT}", "2025-11-03", id="dst-fall-back-est"),
    ],
)
def test_event_lands_in_its_utc_partition(
    events: dict[str, dict[str, Any]], event_key: str, event_date: str
) -> None:
    assert events[event_key]["event_date"] == dt.date.fromisoformat(event_date)


@pytest.mark.parametrize(
    ("order_id", "occurred_at"),
    [
        pytest.param(ORDER_SPRING_FORWARD, utc("2025-03-09 07:30"), id="2025-03-09-03:30-EDT"),
        pytest.param(ORDER_FALL_BACK_MORNING, utc("2025-11-02 04:30"), id="2025-11-02-00:30-EDT"),
        pytest.param(ORDER_FALL_BACK_NIGHT, utc("2025-11-03 04:30"), id="2025-11-02-23:30-EST"),
    ],
)
def test_dst_day_store_times_convert_to_utc(
    events: dict[str, dict[str, Any]], order_id: int, occurred_at: dt.datetime
) -> None:
    assert events[f"order:{order_id}"]["occurred_at"] == occurred_at


def test_run_metadata_counts_events_by_name(built: tuple[Any, Any]) -> None:
    warehouse, result = built
    metadata = result.asset_materializations_for_node("retention_events")[-1].metadata
    assert metadata["dagster/row_count"].value == len(all_events(warehouse))
    assert metadata["events_by_name"].value[SUBSCRIPTION_STARTED] == 5
    assert as_text(metadata["preview"]).startswith("| event_key |")


def test_one_day_rebuild_reads_history_before_its_window(built: tuple[Any, Any]) -> None:
    warehouse, _ = built
    before = all_events(warehouse)
    warehouse.materialize([retention_events], partition="2025-06-15")
    after = {row["event_key"]: row for row in all_events(warehouse)}
    assert [event[1:] for event in subscription_events(after, 2053)] == [
        (SUBSCRIPTION_PAUSED, {"subscription_id": 2053, "status": "paused"}),
    ]
    assert [event[1:] for event in subscription_events(after, 2054)] == [
        (SUBSCRIPTION_PAUSED, {"subscription_id": 2054, "status": "paused"}),  # from 2025-06-10
        (SUBSCRIPTION_STARTED, {"subscription_id": 2054, "status": "active", "resumed": True}),
    ]
    # Rebuilding again changes nothing: same keys, same rows, other days untouched.
    assert list(after.values()) == before


def test_range_backfill_equals_partitions_built_one_by_one(
    built: tuple[Any, Any], model_warehouse: Any
) -> None:
    ranged, _ = built
    load_cast(model_warehouse)
    for day in ("2025-06-14", "2025-06-15", "2025-06-16"):
        model_warehouse.materialize([retention_events], partition=day)
    sql = (
        f"SELECT * FROM {EVENTS_TABLE}"
        " WHERE event_date BETWEEN DATE '2025-06-14' AND DATE '2025-06-16' ORDER BY event_key"
    )
    assert model_warehouse.rows(sql) == ranged.rows(sql)
    assert model_warehouse.rows(sql) == all_events(model_warehouse)


def test_a_range_backfill_stores_events_in_time_order(model_warehouse: Any) -> None:
    # The sync reads a few days at a time; stored in time order, those reads skip the other
    # days' row groups by their min/max instead of scanning the whole history.
    load_cast(model_warehouse)
    model_warehouse.materialize([retention_events], partition_range=RANGE)
    stored = [row["occurred_at"] for row in model_warehouse.rows(f"SELECT * FROM {EVENTS_TABLE}")]
    assert len(stored) > 10
    assert stored == sorted(stored)


def test_late_refund_appears_when_its_partition_is_rebuilt(model_warehouse: Any) -> None:
    model_warehouse.insert("orders", [order(1, BUYER, "2025-06-01 12:00", "20.00")])
    model_warehouse.materialize([retention_events], partition="2025-06-02")
    assert all_events(model_warehouse) == []

    model_warehouse.insert(
        "refunds",
        [
            {
                "refund_id": 7,
                "order_id": 1,
                "refunded_at": ts("2025-06-02 12:00"),
                "amount": Decimal("20.00"),
                "reason": "late",
                "_loaded_at": ts("2025-06-20 08:00"),
            }
        ],
    )
    model_warehouse.materialize([retention_events], partition="2025-06-02")
    (refund,) = all_events(model_warehouse)
    assert refund["event_key"] == "refund:7"
    assert refund["event_date"] == dt.date(2025, 6, 2)
    assert refund["customer_id"] == str(BUYER)
    assert refund["loaded_at"] == utc("2025-06-20 08:00")
