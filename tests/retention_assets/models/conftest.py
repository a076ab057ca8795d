"""Fixtures of the model tests: a temporary warehouse holding the raw contract's tables.

Tests insert small, explicit rows (each named after the edge case it shows) and run the real
Dagster assets against it, so the SQL, its parameters and the partition handling are exercised
together, on DuckDB and on Snowflake (fakesnow) alike. Test modules cannot import from here
(pytest's importlib mode), so the helpers reach them as fixtures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dagster as dg
import pytest

from resources.warehouse import WarehouseResource
from retention_assets.models import MODEL_ASSETS
from retention_assets.sources.raw_schema import LOADED_AT, RAW_TABLES, create_raw_schema_sql
from tests.warehouses import KINDS, new_warehouse

Row = Mapping[str, Any]
# A row without an explicit _loaded_at lands this long after its business time: enough for a
# store-local time (New York is at most 5 hours behind UTC) to have happened before it lands.
DEFAULT_LOAD_DELAY = dt.timedelta(hours=6)
# Rows without a business time (order lines) land at this instant unless a test says otherwise.
EARLY_LOAD = dt.datetime(2025, 1, 1)


class ModelWarehouse:
    """A warehouse with the empty raw schema, and the operations the model tests need."""

    def __init__(self, resource: WarehouseResource) -> None:
        self.resource = resource
        with self.resource.session() as session:
            session.execute(create_raw_schema_sql())

    def insert(self, table: str, rows: Sequence[Row]) -> None:
        """Insert rows into ``raw.<table>``; columns a row leaves out are null."""
        contract = RAW_TABLES[table]
        with self.resource.session() as session:
            for row in rows:
                filled = dict(row)
                unknown = set(filled) - set(contract.column_names)
                assert not unknown, f"raw.{table} has no column(s) {unknown}"
                if LOADED_AT in contract.column_names and LOADED_AT not in filled:
                    times = [filled[c] for c in contract.timestamp_columns if filled.get(c)]
                    filled[LOADED_AT] = max(times) + DEFAULT_LOAD_DELAY if times else EARLY_LOAD
                names = ", ".join(filled)
                values = ", ".join(f"${name}" for name in filled)
                session.execute(f"INSERT INTO raw.{table} ({names}) VALUES ({values})", filled)

    def materialize(
        self,
        assets: Sequence[dg.AssetsDefinition] = tuple(MODEL_ASSETS),
        *,
        partition: str | None = None,
        partition_range: tuple[str, str] | None = None,
    ) -> dg.ExecuteInProcessResult:
        """Run model assets for one partition, or for a range of partitions in a single run."""
        tags: dict[str, str] = {}
        if partition_range is not None:
            tags = {
                "dagster/asset_partition_range_start": partition_range[0],
                "dagster/asset_partition_range_end": partition_range[1],
            }
        return dg.materialize(
            assets,
            partition_key=partition,
            tags=tags,
            resources={"warehouse": self.resource},
            instance=dg.DagsterInstance.ephemeral(),
        )

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.resource.session() as session:
            return session.fetch_arrow(sql, params).to_pylist()


@pytest.fixture
def model_warehouse(make_warehouse: Callable[[], WarehouseResource]) -> ModelWarehouse:
    """A fresh warehouse for a test that changes raw data between builds."""
    return ModelWarehouse(make_warehouse())


@pytest.fixture(scope="module")
def new_model_warehouse(
    make_warehouse: Callable[[], WarehouseResource],
) -> Callable[[], ModelWarehouse]:
    """A factory of warehouses that a module's tests share, built once per module and kind."""

    def _new() -> ModelWarehouse:
        return ModelWarehouse(make_warehouse())

    return _new


@pytest.fixture(scope="module")
def model_warehouses_of_each_kind(
    fakesnow_connector: None, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], dict[str, ModelWarehouse]]:
    """A factory of one fresh warehouse per kind, for tests that compare the two."""

    def _new() -> dict[str, ModelWarehouse]:
        return {
            kind: ModelWarehouse(new_warehouse(kind, tmp_path_factory.mktemp(kind)))
            for kind in KINDS
        }

    return _new
