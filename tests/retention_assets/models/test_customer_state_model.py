"""retention_customer_state on named edge cases, built by the real asset in a DuckDB file.

One module-scoped warehouse holds a small cast of customers, each named after the rule it
exercises, and one single-run range backfill builds every as-of day the tests look at.
Shop timestamps are store-local America/New_York (EDT, UTC-4, from March to November);
the main as-of day is 2025-06-30, whose end is 2025-07-01 00:00 UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlglot

from retention_assets.models.build import load_sql
from retention_assets.models.customer_state import (
    CUSTOMER_STATE_COLUMNS,
    VIP_RULE,
    retention_customer_state,
)
from retention_assets.models.raw_rules import with_staging
from retention_assets.shop_specs import SYNC_MAPPING
from retention_assets.tables import CUSTOMER_STATE_TABLE
from tests.metadata_tables import as_text

AS_OF = dt.date(2025, 6, 30)
RANGE = ("2025-06-10", "2025-07-01")
UTC = dt.UTC

# The cast: one customer per edge case.
LATEST_CDC_EMAIL = 101
REVENUE_AND_REFUNDS = 102
LATE_REFUND = 103
DST_ORDERS = 104
SUBSCRIPTION_ACTIVE_BEATS_CANCELLED = 106
SUBSCRIPTION_PAUSED_BEATS_CANCELLED = 107
SUBSCRIPTION_CANCELLED_ONLY = 108
QUIET_EXACTLY_60_DAYS = 109
QUIET_61_DAYS = 110
RECENT_WEB_SESSION = 111
RECENT_SUPPORT_TICKET = 112
NEVER_ORDERED = 113
CATEGORY_TIE = 114
CATEGORY_UNITS_NOT_LINES = 115
VIP_GOLD_AT_THRESHOLD = 116
VIP_SILVER_JUST_BELOW_GOLD = 117
VIP_SILVER_AT_THRESHOLD = 118
VIP_NONE_JUST_BELOW_SILVER = 119
MARGIN_HIGH_AT_THRESHOLD = 120
MARGIN_MEDIUM_JUST_BELOW_HIGH = 121
MARGIN_MEDIUM_AT_THRESHOLD = 122
MARGIN_LOW_JUST_BELOW_MEDIUM = 123
REPLENISHMENT_DUE = 124
REPLENISHMENT_NOT_DUE = 125
CATEGORY_WITHOUT_REPLENISHMENT = 126
LOYALTY_HISTORY = 127
LANDS_AFTER_AS_OF = 128
ORDERS_WITHOUT_CUSTOMER_ROW = 999
NULL_ID_ROWS = 2

# Every VIP rule version ever shipped. A threshold change without a new version fails here.
VIP_RULE_VERSIONS = {1: (Decimal("1000"), Decimal("300"))}


def ts(text: str) -> dt.datetime:
    """A naive raw timestamp."""
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


def item(
    order_id: int, line: int, category: str, quantity: int, price: str, cost: str
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "line_number": line,
        "sku": f"{category}-sku",
        "category": category,
        "quantity": quantity,
        "unit_price": Decimal(price),
        "unit_cost": Decimal(cost),
    }


def subscription(
    subscription_id: int, customer_id: int, status: str, updated_at: str
) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "customer_id": customer_id,
        "status": status,
        "started_at": ts("2025-01-01 00:00"),
        "updated_at": ts(updated_at),
    }


def load_cast(warehouse: Any) -> None:
    """Insert the named customers and their history into a warehouse's raw tables."""
    plain = [
        customer_id
        for customer_id in range(REVENUE_AND_REFUNDS, LOYALTY_HISTORY + 1)
        if customer_id != 105
    ]
    warehouse.insert(
        "customers",
        [
            # Latest updated_at wins even though the older row landed later; the newest row
            # has no email, so the latest non-null one is kept, trimmed and lower-cased.
            {
                "customer_id": LATEST_CDC_EMAIL,
                "email": " Old@Example.com",
                "updated_at": ts("2025-01-05 10:00"),
                "_loaded_at": ts("2025-03-05 00:00"),
            },
            {
                "customer_id": LATEST_CDC_EMAIL,
                "email": "  New@Example.COM ",
                "updated_at": ts("2025-02-01 10:00"),
            },
            {
                "customer_id": LATEST_CDC_EMAIL,
                "email": None,
                "updated_at": ts("2025-03-01 10:00"),
            },
            {
                "customer_id": LATEST_CDC_EMAIL,
                "email": "future@example.com",
                "updated_at": ts("2025-07-05 10:00"),
            },
            # A re-load of the same CDC row: same key, later _loaded_at.
            {
                "customer_id": LATEST_CDC_EMAIL,
                "email": "  New@Example.COM ",
                "updated_at": ts("2025-02-01 10:00"),
                "_loaded_at": ts("2025-02-10 00:00"),
            },
            *[
                {"customer_id": None, "email": "ghost@example.com", "updated_at": ts(when)}
                for when in ("2025-03-01 10:00", "2025-04-01 10:00")
            ],
            *[
                {
                    "customer_id": customer_id,
                    "email": f"c{customer_id}@example.com",
                    "updated_at": ts("2025-01-02 09:00"),
                }
                for customer_id in plain
            ],
            {
                "customer_id": LANDS_AFTER_AS_OF,
                "email": "late@example.com",
                "updated_at": ts("2025-06-29 10:00"),
                "_loaded_at": ts("2025-07-01 01:00"),
            },
        ],
    )
    warehouse.insert(
        "categories",
        [
            {"category": "coffee", "replenishment_days": 30},
            {"category": "tea", "replenishment_days": 45},
            {"category": "bath", "replenishment_days": 60},
            {"category": "apparel", "replenishment_days": None},
        ],
    )
    warehouse.insert(
        "orders",
        [
            order(10201, REVENUE_AND_REFUNDS, "2025-05-01 10:00", "100.00"),
            order(10202, REVENUE_AND_REFUNDS, "2025-05-10 10:00", "50.00"),
            order(10203, REVENUE_AND_REFUNDS, "2025-05-12 10:00", "500.00", "cancelled"),
            # Placed, then re-loaded as cancelled on 2025-06-15: counts only before that.
            {**order(10204, REVENUE_AND_REFUNDS, "2025-05-20 10:00", "40.00")},
            {
                **order(10204, REVENUE_AND_REFUNDS, "2025-05-20 10:00", "40.00", "cancelled"),
                "_loaded_at": ts("2025-06-15 12:00"),
            },
            order(10301, LATE_REFUND, "2025-06-01 12:00", "200.00"),
            order(10401, DST_ORDERS, "2025-01-15 12:00", "10.00"),
            order(10402, DST_ORDERS, "2025-03-09 03:30", "10.00"),
            # Exactly 60 days before the end of 2025-06-30 (2025-05-02 00:00 UTC), and 61.
            order(10901, QUIET_EXACTLY_60_DAYS, "2025-05-01 20:00", "10.00"),
            order(11001, QUIET_61_DAYS, "2025-04-30 20:00", "10.00"),
            order(11101, RECENT_WEB_SESSION, "2025-03-01 12:00", "10.00"),
            order(11201, RECENT_SUPPORT_TICKET, "2025-03-01 12:00", "10.00"),
            order(11401, CATEGORY_TIE, "2025-04-01 12:00", "10.00"),
            order(11402, CATEGORY_TIE, "2025-04-02 12:00", "99.00", "cancelled"),
            order(11501, CATEGORY_UNITS_NOT_LINES, "2025-04-01 12:00", "10.00"),
            order(11601, VIP_GOLD_AT_THRESHOLD, "2025-04-01 12:00", "1000.00"),
            order(11701, VIP_SILVER_JUST_BELOW_GOLD, "2025-04-01 12:00", "999.99"),
            order(11801, VIP_SILVER_AT_THRESHOLD, "2025-04-01 12:00", "300.00"),
            order(11901, VIP_NONE_JUST_BELOW_SILVER, "2025-04-01 12:00", "299.99"),
            order(12001, MARGIN_HIGH_AT_THRESHOLD, "2025-04-01 12:00", "20.00"),
            order(12101, MARGIN_MEDIUM_JUST_BELOW_HIGH, "2025-04-01 12:00", "100.00"),
            order(12201, MARGIN_MEDIUM_AT_THRESHOLD, "2025-04-01 12:00", "10.00"),
            order(12301, MARGIN_LOW_JUST_BELOW_MEDIUM, "2025-04-01 12:00", "10.00"),
            order(12401, REPLENISHMENT_DUE, "2025-05-01 12:00", "10.00"),
            order(12501, REPLENISHMENT_NOT_DUE, "2025-06-20 12:00", "10.00"),
            order(12601, CATEGORY_WITHOUT_REPLENISHMENT, "2025-05-01 12:00", "10.00"),
            order(99901, ORDERS_WITHOUT_CUSTOMER_ROW, "2025-05-01 12:00", "10.00"),
        ],
    )
    warehouse.insert(
        "order_items",
        [
            # Two units each of bath and apparel: the tie goes to apparel. The bath line is
            # re-loaded once and must not count twice; the cancelled order's coffee never counts.
            item(11401, 1, "bath", 2, "2.00", "1.00"),
            {**item(11401, 1, "bath", 2, "2.00", "1.00"), "_loaded_at": ts("2025-04-05 00:00")},
            item(11401, 2, "apparel", 1, "2.00", "1.00"),
            item(11401, 3, "apparel", 1, "2.00", "1.00"),
            item(11402, 1, "coffee", 10, "9.90", "1.00"),
            # One line of 5 coffee beats three lines of 1 tea: units, not lines.
            item(11501, 1, "coffee", 5, "1.00", "0.50"),
            item(11501, 2, "tea", 1, "1.00", "0.50"),
            item(11501, 3, "tea", 1, "1.00", "0.50"),
            item(11501, 4, "tea", 1, "1.00", "0.50"),
            # Margins: exactly 0.5, 0.4999, exactly 0.3, 0.299.
            item(12001, 1, "tea", 2, "10.00", "5.00"),
            item(12101, 1, "tea", 1, "100.00", "50.01"),
            item(12201, 1, "tea", 1, "10.00", "7.00"),
            item(12301, 1, "tea", 1, "10.00", "7.01"),
            item(12401, 1, "coffee", 1, "10.00", "5.00"),
            item(12501, 1, "coffee", 1, "10.00", "5.00"),
            item(12601, 1, "apparel", 1, "10.00", "5.00"),
        ],
    )
    warehouse.insert(
        "refunds",
        [
            {
                "refund_id": 1,
                "order_id": 10201,
                "refunded_at": ts("2025-05-15 10:00"),
                "amount": Decimal("20.00"),
                "reason": "damaged",
            },
            # A refund on a cancelled order: revenue never counted it, so it takes nothing off.
            {
                "refund_id": 2,
                "order_id": 10203,
                "refunded_at": ts("2025-05-13 10:00"),
                "amount": Decimal("500.00"),
                "reason": "cancelled",
            },
            # Happened 2025-06-02, landed 2025-06-20 08:00 UTC.
            {
                "refund_id": 3,
                "order_id": 10301,
                "refunded_at": ts("2025-06-02 12:00"),
                "amount": Decimal("50.00"),
                "reason": "late",
                "_loaded_at": ts("2025-06-20 08:00"),
            },
        ],
    )
    warehouse.insert(
        "subscriptions",
        [
            subscription(1061, SUBSCRIPTION_ACTIVE_BEATS_CANCELLED, "active", "2025-02-01 00:00"),
            subscription(1062, SUBSCRIPTION_ACTIVE_BEATS_CANCELLED, "active", "2025-01-01 00:00"),
            subscription(
                1062, SUBSCRIPTION_ACTIVE_BEATS_CANCELLED, "cancelled", "2025-03-01 00:00"
            ),
            subscription(1071, SUBSCRIPTION_PAUSED_BEATS_CANCELLED, "active", "2025-02-01 00:00"),
            subscription(1071, SUBSCRIPTION_PAUSED_BEATS_CANCELLED, "paused", "2025-04-01 00:00"),
            # Resumed after the as-of day: still paused as of 2025-06-30.
            subscription(1071, SUBSCRIPTION_PAUSED_BEATS_CANCELLED, "active", "2025-07-02 00:00"),
            subscription(
                1072, SUBSCRIPTION_PAUSED_BEATS_CANCELLED, "cancelled", "2025-01-10 00:00"
            ),
            subscription(1081, SUBSCRIPTION_CANCELLED_ONLY, "active", "2025-01-01 00:00"),
            subscription(1081, SUBSCRIPTION_CANCELLED_ONLY, "cancelled", "2025-05-01 00:00"),
        ],
    )
    warehouse.insert(
        "web_sessions",
        [
            {
                "session_id": "s-111",
                "customer_id": RECENT_WEB_SESSION,
                "started_at": ts("2025-06-20 09:00"),
            },
            {
                "session_id": "s-113",
                "customer_id": NEVER_ORDERED,
                "started_at": ts("2025-03-01 10:00"),
            },
            # Anonymous sessions belong to nobody.
            {"session_id": "s-anon", "customer_id": None, "started_at": ts("2025-06-29 10:00")},
            # Starts exactly at the end of 2025-06-30: belongs to the next day.
            {
                "session_id": "s-110",
                "customer_id": QUIET_61_DAYS,
                "started_at": ts("2025-07-01 00:00"),
            },
        ],
    )
    warehouse.insert(
        "support_tickets",
        [
            {
                "ticket_id": 1,
                "customer_id": RECENT_SUPPORT_TICKET,
                "opened_at": ts("2025-06-25 10:00"),
                "status": "open",
            }
        ],
    )
    warehouse.insert(
        "loyalty_accounts",
        [
            {
                "customer_id": LOYALTY_HISTORY,
                "points_balance": 100,
                "tier": "bronze",
                "updated_at": ts("2025-01-01 00:00"),
            },
            {
                "customer_id": LOYALTY_HISTORY,
                "points_balance": 250,
                "tier": "silver",
                "updated_at": ts("2025-06-01 00:00"),
            },
            {
                "customer_id": LOYALTY_HISTORY,
                "points_balance": 250,
                "tier": "silver",
                "updated_at": ts("2025-06-01 00:00"),
                "_loaded_at": ts("2025-06-03 00:00"),
            },
            {
                "customer_id": LOYALTY_HISTORY,
                "points_balance": 500,
                "tier": "gold",
                "updated_at": ts("2025-07-10 00:00"),
            },
        ],
    )


@pytest.fixture(scope="module")
def built(new_model_warehouse: Callable[[], Any]) -> tuple[Any, Any]:
    """The cast's warehouse after one single-run backfill of RANGE, and that run's result."""
    warehouse = new_model_warehouse()
    load_cast(warehouse)
    result = warehouse.materialize([retention_customer_state], partition_range=RANGE)
    return warehouse, result


@pytest.fixture(scope="module")
def state(built: tuple[Any, Any]) -> Callable[..., dict[str, Any]]:
    """The row of one customer as of one day (AS_OF unless told)."""
    warehouse, _ = built
    by_key = {
        (row["customer_id"], row["as_of_date"]): row
        for row in warehouse.rows(f"SELECT * FROM {CUSTOMER_STATE_TABLE}")
    }

    def _state(customer_id: int, as_of: dt.date = AS_OF) -> dict[str, Any]:
        return by_key[(str(customer_id), as_of)]

    return _state


def day_rows(warehouse: Any, as_of: dt.date) -> list[dict[str, Any]]:
    return warehouse.rows(
        f"SELECT * FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $day ORDER BY customer_id",
        {"day": as_of},
    )


# How each warehouse's information_schema names the contract's types.
INFORMATION_SCHEMA_TYPES = {
    "duckdb": {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"},
    "fakesnow": {
        "VARCHAR": "TEXT",
        "BIGINT": "NUMBER",
        "INTEGER": "NUMBER",
        "DECIMAL(18,2)": "NUMBER",
        "TIMESTAMPTZ": "TIMESTAMP_TZ",
    },
}


def test_table_columns_and_types_follow_the_contract(
    built: tuple[Any, Any], warehouse_kind: str
) -> None:
    warehouse, _ = built
    actual = warehouse.rows(
        "SELECT lower(column_name) AS column_name, data_type FROM information_schema.columns"
        " WHERE lower(table_schema) = 'retention' AND lower(table_name) = 'customer_state'"
        " ORDER BY ordinal_position"
    )
    expected_types = INFORMATION_SCHEMA_TYPES[warehouse_kind]
    assert [(row["column_name"], row["data_type"]) for row in actual] == [
        (column.name, expected_types.get(column.sql_type, column.sql_type))
        for column in CUSTOMER_STATE_COLUMNS
    ]


def test_columns_are_the_synced_attributes_plus_id_and_day() -> None:
    names = [column.name for column in CUSTOMER_STATE_COLUMNS]
    assert set(names) - {"as_of_date"} == {"customer_id", *SYNC_MAPPING}
    assert all(column.description for column in CUSTOMER_STATE_COLUMNS)


def test_vip_thresholds_change_only_with_a_new_version() -> None:
    assert VIP_RULE_VERSIONS[VIP_RULE.version] == (
        VIP_RULE.gold_min_revenue,
        VIP_RULE.silver_min_revenue,
    )


def test_sql_parses_as_duckdb_for_later_transpilation() -> None:
    sql = with_staging(load_sql("customer_state.sql"), frozenset())
    assert sqlglot.parse_one(sql, read="duckdb") is not None


def test_one_row_per_customer_seen_in_raw_customers(built: tuple[Any, Any]) -> None:
    warehouse, _ = built
    ids = [row["customer_id"] for row in day_rows(warehouse, AS_OF)]
    expected = {LATEST_CDC_EMAIL, *range(REVENUE_AND_REFUNDS, LOYALTY_HISTORY + 1)} - {105}
    assert sorted(ids) == sorted(str(customer_id) for customer_id in expected)
    assert str(ORDERS_WITHOUT_CUSTOMER_ROW) not in ids


def test_null_customer_ids_are_ignored_and_counted(built: tuple[Any, Any]) -> None:
    warehouse, result = built
    assert warehouse.rows(f"SELECT * FROM {CUSTOMER_STATE_TABLE} WHERE customer_id IS NULL") == []
    materializations = result.asset_materializations_for_node("retention_customer_state")
    metadata = materializations[-1].metadata
    assert metadata["ignored_null_customer_id_rows"].value == NULL_ID_ROWS
    assert metadata["partitions_built"].value == 22
    assert as_text(metadata["preview"]).startswith("| customer_id | as_of_date |")


def test_latest_cdc_row_wins_and_email_is_normalised(state: Callable[..., dict]) -> None:
    # The 2025-07-05 row is after the as-of day; the 2025-03-01 row has no email.
    assert state(LATEST_CDC_EMAIL)["email"] == "new@example.com"
    assert state(LATEST_CDC_EMAIL, dt.date(2025, 7, 1))["email"] == "new@example.com"


def test_customer_appears_once_its_row_has_landed(built: tuple[Any, Any]) -> None:
    warehouse, _ = built
    on_day = {row["customer_id"] for row in day_rows(warehouse, AS_OF)}
    next_day = {row["customer_id"] for row in day_rows(warehouse, dt.date(2025, 7, 1))}
    assert str(LANDS_AFTER_AS_OF) not in on_day
    assert str(LANDS_AFTER_AS_OF) in next_day


def test_customer_without_history_gets_neutral_values(state: Callable[..., dict]) -> None:
    row = state(LATEST_CDC_EMAIL)
    assert row["lifetime_orders"] == 0
    assert row["lifetime_revenue"] == Decimal("0.00")
    assert row["first_order_at"] is None
    assert row["last_order_at"] is None
    assert row["top_category"] is None
    assert row["predicted_next_purchase_at"] is None
    assert row["needs_replenishment"] is False
    assert (row["vip_tier"], row["is_vip"], row["vip_definition_version"]) == ("none", False, 1)
    assert (row["subscription_status"], row["has_active_subscription"]) == ("none", False)
    assert row["last_refund_at"] is None
    assert (row["gross_margin_bucket"], row["discount_eligible"]) == (None, False)
    assert row["last_activity_at"] is None
    assert row["is_reactivation_eligible"] is False
    assert (row["loyalty_points"], row["loyalty_tier"]) == (None, None)


def test_cancelled_order_excluded_and_refund_reduces_revenue(state: Callable[..., dict]) -> None:
    row = state(REVENUE_AND_REFUNDS)
    assert row["lifetime_orders"] == 2
    # 100 + 50 placed, minus the 20 refund; the cancelled order's 500 refund takes nothing off.
    assert row["lifetime_revenue"] == Decimal("130.00")
    assert row["first_order_at"] == utc("2025-05-01 14:00")
    assert row["last_order_at"] == utc("2025-05-10 14:00")
    assert row["last_refund_at"] == utc("2025-05-15 14:00")


def test_cancellation_counts_from_the_day_it_lands(state: Callable[..., dict]) -> None:
    before = state(REVENUE_AND_REFUNDS, dt.date(2025, 6, 14))
    after = state(REVENUE_AND_REFUNDS, dt.date(2025, 6, 15))
    assert (before["lifetime_orders"], before["lifetime_revenue"]) == (3, Decimal("170.00"))
    assert (after["lifetime_orders"], after["lifetime_revenue"]) == (2, Decimal("130.00"))


@pytest.mark.parametrize(
    ("as_of", "revenue", "last_refund_at"),
    [
        pytest.param(dt.date(2025, 6, 10), "200.00", None, id="happened-not-landed"),
        pytest.param(dt.date(2025, 6, 19), "200.00", None, id="day-before-landing"),
        pytest.param(dt.date(2025, 6, 20), "150.00", utc("2025-06-02 16:00"), id="landing-day"),
        pytest.param(AS_OF, "150.00", utc("2025-06-02 16:00"), id="later"),
    ],
)
def test_late_refund_counts_only_once_it_lands(
    state: Callable[..., dict], as_of: dt.date, revenue: str, last_refund_at: dt.datetime | None
) -> None:
    row = state(LATE_REFUND, as_of)
    assert row["lifetime_revenue"] == Decimal(revenue)
    assert row["last_refund_at"] == last_refund_at


def test_store_local_times_convert_to_utc_across_dst(state: Callable[..., dict]) -> None:
    row = state(DST_ORDERS)
    assert row["first_order_at"] == utc("2025-01-15 17:00")  # EST, UTC-5
    assert row["last_order_at"] == utc("2025-03-09 07:30")  # first hour of EDT, UTC-4


@pytest.mark.parametrize(
    ("customer_id", "status"),
    [
        pytest.param(SUBSCRIPTION_ACTIVE_BEATS_CANCELLED, "active", id="active>cancelled"),
        pytest.param(SUBSCRIPTION_PAUSED_BEATS_CANCELLED, "paused", id="paused>cancelled"),
        pytest.param(SUBSCRIPTION_CANCELLED_ONLY, "cancelled", id="latest-state-cancelled"),
        pytest.param(LATEST_CDC_EMAIL, "none", id="no-subscription"),
    ],
)
def test_subscription_priority(state: Callable[..., dict], customer_id: int, status: str) -> None:
    row = state(customer_id)
    assert row["subscription_status"] == status
    assert row["has_active_subscription"] is (status == "active")


def test_subscription_change_counts_from_its_day(state: Callable[..., dict]) -> None:
    assert (
        state(SUBSCRIPTION_PAUSED_BEATS_CANCELLED, dt.date(2025, 7, 1))["subscription_status"]
        == "paused"
    )


@pytest.mark.parametrize(
    ("customer_id", "eligible"),
    [
        pytest.param(QUIET_EXACTLY_60_DAYS, False, id="order-exactly-60-days-ago"),
        pytest.param(QUIET_61_DAYS, True, id="order-61-days-ago"),
        pytest.param(RECENT_WEB_SESSION, False, id="old-order-recent-session"),
        pytest.param(RECENT_SUPPORT_TICKET, False, id="old-order-recent-ticket"),
        pytest.param(NEVER_ORDERED, False, id="quiet-but-never-ordered"),
    ],
)
def test_reactivation_window(state: Callable[..., dict], customer_id: int, eligible: bool) -> None:
    assert state(customer_id)["is_reactivation_eligible"] is eligible


def test_activity_at_the_end_of_the_day_belongs_to_the_next_day(
    state: Callable[..., dict],
) -> None:
    assert state(QUIET_61_DAYS)["last_activity_at"] == utc("2025-05-01 00:00")
    next_day = state(QUIET_61_DAYS, dt.date(2025, 7, 1))
    assert next_day["last_activity_at"] == utc("2025-07-01 00:00")
    assert next_day["is_reactivation_eligible"] is False


@pytest.mark.parametrize(
    ("customer_id", "last_activity_at"),
    [
        pytest.param(REPLENISHMENT_DUE, utc("2025-05-01 16:00"), id="order"),
        pytest.param(RECENT_WEB_SESSION, utc("2025-06-20 09:00"), id="web-session"),
        pytest.param(RECENT_SUPPORT_TICKET, utc("2025-06-25 10:00"), id="support-ticket"),
        pytest.param(NEVER_ORDERED, utc("2025-03-01 10:00"), id="session-without-orders"),
    ],
)
def test_last_activity_from_each_source(
    state: Callable[..., dict], customer_id: int, last_activity_at: dt.datetime
) -> None:
    assert state(customer_id)["last_activity_at"] == last_activity_at


@pytest.mark.parametrize(
    ("customer_id", "category"),
    [
        pytest.param(CATEGORY_TIE, "apparel", id="tie-alphabetical"),
        pytest.param(CATEGORY_UNITS_NOT_LINES, "coffee", id="units-not-lines"),
    ],
)
def test_top_category(state: Callable[..., dict], customer_id: int, category: str) -> None:
    assert state(customer_id)["top_category"] == category


@pytest.mark.parametrize(
    ("customer_id", "tier"),
    [
        pytest.param(VIP_GOLD_AT_THRESHOLD, "gold", id="1000.00"),
        pytest.param(VIP_SILVER_JUST_BELOW_GOLD, "silver", id="999.99"),
        pytest.param(VIP_SILVER_AT_THRESHOLD, "silver", id="300.00"),
        pytest.param(VIP_NONE_JUST_BELOW_SILVER, "none", id="299.99"),
        pytest.param(REVENUE_AND_REFUNDS, "none", id="net-of-refunds-130.00"),
    ],
)
def test_vip_tiers_at_thresholds(state: Callable[..., dict], customer_id: int, tier: str) -> None:
    row = state(customer_id)
    assert row["vip_tier"] == tier
    assert row["is_vip"] is (tier != "none")
    assert row["vip_definition_version"] == VIP_RULE.version


@pytest.mark.parametrize(
    ("customer_id", "bucket", "discount"),
    [
        pytest.param(MARGIN_HIGH_AT_THRESHOLD, "high", True, id="0.5"),
        pytest.param(MARGIN_MEDIUM_JUST_BELOW_HIGH, "medium", True, id="0.4999"),
        pytest.param(MARGIN_MEDIUM_AT_THRESHOLD, "medium", True, id="0.3"),
        pytest.param(MARGIN_LOW_JUST_BELOW_MEDIUM, "low", False, id="0.299"),
        pytest.param(VIP_GOLD_AT_THRESHOLD, None, False, id="orders-without-items"),
    ],
)
def test_margin_buckets_at_thresholds(
    state: Callable[..., dict], customer_id: int, bucket: str | None, discount: bool
) -> None:
    row = state(customer_id)
    assert row["gross_margin_bucket"] == bucket
    assert row["discount_eligible"] is discount


@pytest.mark.parametrize(
    ("customer_id", "predicted", "needs"),
    [
        pytest.param(REPLENISHMENT_DUE, utc("2025-05-31 16:00"), True, id="coffee-30-days-passed"),
        pytest.param(REPLENISHMENT_NOT_DUE, utc("2025-07-20 16:00"), False, id="coffee-not-yet"),
        pytest.param(CATEGORY_WITHOUT_REPLENISHMENT, None, False, id="apparel-no-cycle"),
    ],
)
def test_predicted_next_purchase_and_replenishment(
    state: Callable[..., dict], customer_id: int, predicted: dt.datetime | None, needs: bool
) -> None:
    row = state(customer_id)
    assert row["predicted_next_purchase_at"] == predicted
    assert row["needs_replenishment"] is needs


def test_loyalty_latest_row_as_of_the_day(state: Callable[..., dict]) -> None:
    row = state(LOYALTY_HISTORY)
    assert (row["loyalty_points"], row["loyalty_tier"]) == (250, "silver")


def test_rebuilding_a_partition_gives_identical_rows(built: tuple[Any, Any]) -> None:
    warehouse, _ = built
    ordered = f"SELECT * FROM {CUSTOMER_STATE_TABLE} ORDER BY as_of_date, customer_id"
    before = warehouse.rows(ordered)
    warehouse.materialize([retention_customer_state], partition=AS_OF.isoformat())
    warehouse.materialize([retention_customer_state], partition=AS_OF.isoformat())
    assert warehouse.rows(ordered) == before


def test_range_backfill_equals_partitions_built_one_by_one(
    built: tuple[Any, Any], new_model_warehouse: Callable[[], Any]
) -> None:
    ranged, _ = built
    one_by_one = new_model_warehouse()
    load_cast(one_by_one)
    days = [dt.date(2025, 6, 19), dt.date(2025, 6, 20), AS_OF]
    for day in days:
        one_by_one.materialize([retention_customer_state], partition=day.isoformat())
    sql = (
        f"SELECT * FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date IN ($a, $b, $c)"
        " ORDER BY as_of_date, customer_id"
    )
    params = dict(zip("abc", days, strict=True))
    assert one_by_one.rows(sql, params) == ranged.rows(sql, params)
    assert len(one_by_one.rows(f"SELECT * FROM {CUSTOMER_STATE_TABLE}")) == len(
        ranged.rows(sql, params)
    )
