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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pytest
import snowflake.connector
from dagster_snowflake import SnowflakeResource
from snowflake.connector.cursor import SnowflakeCursor
from snowflake.connector.util_text import extract_values_clause

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
INSERT_SQL_RE: Final = SnowflakeCursor.INSERT_SQL_RE


def _executemany(cursor: Any, command: str, seqparams: Sequence[Any], **kwargs: Any) -> Any:
    """The connector's ``executemany`` of an INSERT: one multi-row statement, as the real
    connector rewrites it with client-side (``pyformat``) binding. fakesnow 0.12 runs one
    statement per row instead, which parses each row's SQL again and is 50x slower."""
    if not INSERT_SQL_RE.match(command.lstrip()):
        for params in seqparams:
            cursor.execute(command, params, **kwargs)
        return cursor
    values = extract_values_clause(command)
    if values is None:
        raise ValueError(f"no VALUES clause to repeat in {command!r}")
    rows = ",".join(cursor._rewrite_with_params(values, params)[0] for params in seqparams)
    return cursor.execute(command.replace(values, rows, 1), **kwargs)


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
def connector_behaviour() -> Iterator[None]:
    """What fakesnow's cursor (0.12) does differently from the connector, done as it does.

    The connector's Arrow fetches, which fakesnow lacks: its cursor already holds each result
    as one Arrow table, served here whole or chunk by chunk. And ``executemany`` of an INSERT
    as one multi-row statement (see :func:`_executemany`).
    """
    from fakesnow.cursor import FakeSnowflakeCursor

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FakeSnowflakeCursor, "fetch_arrow_all", _fetch_arrow_all, raising=False)
        patch.setattr(
            FakeSnowflakeCursor, "fetch_arrow_batches", _fetch_arrow_batches, raising=False
        )
        patch.setattr(FakeSnowflakeCursor, "executemany", _executemany)
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
