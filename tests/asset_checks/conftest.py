"""Fixtures of the check tests: model tables in a temporary warehouse, filled row by row.

The tables are created from the models' own column contracts, so a drift between the models
and the Pandera schemas fails here. Tests add small explicit rows named after the case they
show (``cust_duplicate``, ``evt_near_duplicate``...) on top of a clean baseline, then evaluate
one check. Test modules cannot import from here (pytest's importlib mode), so the helpers
reach them as fixtures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import dagster as dg
import pytest

from asset_checks.factory import (
    FAILED_RULES,
    FAILING_ROWS,
    RULES,
    RUN_PARTITION,
    SAMPLE_PREFIX,
    Scope,
)
from asset_checks.model_checks import model_checks
from resources.warehouse import WarehouseResource
from retention_assets.models.customer_state import CUSTOMER_STATE_COLUMNS
from retention_assets.models.events import EVENT_COLUMNS
from retention_assets.shop_specs import SYNC_MAPPING
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE, MODEL_SCHEMA
from tests.metadata_tables import as_text

UTC = dt.UTC
DAY = dt.date(2025, 3, 10)
# The checks' clock: two days after DAY, so DAY's rows are in the past.
NOW = dt.datetime(2025, 3, 12, 12, 0, tzinfo=UTC)


def clock() -> dt.datetime:
    return NOW


def state_row(customer_id: str | None, as_of_date: dt.date = DAY, **overrides: Any) -> dict:
    """A contract-clean customer state row; ``overrides`` set the case a test shows."""
    row: dict[str, Any] = {
        "customer_id": customer_id,
        "as_of_date": as_of_date,
        "email": f"{customer_id}@example.com",
        "lifetime_orders": 2,
        "lifetime_revenue": Decimal("120.50"),
        "first_order_at": dt.datetime(2025, 1, 5, 10, tzinfo=UTC),
        "last_order_at": dt.datetime(2025, 3, 1, 9, tzinfo=UTC),
        "top_category": "coffee",
        # A prediction: legitimately after the as-of day.
        "predicted_next_purchase_at": dt.datetime(2025, 4, 1, 9, tzinfo=UTC),
        "needs_replenishment": False,
        "vip_tier": "none",
        "is_vip": False,
        "vip_definition_version": 1,
        "subscription_status": "active",
        "has_active_subscription": True,
        "last_refund_at": None,
        "gross_margin_bucket": "high",
        "discount_eligible": True,
        "last_activity_at": dt.datetime(2025, 3, 9, 18, tzinfo=UTC),
        "is_reactivation_eligible": False,
        "loyalty_points": 40,
        "loyalty_tier": "bronze",
    }
    row.update(overrides)
    return row


def event_row(event_key: str | None, event_date: dt.date = DAY, **overrides: Any) -> dict:
    """A contract-clean event on ``event_date``; ``overrides`` set the case a test shows."""
    occurred_at = dt.datetime.combine(event_date, dt.time(14, 30), tzinfo=UTC)
    row: dict[str, Any] = {
        "event_key": event_key,
        "event_name": "Order Placed",
        "customer_id": "cust_ok_1",
        "occurred_at": occurred_at,
        "event_date": event_date,
        "properties": '{"order_id": "1001"}',
        "loaded_at": occurred_at + dt.timedelta(hours=2),
    }
    row.update(overrides)
    return row


@dataclass(frozen=True)
class Verdict:
    """A check result, read the way a person reads it in the UI."""

    result: dg.AssetCheckResult

    @property
    def passed(self) -> bool:
        return self.result.passed

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        return self.result.severity

    @property
    def failing_rows(self) -> int:
        return self.result.metadata[FAILING_ROWS].value

    @property
    def failed_rules(self) -> list[str]:
        text = self.result.metadata[FAILED_RULES].value
        return [] if text == "none" else text.split(", ")

    def rules(self) -> str:
        """The table of every rule's result, as ``| a | b |`` lines."""
        return as_text(self.result.metadata[RULES])

    def sample(self, rule: str) -> str:
        """The sample table of a failed rule, as ``| a | b |`` lines."""
        return as_text(self.result.metadata[f"{SAMPLE_PREFIX}{rule}"])


class ModelTables:
    """The two model tables in a warehouse, and how the tests fill and check them."""

    def __init__(self, warehouse: WarehouseResource, column_types: Mapping[str, str]) -> None:
        self.warehouse = warehouse
        with self.warehouse.session() as session:
            session.execute(f"CREATE SCHEMA IF NOT EXISTS {MODEL_SCHEMA}")
            for table, columns in (
                (CUSTOMER_STATE_TABLE, CUSTOMER_STATE_COLUMNS),
                (EVENTS_TABLE, EVENT_COLUMNS),
            ):
                # A test may swap a column's type, e.g. a naive TIMESTAMP for TIMESTAMPTZ.
                definitions = ", ".join(
                    f"{column.name} {column_types.get(column.name, column.sql_type)}"
                    for column in columns
                )
                session.execute(f"CREATE TABLE {table} ({definitions})")

    def insert(self, table: str, *rows: Mapping[str, Any]) -> None:
        with self.warehouse.session() as session:
            for row in rows:
                names = ", ".join(row)
                values = ", ".join(f"${name}" for name in row)
                session.execute(f"INSERT INTO {table} ({names}) VALUES ({values})", dict(row))

    def add_state(self, *rows: Mapping[str, Any]) -> None:
        self.insert(CUSTOMER_STATE_TABLE, *rows)

    def add_events(self, *rows: Mapping[str, Any]) -> None:
        self.insert(EVENTS_TABLE, *rows)

    def add_baseline(self) -> None:
        """Two clean customers and three clean events on DAY."""
        self.add_state(state_row("cust_ok_1"), state_row("cust_ok_2", vip_tier="gold", is_vip=True))
        self.add_events(
            event_row("order:1001"),
            event_row("refund:5", event_name="Order Refunded"),
            event_row("ticket:9", event_name="Support Ticket Opened", customer_id="cust_ok_2"),
        )

    def check(
        self,
        name: str,
        *,
        first_day: dt.date = DAY,
        last_day: dt.date = DAY,
        sync_mapping: Mapping[str, str] = SYNC_MAPPING,
    ) -> Verdict:
        """Evaluate one model check on the given days, as a run of those partitions would."""
        checks = model_checks(sync_mapping=sync_mapping)
        (check,) = [check for check in checks if check.name == name]
        with self.warehouse.session() as session:
            outcome = check.evaluate(session, Scope(first_day, last_day, RUN_PARTITION))
        return Verdict(check.result(outcome))


@pytest.fixture
def make_tables(make_warehouse: Callable[[], WarehouseResource]) -> Callable[..., ModelTables]:
    """Model tables with optional column type overrides, e.g. ``last_order_at="TIMESTAMP"``.

    Each call makes a fresh warehouse of this run's kind (DuckDB or fakesnow).
    """

    def make(**column_types: str) -> ModelTables:
        return ModelTables(make_warehouse(), column_types)

    return make


@pytest.fixture
def tables(make_tables: Callable[..., ModelTables]) -> ModelTables:
    """Contract-typed model tables holding the clean baseline."""
    model_tables = make_tables()
    model_tables.add_baseline()
    return model_tables


@pytest.fixture
def naive_type(warehouse_kind: str) -> str:
    """How this warehouse's information_schema names a timestamp without zone."""
    return {"duckdb": "TIMESTAMP", "fakesnow": "TIMESTAMP_NTZ"}[warehouse_kind]


@pytest.fixture
def state() -> Callable[..., dict]:
    return state_row


@pytest.fixture
def event() -> Callable[..., dict]:
    return event_row
