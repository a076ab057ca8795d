"""The loyalty models, built by the real assets from the customer state of the same day."""

from __future__ import annotations

import datetime as dt

from retention_assets.models.customer_state import retention_customer_state
from retention_assets.models.loyalty import retention_loyalty_members, retention_loyalty_programs
from retention_assets.tables import LOYALTY_MEMBERS_TABLE, LOYALTY_PROGRAMS_TABLE

DAY = "2025-06-30"
SILVER_MEMBER = 201
GOLD_MEMBER = 202
SECOND_GOLD_MEMBER = 203
NO_LOYALTY_ACCOUNT = 204


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_programs_count_their_members_and_members_carry_points(model_warehouse) -> None:
    customers = [SILVER_MEMBER, GOLD_MEMBER, SECOND_GOLD_MEMBER, NO_LOYALTY_ACCOUNT]
    model_warehouse.insert(
        "customers",
        [
            {"customer_id": c, "email": f"c{c}@example.com", "updated_at": _at("2025-01-01 10:00")}
            for c in customers
        ],
    )
    model_warehouse.insert(
        "loyalty_accounts",
        [
            {
                "customer_id": customer,
                "points_balance": points,
                "tier": tier,
                "updated_at": _at("2025-06-01 00:00"),
            }
            for customer, points, tier in (
                (SILVER_MEMBER, 700, "silver"),
                (GOLD_MEMBER, 2500, "gold"),
                (SECOND_GOLD_MEMBER, 3100, "gold"),
            )
        ],
    )

    result = model_warehouse.materialize(
        [retention_customer_state, retention_loyalty_programs, retention_loyalty_members],
        partition=DAY,
    )

    assert result.success
    programs = model_warehouse.rows(
        f"SELECT program_code, members, perk FROM {LOYALTY_PROGRAMS_TABLE} ORDER BY min_points"
    )
    # Every tier has its row, held or not; the entry tier has no perk.
    assert [(p["program_code"], p["members"]) for p in programs] == [
        ("bronze", 0),
        ("silver", 1),
        ("gold", 2),
        ("platinum", 0),
    ]
    assert programs[0]["perk"] is None
    members = model_warehouse.rows(
        f"SELECT customer_id, program_code, points FROM {LOYALTY_MEMBERS_TABLE}"
        " ORDER BY customer_id"
    )
    # A customer without a loyalty account is no member.
    assert members == [
        {"customer_id": str(SILVER_MEMBER), "program_code": "silver", "points": 700},
        {"customer_id": str(GOLD_MEMBER), "program_code": "gold", "points": 2500},
        {"customer_id": str(SECOND_GOLD_MEMBER), "program_code": "gold", "points": 3100},
    ]


def test_a_rebuilt_day_replaces_its_rows(model_warehouse) -> None:
    model_warehouse.insert(
        "customers",
        [{"customer_id": GOLD_MEMBER, "email": "g@example.com", "updated_at": _at("2025-01-01")}],
    )
    model_warehouse.insert(
        "loyalty_accounts",
        [
            {
                "customer_id": GOLD_MEMBER,
                "points_balance": 2500,
                "tier": "gold",
                "updated_at": _at("2025-06-01 00:00"),
            }
        ],
    )
    assets = [retention_customer_state, retention_loyalty_programs, retention_loyalty_members]
    model_warehouse.materialize(assets, partition=DAY)
    model_warehouse.materialize(assets, partition=DAY)

    assert model_warehouse.rows(f"SELECT count(*) AS n FROM {LOYALTY_MEMBERS_TABLE}") == [{"n": 1}]
    assert model_warehouse.rows(f"SELECT count(*) AS n FROM {LOYALTY_PROGRAMS_TABLE}") == [{"n": 4}]
