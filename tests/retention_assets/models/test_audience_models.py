"""The VIP audience, built by the real asset from the customer state of the same day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from retention_assets.models.audiences import retention_vip_audience
from retention_assets.models.customer_state import VIP_RULE, retention_customer_state
from retention_assets.tables import VIP_AUDIENCE_TABLE

DAY = "2025-06-30"
GOLD_BUYER = 301
SILVER_BUYER = 302
SMALL_BUYER = 303
NEVER_BOUGHT = 304


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _order(order_id: int, customer_id: int, amount: Decimal) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "placed_at": _at("2025-06-10 12:00"),
        "status": "placed",
        "currency": "USD",
        "total_amount": amount,
        "discount_amount": Decimal("0"),
    }


def _shop(model_warehouse) -> None:
    customers = [GOLD_BUYER, SILVER_BUYER, SMALL_BUYER, NEVER_BOUGHT]
    model_warehouse.insert(
        "customers",
        [
            {"customer_id": c, "email": f"c{c}@example.com", "updated_at": _at("2025-01-01 10:00")}
            for c in customers
        ],
    )
    model_warehouse.insert(
        "orders",
        [
            _order(1, GOLD_BUYER, VIP_RULE.gold_min_revenue),
            _order(2, SILVER_BUYER, VIP_RULE.silver_min_revenue),
            # One cent short of silver: no VIP.
            _order(3, SMALL_BUYER, VIP_RULE.silver_min_revenue - Decimal("0.01")),
        ],
    )


def test_the_audience_holds_the_gold_and_silver_customers_of_the_day(model_warehouse) -> None:
    _shop(model_warehouse)

    result = model_warehouse.materialize(
        [retention_customer_state, retention_vip_audience], partition=DAY
    )

    assert result.success
    assert model_warehouse.rows(
        f"SELECT customer_id, vip_tier FROM {VIP_AUDIENCE_TABLE} ORDER BY customer_id"
    ) == [
        {"customer_id": str(GOLD_BUYER), "vip_tier": "gold"},
        {"customer_id": str(SILVER_BUYER), "vip_tier": "silver"},
    ]


def test_a_rebuilt_day_replaces_its_rows(model_warehouse) -> None:
    _shop(model_warehouse)
    assets = [retention_customer_state, retention_vip_audience]
    model_warehouse.materialize(assets, partition=DAY)
    model_warehouse.materialize(assets, partition=DAY)

    assert model_warehouse.rows(f"SELECT count(*) AS n FROM {VIP_AUDIENCE_TABLE}") == [{"n": 2}]
