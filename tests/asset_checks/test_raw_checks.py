"""The raw_values checks on the raw.* source tables: each rule fails on its bad value, WARN.

A clean baseline passes every check; each test then loads one dirty value into a fresh raw
schema and evaluates the table's check, on DuckDB and on Snowflake (fakesnow). The last test
runs the real Dagster checks in-process, the way the UI launches them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import dagster as dg
import pytest

from asset_checks import RAW_CHECKS
from asset_checks.factory import FAILED_RULES, FAILING_ROWS, SAMPLE_PREFIX, WarehouseCheck
from asset_checks.raw_checks import RAW_VALUES_CHECK, raw_checks, visible
from resources.warehouse import WarehouseResource
from retention_assets.sources.assets import RAW_SOURCE_ASSETS
from retention_assets.sources.raw_schema import (
    RAW_TABLES,
    create_raw_schema_sql,
    create_table_sql,
)
from tests.metadata_tables import as_text


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class RawTables:
    """A warehouse holding the raw contract's empty tables."""

    def __init__(self, warehouse: WarehouseResource) -> None:
        self.warehouse = warehouse
        with warehouse.session() as session:
            session.execute(create_raw_schema_sql())

    def retype(self, table: str, **types: str) -> None:
        contract = RAW_TABLES[table]
        columns = tuple(
            dataclasses.replace(column, type=types.get(column.name, column.type))
            for column in contract.columns
        )
        with self.warehouse.session() as session:
            session.execute(f"DROP TABLE raw.{table}")
            session.execute(create_table_sql(dataclasses.replace(contract, columns=columns)))

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        with self.warehouse.session() as session:
            for row in rows:
                names = ", ".join(row)
                values = ", ".join(f"${name}" for name in row)
                session.execute(f"INSERT INTO raw.{table} ({names}) VALUES ({values})", row)

    def evaluate(self, table: str) -> Any:
        (check,) = [c for c in raw_checks() if c.asset.path == ["raw", table]]
        with self.warehouse.session() as session:
            return check, check.evaluate(session, None)


@pytest.fixture
def raw(make_warehouse: Callable[[], WarehouseResource]) -> RawTables:
    return RawTables(make_warehouse())


def failing(outcome: Any) -> dict[str, int]:
    return {result.name: result.failing for result in outcome.failed}


def order(order_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": 1,
        "placed_at": ts("2025-06-30 10:00"),
        "status": "placed",
        "currency": "USD",
        "total_amount": Decimal("10.00"),
        "discount_amount": Decimal("0"),
        "_loaded_at": ts("2025-06-30 18:00"),
        **overrides,
    }


def test_clean_rows_pass_every_raw_check(raw: RawTables) -> None:
    raw.insert(
        "customers",
        [
            {
                "customer_id": 1,
                "email": " Jane@Example.com",
                "updated_at": ts("2025-06-01 00:00"),
                "_loaded_at": ts("2025-06-01 06:00"),
            }
        ],
    )
    raw.insert("orders", [order(1, status="Placed")])
    for table in ("customers", "orders", "refunds", "subscriptions", "web_sessions"):
        _, outcome = raw.evaluate(table)
        assert outcome.passed, (table, failing(outcome))


def test_raw_checks_warn_and_never_block() -> None:
    specs = [spec for definition in RAW_CHECKS for spec in definition.check_specs]
    assert {spec.asset_key for spec in specs} == {
        dg.AssetKey(["raw", table])
        for table in RAW_TABLES
        if table not in ("order_items", "categories")
    }
    assert all(spec.name == RAW_VALUES_CHECK and not spec.blocking for spec in specs)
    assert all(check.severity == dg.AssetCheckSeverity.WARN for check in raw_checks())


def test_order_with_control_character_id_fails_the_orders_check(raw: RawTables) -> None:
    raw.retype("orders", customer_id="VARCHAR")
    raw.insert("orders", [order(1, customer_id="4\x072"), order(2, customer_id=" "), order(3)])
    check, outcome = raw.evaluate("orders")
    assert failing(outcome) == {"customer_id_control_characters": 1, "customer_id_missing": 1}
    result = check.result(outcome)
    assert result.severity == dg.AssetCheckSeverity.WARN
    sample = as_text(result.metadata[f"{SAMPLE_PREFIX}customer_id_control_characters"])
    assert "'4\\x072'" in sample


def test_unknown_status_dates_and_amounts_fail_the_orders_check(raw: RawTables) -> None:
    raw.insert(
        "orders",
        [
            order(1, status="shipped"),
            order(2, placed_at=ts("1970-01-01 00:00")),
            order(3, placed_at=ts("9999-12-31 00:00")),
            order(4, placed_at=None),
            order(5, total_amount=Decimal("-1.00")),
            order(6, total_amount=None),
            order(7, status="Placed"),
        ],
    )
    check, outcome = raw.evaluate("orders")
    assert failing(outcome) == {
        "status_unknown": 1,
        "timestamp_implausible": 2,
        "timestamp_missing": 1,
        "amount_negative": 1,
        "amount_missing": 1,
    }
    metadata = check.result(outcome).metadata
    assert metadata[FAILING_ROWS].value == 6
    assert "amount_negative" in metadata[FAILED_RULES].value


def test_nan_amount_fails_the_orders_check(raw: RawTables) -> None:
    raw.retype("orders", total_amount="DOUBLE")
    raw.insert("orders", [order(1, total_amount=10.0), order(2, total_amount=1.0)])
    with raw.warehouse.session() as session:
        session.execute(
            "UPDATE raw.orders SET total_amount = CAST('NaN' AS DOUBLE) WHERE order_id = 2"
        )
    _, outcome = raw.evaluate("orders")
    assert failing(outcome) == {"amount_not_a_number": 1}


def test_negative_refund_fails_the_refunds_check(raw: RawTables) -> None:
    raw.insert(
        "refunds",
        [
            {
                "refund_id": 1,
                "order_id": 1,
                "refunded_at": ts("2025-06-30 10:00"),
                "amount": Decimal("-20.00"),
                "_loaded_at": ts("2025-06-30 18:00"),
            }
        ],
    )
    _, outcome = raw.evaluate("refunds")
    assert failing(outcome) == {"amount_negative": 1}


def test_unknown_subscription_status_fails_the_subscriptions_check(raw: RawTables) -> None:
    rows = [
        {
            "subscription_id": 1,
            "customer_id": 1,
            "status": status,
            "updated_at": ts("2025-06-30 10:00"),
            "_loaded_at": ts("2025-06-30 11:00"),
        }
        for status in ("ACTIVE", "on_hold")
    ]
    raw.insert("subscriptions", rows)
    _, outcome = raw.evaluate("subscriptions")
    assert failing(outcome) == {"status_unknown": 1}


def test_invalid_email_fails_the_customers_check_with_the_email_masked(raw: RawTables) -> None:
    raw.insert(
        "customers",
        [
            {
                "customer_id": 1,
                "email": "jane.doe@@example.com",
                "updated_at": ts("2025-06-01 00:00"),
                "_loaded_at": ts("2025-06-01 06:00"),
            },
            {"customer_id": None, "email": "x@example.com", "_loaded_at": ts("2025-06-01")},
        ],
    )
    check, outcome = raw.evaluate("customers")
    assert failing(outcome) == {"email_invalid": 1}
    metadata = check.result(outcome).metadata
    sample = as_text(metadata[f"{SAMPLE_PREFIX}email_invalid"])
    assert "j***@example.com" in sample
    assert "jane.doe" not in str(metadata)
    assert "x@example.com" not in str(metadata)


def test_null_customer_id_is_an_expected_orphan_but_an_empty_one_fails(raw: RawTables) -> None:
    raw.retype("customers", customer_id="VARCHAR")
    orphan = {"customer_id": None, "email": "guest@example.com", "_loaded_at": ts("2025-06-01")}
    raw.insert("customers", [orphan])
    _, outcome = raw.evaluate("customers")
    assert outcome.passed
    raw.insert("customers", [{**orphan, "customer_id": "   "}])
    _, outcome = raw.evaluate("customers")
    assert failing(outcome) == {"customer_id_missing": 1}


def test_escaping_helper() -> None:
    assert visible("4\x072\n") == "4\\x072\\n"


def test_raw_check_runs_in_dagster_and_warns(raw: RawTables) -> None:
    raw.insert("orders", [order(1, placed_at=ts("9999-12-31 00:00"))])
    result = dg.materialize(
        [*RAW_SOURCE_ASSETS, *RAW_CHECKS],
        selection=dg.AssetSelection.checks_for_assets(dg.AssetKey(["raw", "orders"])),
        resources={"warehouse": raw.warehouse},
        instance=dg.DagsterInstance.ephemeral(),
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata[FAILED_RULES].value == "timestamp_implausible"


def test_check_definitions_are_warehouse_checks() -> None:
    assert all(isinstance(check, WarehouseCheck) for check in raw_checks())
