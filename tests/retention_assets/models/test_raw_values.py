"""Dirty raw values get one explicit verdict in both models, and every verdict is counted.

Each test loads a raw value a real loader writes (padded ids, tabs in emails, 'Placed', an
order dated 9999, a NaN amount, a TIMESTAMPTZ shop column), builds the real assets and asserts
what the rule in docs/raw-contract.md says: normalised, rejected (excluded and counted) or
rejected as an attribute. Some cases need a raw column typed differently from the contract
(text ids, a DOUBLE amount, a zone-aware timestamp): the test re-creates that table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import dagster as dg

from retention_assets.models.customer_state import retention_customer_state
from retention_assets.models.events import retention_events
from retention_assets.sources.raw_schema import RAW_TABLES, create_table_sql
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE
from tests.shop_events import ORDER_PLACED, SUBSCRIPTION_STARTED
from tests.warehouses import duckdb_only

DAY = "2025-06-30"
AS_OF = dt.date(2025, 6, 30)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def retype(warehouse: Any, table: str, **types: str) -> None:
    """Re-create ``raw.<table>`` with some columns typed as a loader typed them."""
    contract = RAW_TABLES[table]
    columns = tuple(
        dataclasses.replace(column, type=types.get(column.name, column.type))
        for column in contract.columns
    )
    with warehouse.resource.session() as session:
        session.execute(f"DROP TABLE raw.{table}")
        session.execute(create_table_sql(dataclasses.replace(contract, columns=columns)))


def customer(customer_id: Any, email: str | None = None, updated_at: str = "2025-06-01 10:00"):
    return {"customer_id": customer_id, "email": email, "updated_at": ts(updated_at)}


def order(
    order_id: int,
    customer_id: Any,
    total: Any = Decimal("100.00"),
    placed_at: Any = "2025-06-30 10:00",
    status: str = "placed",
    loaded_at: str | None = None,
) -> dict[str, Any]:
    row = {
        "order_id": order_id,
        "customer_id": customer_id,
        "placed_at": ts(placed_at) if isinstance(placed_at, str) else placed_at,
        "status": status,
        "currency": "USD",
        "total_amount": total,
        "discount_amount": Decimal("0"),
    }
    if loaded_at is not None:
        row["_loaded_at"] = ts(loaded_at)
    return row


def build_state(warehouse: Any) -> tuple[dict[str, dict[str, Any]], dg.RunRecord | Any]:
    result = warehouse.materialize([retention_customer_state], partition=DAY)
    rows = warehouse.rows(
        f"SELECT * FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $day", {"day": AS_OF}
    )
    metadata = result.asset_materializations_for_node("retention_customer_state")[-1].metadata
    return {row["customer_id"]: row for row in rows}, metadata


def build_events(warehouse: Any) -> tuple[list[dict[str, Any]], Any]:
    result = warehouse.materialize([retention_events], partition=DAY)
    rows = warehouse.rows(f"SELECT * FROM {EVENTS_TABLE} ORDER BY event_key")
    metadata = result.asset_materializations_for_node("retention_events")[-1].metadata
    return rows, metadata


def count(metadata: Any, verdict: str, rule: str) -> int:
    return metadata[f"raw_{verdict}: {rule}"].value


@duckdb_only  # its statements run on fakesnow in other cases
def test_ids_with_surrounding_spaces_are_one_customer(model_warehouse: Any) -> None:
    for table in ("customers", "orders"):
        retype(model_warehouse, table, customer_id="VARCHAR")
    model_warehouse.insert(
        "customers",
        [customer(" 42", "a@example.com", "2025-06-01 10:00"), customer("42 ", None, "2025-06-02")],
    )
    model_warehouse.insert("orders", [order(1, "42\t"), order(2, " 42")])

    state, metadata = build_state(model_warehouse)
    events, events_metadata = build_events(model_warehouse)

    assert list(state) == ["42"]
    assert state["42"]["lifetime_orders"] == 2
    assert state["42"]["email"] == "a@example.com"
    assert {event["customer_id"] for event in events} == {"42"}
    assert count(metadata, "normalised", "customer_id_trimmed") == 4
    assert count(events_metadata, "normalised", "customer_id_trimmed") == 2


def test_ids_empty_or_with_control_characters_are_rejected_and_counted(
    model_warehouse: Any,
) -> None:
    for table in ("customers", "orders"):
        retype(model_warehouse, table, customer_id="VARCHAR")
    model_warehouse.insert(
        "customers",
        [customer("7"), customer("4\x0743"), customer("  "), customer("8\n9")],
    )
    model_warehouse.insert("orders", [order(1, "7"), order(2, "4\x0743"), order(3, " ")])

    state, metadata = build_state(model_warehouse)
    events, events_metadata = build_events(model_warehouse)

    assert list(state) == ["7"]
    assert [event["customer_id"] for event in events] == ["7"]
    assert count(metadata, "rejected", "customer_id_control_characters") == 3
    assert count(metadata, "rejected", "customer_id_missing") == 2
    assert count(events_metadata, "rejected", "customer_id_control_characters") == 1
    assert count(events_metadata, "rejected", "customer_id_missing") == 1
    table = {
        (record.data["table"], record.data["rule"]): record.data["rows"]
        for record in metadata["raw_verdicts"].value.records
    }
    assert table[("raw.customers", "customer_id_control_characters")] == 2
    assert table[("raw.orders", "customer_id_control_characters")] == 1


def test_emails_lose_tabs_newlines_spaces_and_capitals(model_warehouse: Any) -> None:
    model_warehouse.insert(
        "customers",
        [customer(1, " Jane.Doe@Example.COM\t\n"), customer(2, "jo\thn @shop.io"), customer(3)],
    )

    state, metadata = build_state(model_warehouse)

    assert state["1"]["email"] == "jane.doe@example.com"
    assert state["2"]["email"] == "john@shop.io"
    assert state["3"]["email"] is None
    assert count(metadata, "normalised", "email_normalised") == 2
    assert count(metadata, "attribute_rejected", "email_invalid") == 0


def test_invalid_email_is_dropped_as_an_attribute_and_the_customer_kept(
    model_warehouse: Any,
) -> None:
    model_warehouse.insert(
        "customers",
        [
            customer(1, "jane@@example.com"),
            customer(2, "no-at-sign.example.com"),
            customer(3, "john@localhost"),
            # An invalid later address does not replace a valid earlier one.
            customer(4, "kept@example.com", "2025-06-01 10:00"),
            customer(4, "broken@", "2025-06-02 10:00"),
        ],
    )

    state, metadata = build_state(model_warehouse)

    assert sorted(state) == ["1", "2", "3", "4"]
    assert [state[key]["email"] for key in ("1", "2", "3")] == [None, None, None]
    assert state["4"]["email"] == "kept@example.com"
    assert count(metadata, "attribute_rejected", "email_invalid") == 4


@duckdb_only  # its statements run on fakesnow in other cases
def test_status_case_and_spaces_are_normalised(model_warehouse: Any) -> None:
    model_warehouse.insert("customers", [customer(1)])
    model_warehouse.insert("orders", [order(1, 1, status="Placed"), order(2, 1, status=" PLACED ")])
    model_warehouse.insert(
        "subscriptions",
        [
            {
                "subscription_id": 5,
                "customer_id": 1,
                "status": "ACTIVE",
                "started_at": ts("2025-06-30 09:00"),
                "updated_at": ts("2025-06-30 09:00"),
            }
        ],
    )

    state, metadata = build_state(model_warehouse)
    events, events_metadata = build_events(model_warehouse)

    assert state["1"]["lifetime_orders"] == 2
    assert state["1"]["subscription_status"] == "active"
    assert sorted(event["event_name"] for event in events) == sorted(
        [ORDER_PLACED, ORDER_PLACED, SUBSCRIPTION_STARTED]
    )
    assert count(metadata, "normalised", "status_normalised") == 3
    assert count(events_metadata, "normalised", "status_normalised") == 3


@duckdb_only  # its statements run on fakesnow in other cases
def test_unknown_status_is_rejected_and_counted(model_warehouse: Any) -> None:
    model_warehouse.insert("customers", [customer(1)])
    model_warehouse.insert("orders", [order(1, 1), order(2, 1, status="shipped")])
    model_warehouse.insert(
        "subscriptions",
        [
            {
                "subscription_id": 5,
                "customer_id": 1,
                "status": "on_hold",
                "updated_at": ts("2025-06-30 09:00"),
            }
        ],
    )

    state, metadata = build_state(model_warehouse)
    events, _ = build_events(model_warehouse)

    assert state["1"]["lifetime_orders"] == 1
    assert state["1"]["subscription_status"] == "none"
    assert [event["event_key"] for event in events] == ["order:1"]
    assert count(metadata, "rejected", "status_unknown") == 2


@duckdb_only  # its statements run on fakesnow in other cases
def test_orders_dated_1970_or_9999_are_rejected_and_counted(model_warehouse: Any) -> None:
    model_warehouse.insert("customers", [customer(1)])
    model_warehouse.insert(
        "orders",
        [
            order(1, 1),
            order(2, 1, placed_at="1970-01-01 00:00", loaded_at="2025-06-30 12:00"),
            order(3, 1, placed_at="9999-12-31 00:00", loaded_at="2025-06-30 12:00"),
        ],
    )

    state, metadata = build_state(model_warehouse)
    _, events_metadata = build_events(model_warehouse)

    assert state["1"]["lifetime_orders"] == 1
    assert state["1"]["first_order_at"] == dt.datetime(2025, 6, 30, 14, tzinfo=dt.UTC)
    assert count(metadata, "rejected", "timestamp_implausible") == 2
    assert count(events_metadata, "rejected", "timestamp_implausible") == 2


@duckdb_only  # its statements run on fakesnow in other cases
def test_negative_amounts_are_rejected_not_negative_revenue(model_warehouse: Any) -> None:
    model_warehouse.insert("customers", [customer(1), customer(2)])
    model_warehouse.insert(
        "orders", [order(1, 1, Decimal("-5000.00")), order(2, 2, Decimal("200.00"))]
    )
    # A negative refund would add revenue: 200 + 2000 would make customer 2 gold.
    model_warehouse.insert(
        "refunds",
        [
            {
                "refund_id": 9,
                "order_id": 2,
                "refunded_at": ts("2025-06-30 11:00"),
                "amount": Decimal("-2000.00"),
                "reason": "damaged",
            }
        ],
    )

    state, metadata = build_state(model_warehouse)
    events, _ = build_events(model_warehouse)

    assert state["1"]["lifetime_revenue"] == Decimal("0.00")
    assert state["1"]["lifetime_orders"] == 0
    assert state["2"]["lifetime_revenue"] == Decimal("200.00")
    assert state["2"]["vip_tier"] == "none"
    assert [event["event_key"] for event in events] == ["order:2"]
    assert count(metadata, "rejected", "amount_negative") == 2


@duckdb_only  # its statements run on fakesnow in other cases
def test_nan_amount_is_rejected_without_failing_the_build(model_warehouse: Any) -> None:
    retype(model_warehouse, "orders", total_amount="DOUBLE")
    model_warehouse.insert("customers", [customer(1)])
    model_warehouse.insert("orders", [order(1, 1, 100.0), order(2, 1, 1.0), order(3, 1, None)])
    with model_warehouse.resource.session() as session:
        session.execute(
            "UPDATE raw.orders SET total_amount = CAST('NaN' AS DOUBLE) WHERE order_id = 2"
        )

    state, metadata = build_state(model_warehouse)
    events, events_metadata = build_events(model_warehouse)

    assert state["1"]["lifetime_revenue"] == Decimal("100.00")
    assert state["1"]["lifetime_orders"] == 1
    assert [event["event_key"] for event in events] == ["order:1"]
    assert count(metadata, "rejected", "amount_not_a_number") == 1
    assert count(metadata, "rejected", "amount_missing") == 1
    assert count(events_metadata, "rejected", "amount_not_a_number") == 1


def test_zone_aware_placed_at_is_read_as_its_instant(model_warehouse: Any) -> None:
    retype(model_warehouse, "orders", placed_at="TIMESTAMPTZ")
    instant = dt.datetime(2025, 6, 30, 15, 30, tzinfo=dt.UTC)
    model_warehouse.insert("customers", [customer(1)])
    model_warehouse.insert("orders", [order(1, 1, placed_at=instant, loaded_at="2025-06-30 18:00")])

    state, metadata = build_state(model_warehouse)
    events, _ = build_events(model_warehouse)

    assert state["1"]["last_order_at"] == instant
    assert [event["occurred_at"] for event in events] == [instant]
    assert metadata["raw_zoned_timestamp_columns"].value == "raw.orders.placed_at"


@duckdb_only  # its statements run on fakesnow in other cases
def test_naive_placed_at_keeps_the_shop_zone(model_warehouse: Any) -> None:
    model_warehouse.insert("customers", [customer(1)])
    model_warehouse.insert("orders", [order(1, 1, placed_at="2025-06-30 11:30")])

    state, metadata = build_state(model_warehouse)

    # New York is UTC-4 in June.
    assert state["1"]["last_order_at"] == dt.datetime(2025, 6, 30, 15, 30, tzinfo=dt.UTC)
    assert metadata["raw_zoned_timestamp_columns"].value == "none"


def test_zone_aware_refunded_at_and_updated_at_are_read_as_instants(model_warehouse: Any) -> None:
    retype(model_warehouse, "refunds", refunded_at="TIMESTAMPTZ")
    retype(model_warehouse, "customers", updated_at="TIMESTAMPTZ")
    # Read as New York wall time, the refund would move 4 hours earlier (EDT).
    late_update = dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC)
    refunded = dt.datetime(2025, 6, 30, 16, 0, tzinfo=dt.UTC)
    model_warehouse.insert(
        "customers",
        [{**customer(1, "new@example.com"), "updated_at": late_update, "_loaded_at": ts(DAY)}],
    )
    model_warehouse.insert("orders", [order(1, 1, placed_at="2025-06-29 10:00")])
    model_warehouse.insert(
        "refunds",
        [
            {
                "refund_id": 9,
                "order_id": 1,
                "refunded_at": refunded,
                "amount": Decimal("10.00"),
                "_loaded_at": ts("2025-06-30 20:00"),
            }
        ],
    )

    state, metadata = build_state(model_warehouse)

    assert state["1"]["email"] == "new@example.com"
    assert state["1"]["last_refund_at"] == refunded
    assert metadata["raw_zoned_timestamp_columns"].value == (
        "raw.customers.updated_at, raw.refunds.refunded_at"
    )
