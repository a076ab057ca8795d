"""Incremental builds of retention_customer_state: a day built from the day before.

A day whose previous day was built by the same rules from the raw rows still there computes
only the customers a raw row touched during the day and carries everyone else's previous row
forward. These tests show that such a build equals a full one (on generated history, and on
each kind of change a day can bring), and that every change the carried rows cannot see (a
deleted or late-committed raw row, new reference data, a damaged previous day, a request)
makes the build full again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from resources.warehouse import DuckDBWarehouse, WarehouseResource
from retention_assets.models.customer_state import retention_customer_state
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.sources.generator import generate_sources
from retention_assets.tables import CUSTOMER_STATE_TABLE
from tests.metadata_tables import as_text

DAY_1, DAY_2, DAY_3 = dt.date(2025, 6, 1), dt.date(2025, 6, 2), dt.date(2025, 6, 3)
FULL_REBUILD = {"ops": {"retention_customer_state": {"config": {"full_rebuild": True}}}}
BUYER, OTHER = 1, 2
# The fallbacks to a full build are decided in Python from statements every incremental build
# runs (the cases above them run those on fakesnow too), so they run on DuckDB alone.
ON_DUCKDB = pytest.mark.parametrize("warehouse_kind", ["duckdb"], indirect=True)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def customer(customer_id: int, email: str) -> dict[str, Any]:
    at = ts("2025-05-01 09:00")
    return {"customer_id": customer_id, "email": email, "created_at": at, "updated_at": at}


def order(order_id: int, customer_id: int, placed_at: str, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "placed_at": ts(placed_at),
        "status": "placed",
        "currency": "USD",
        "total_amount": Decimal("40.00"),
        "discount_amount": Decimal("0"),
        **extra,
    }


def materialize(
    resource: WarehouseResource,
    day: dt.date | None = None,
    days: tuple[dt.date, dt.date] | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """Build one day or a range in one run; the materialization's metadata values."""
    tags = {} if days is None else {RANGE_START_TAG: str(days[0]), RANGE_END_TAG: str(days[1])}
    result = dg.materialize(
        [retention_customer_state],
        partition_key=None if day is None else day.isoformat(),
        tags=tags,
        resources={"warehouse": resource},
        instance=dg.DagsterInstance.ephemeral(),
        run_config=FULL_REBUILD if full else {},
    )
    metadata = result.asset_materializations_for_node("retention_customer_state")[0].metadata
    return {name: value.value for name, value in metadata.items()}


def build(resource: WarehouseResource, day: dt.date, full: bool = False) -> str:
    """Build one day; how it was built."""
    return str(materialize(resource, day, full=full)["build_of_last_day"])


def day_rows(resource: WarehouseResource, day: dt.date) -> list[dict[str, Any]]:
    with resource.session() as session:
        return session.fetch_arrow(
            f"SELECT * FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $day ORDER BY customer_id",
            {"day": day},
        ).to_pylist()


def state(resource: WarehouseResource, day: dt.date, customer_id: int) -> dict[str, Any]:
    (row,) = [row for row in day_rows(resource, day) if row["customer_id"] == str(customer_id)]
    return row


def execute(resource: WarehouseResource, sql: str) -> None:
    with resource.session() as session:
        session.execute(sql)


@pytest.fixture
def two_days(model_warehouse: Any) -> WarehouseResource:
    """A buyer with one order and another customer; day 1 built in full, day 2 from day 1."""
    model_warehouse.insert(
        "customers", [customer(BUYER, "buyer@example.com"), customer(OTHER, "other@example.com")]
    )
    model_warehouse.insert("orders", [order(10, BUYER, "2025-05-20 12:00")])
    model_warehouse.insert("categories", [{"category": "coffee", "replenishment_days": 30}])
    resource: WarehouseResource = model_warehouse.resource
    assert build(resource, DAY_1) == "full (no build of 2025-05-31 on record)"
    assert build(resource, DAY_2) == "incremental from 2025-06-01"
    return resource


def test_generated_history_built_incrementally_equals_full_builds(tmp_path: Path) -> None:
    database = tmp_path / "generated.duckdb"
    with duckdb.connect(database) as con:
        generate_sources(con, customers=400, days=60, end_date=dt.date(2025, 6, 30))
    resource = DuckDBWarehouse(database=str(database))
    days = [dt.date(2025, 6, 20) + dt.timedelta(days=offset) for offset in range(11)]
    chained = materialize(resource, days=(days[0], days[-1]))
    assert (chained["days_built_full"], chained["days_built_incrementally"]) == (1, 10)
    incremental = {day: day_rows(resource, day) for day in days}
    changed = {
        row["customer_id"]
        for day in days[1:]
        for row in incremental[day]
        if row | {"as_of_date": None}
        not in [r | {"as_of_date": None} for r in incremental[day - dt.timedelta(days=1)]]
    }
    assert len(changed) >= 20  # the days brought changes the incremental builds had to find
    full = materialize(resource, days[-1], full=True)
    assert as_text(full["raw_verdicts"]) == as_text(chained["raw_verdicts"])
    for day in days:
        assert build(resource, day, full=True).startswith("full (requested")
        assert day_rows(resource, day) == incremental[day], day


@ON_DUCKDB
def test_an_order_landed_during_the_day_is_counted(
    two_days: WarehouseResource, model_warehouse: Any
) -> None:
    model_warehouse.insert("orders", [order(11, BUYER, "2025-06-03 10:00")])
    assert build(two_days, DAY_3) == "incremental from 2025-06-02"
    assert state(two_days, DAY_3, BUYER)["lifetime_orders"] == 2
    assert state(two_days, DAY_3, OTHER)["lifetime_orders"] == 0
    assert (
        day_rows(two_days, DAY_3)
        == (build(two_days, DAY_3, full=True), day_rows(two_days, DAY_3))[1]
    )


@ON_DUCKDB
def test_a_row_landed_early_with_a_time_in_the_day_is_counted(
    two_days: WarehouseResource, model_warehouse: Any
) -> None:
    # Loaded before day 2 ended, so day 2's build saw it, but dated on day 3: only day 3
    # counts it, and no raw row landed on day 3 to say so.
    model_warehouse.insert(
        "loyalty_accounts",
        [
            {
                "customer_id": OTHER,
                "points_balance": 70,
                "tier": "silver",
                "updated_at": ts("2025-06-03 01:00"),
                "_loaded_at": ts("2025-06-02 23:00"),
            }
        ],
    )
    assert build(two_days, DAY_2, full=True).startswith("full")
    assert state(two_days, DAY_2, OTHER)["loyalty_points"] is None
    assert build(two_days, DAY_3) == "incremental from 2025-06-02"
    assert state(two_days, DAY_3, OTHER)["loyalty_points"] == 70


def test_an_order_reloaded_under_another_customer_changes_both(
    two_days: WarehouseResource, model_warehouse: Any
) -> None:
    model_warehouse.insert(
        "orders", [order(10, OTHER, "2025-05-20 12:00", _loaded_at=ts("2025-06-03 08:00"))]
    )
    assert build(two_days, DAY_3) == "incremental from 2025-06-02"
    assert state(two_days, DAY_3, BUYER)["lifetime_orders"] == 0
    assert state(two_days, DAY_3, OTHER)["lifetime_orders"] == 1


@ON_DUCKDB
def test_the_day_changes_what_depends_on_it_for_carried_customers(
    two_days: WarehouseResource,
) -> None:
    # The buyer's only order (2025-05-20 16:00 UTC) is 60 days old during 2025-07-19: with no
    # raw row touching the buyer, the carried row still turns reactivation-eligible that day.
    before, quiet_day = dt.date(2025, 7, 18), dt.date(2025, 7, 19)
    assert build(two_days, before, full=True).startswith("full")
    assert state(two_days, before, BUYER)["is_reactivation_eligible"] is False
    assert build(two_days, quiet_day) == "incremental from 2025-07-18"
    assert state(two_days, quiet_day, BUYER)["is_reactivation_eligible"] is True


@ON_DUCKDB
def test_a_deleted_raw_row_makes_the_next_build_full(two_days: WarehouseResource) -> None:
    execute(two_days, "DELETE FROM raw.orders WHERE order_id = 10")
    assert build(two_days, DAY_3) == (
        "full (raw rows landed by the end of 2025-06-02 changed: orders: 1 then, 0 now)"
    )
    assert state(two_days, DAY_3, BUYER)["lifetime_orders"] == 0


@ON_DUCKDB
def test_a_row_committed_late_with_an_earlier_load_time_makes_the_next_build_full(
    two_days: WarehouseResource, model_warehouse: Any
) -> None:
    model_warehouse.insert(
        "orders", [order(12, OTHER, "2025-06-02 08:00", _loaded_at=ts("2025-06-02 20:00"))]
    )
    assert build(two_days, DAY_3).startswith("full (raw rows landed by the end of 2025-06-02")
    assert state(two_days, DAY_3, OTHER)["lifetime_orders"] == 1


@ON_DUCKDB
def test_changed_reference_data_makes_the_next_build_full(
    two_days: WarehouseResource, model_warehouse: Any
) -> None:
    model_warehouse.insert("categories", [{"category": "tea", "replenishment_days": 20}])
    assert build(two_days, DAY_3) == "full (the rules changed since 2025-06-02 was built)"


@ON_DUCKDB
def test_a_damaged_previous_day_makes_the_next_build_full(two_days: WarehouseResource) -> None:
    execute(two_days, f"DELETE FROM {CUSTOMER_STATE_TABLE} WHERE customer_id = '{OTHER}'")
    assert build(two_days, DAY_3) == "full (the rows of 2025-06-02 changed since it was built)"
    assert len(day_rows(two_days, DAY_3)) == 2


@ON_DUCKDB
def test_a_run_can_ask_for_a_full_build(two_days: WarehouseResource) -> None:
    assert build(two_days, DAY_3, full=True) == "full (requested by the run's configuration)"
