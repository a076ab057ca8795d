"""The two warehouses the warehouse-facing tests run on: DuckDB, and Snowflake on fakesnow.

fakesnow serves the Snowflake connector's API on an in-memory DuckDB: the project's SQL goes
through the same path as in production (DuckDB dialect, sqlglot translation, the connector's
client-side binding, dagster-snowflake's resource), so a test that passes on both kinds shows
that the SQL gives the same results on both warehouses. The fixtures in ``tests/conftest.py``
parametrise over :data:`KINDS`; test modules import the helpers from here (pytest's
importlib mode keeps conftest modules out of reach).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pytest
import snowflake.connector
from dagster_snowflake import SnowflakeResource

from resources.snowflake import SESSION_TIMEZONE, SnowflakeWarehouse
from resources.warehouse import DuckDBWarehouse, WarehouseResource

DUCKDB: Final = "duckdb"
FAKESNOW: Final = "fakesnow"
KINDS: Final = (DUCKDB, FAKESNOW)

# For tests whose warehouse must outlive the test process (a child process, a killed run):
# fakesnow's database lives in the memory of the process that started it.
duckdb_only = pytest.mark.parametrize("warehouse_kind", [DUCKDB], indirect=True)

# The connector hands results over in chunks; a small one makes the tests cross chunk edges.
FAKE_CHUNK_ROWS: Final = 100


def _fetch_arrow_all(
    cursor: Any, force_return_table: bool = False, force_microsecond_precision: bool = False
) -> pa.Table:
    return cursor._arrow_table


def _fetch_arrow_batches(
    cursor: Any, force_microsecond_precision: bool = False
) -> Iterator[pa.Table]:
    for batch in cursor._arrow_table.to_batches(max_chunksize=FAKE_CHUNK_ROWS):
        yield pa.Table.from_batches([batch])


@contextmanager
def arrow_fetches() -> Iterator[None]:
    """The connector's Arrow fetches on fakesnow's cursor, which lacks them (fakesnow 0.12).

    fakesnow's cursor already holds each result as one Arrow table; these serve it the way
    the connector serves a result: whole, or chunk by chunk.
    """
    from fakesnow.cursor import FakeSnowflakeCursor

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FakeSnowflakeCursor, "fetch_arrow_all", _fetch_arrow_all, raising=False)
        patch.setattr(
            FakeSnowflakeCursor, "fetch_arrow_batches", _fetch_arrow_batches, raising=False
        )
        yield


def fakesnow_warehouse() -> SnowflakeWarehouse:
    """A Snowflake warehouse in a database of its own, raw tables in another database.

    Needs fakesnow's patch to be active. The raw tables' separate database exercises the
    configurable ``DATABASE.SCHEMA`` of the raw contract.
    """
    database = f"TEST_{uuid.uuid4().hex[:12].upper()}"
    sources = f"{database}_SOURCES"
    with snowflake.connector.connect(database=database, schema="PUBLIC") as connection:
        connection.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {sources}")
    return SnowflakeWarehouse(
        snowflake=SnowflakeResource(
            account="fakesnow",
            user="tests",
            password="not-a-secret",
            database=database,
            schema="PUBLIC",
            timezone=SESSION_TIMEZONE,
        ),
        raw_location=f"{sources}.SHOP",
    )


def duckdb_warehouse(directory: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse(database=str(directory / "warehouse.duckdb"), threads=2)


def new_warehouse(kind: str, directory: Path) -> WarehouseResource:
    """A fresh, empty warehouse of ``kind``; ``directory`` holds a DuckDB file."""
    return duckdb_warehouse(directory) if kind == DUCKDB else fakesnow_warehouse()
