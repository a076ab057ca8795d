"""Against a real Snowflake account: what fakesnow cannot show, since it runs on DuckDB.

Skipped unless ``SNOWFLAKE_ACCOUNT`` is set; the connection comes from the ``SNOWFLAKE_*``
variables exactly as a deployment's does (``retention_assets.bindings``). Run it with
``pytest -m snowflake``. It creates temporary tables only, in the connection's schema, so
the role needs USAGE on the database and schema and CREATE TABLE on the schema; the project's
schemas (raw, retention, cio_sync) are not touched.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import dagster as dg
import pyarrow as pa
import pytest

from resources.snowflake import SnowflakeSession
from resources.warehouse import DuckDBSession, DuckDBWarehouse
from retention_assets.bindings import snowflake_warehouse
from retention_assets.settings import SNOWFLAKE_ACCOUNT, load_settings
from retention_assets.sync.shards import Shard, shard_filter_sql, shard_of
from tests.portable_sql import CASES, Case, result

pytestmark = [
    pytest.mark.snowflake,
    pytest.mark.skipif(
        not os.environ.get(SNOWFLAKE_ACCOUNT), reason=f"{SNOWFLAKE_ACCOUNT} is not set"
    ),
]


@pytest.fixture(scope="module")
def snowflake() -> Iterator[SnowflakeSession]:
    # Outside a run, the dg.EnvVar fields resolve when Dagster builds the resource.
    with (
        dg.build_resources({"warehouse": snowflake_warehouse(load_settings())}) as resources,
        resources.warehouse.session() as session,
    ):
        yield session


@pytest.fixture(scope="module")
def duckdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBSession]:
    warehouse = DuckDBWarehouse(database=str(tmp_path_factory.mktemp("live") / "w.duckdb"))
    with warehouse.session() as session:
        yield session


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_construct_gives_the_same_result_as_on_duckdb(
    case: Case, snowflake: SnowflakeSession, duckdb: DuckDBSession
) -> None:
    assert result(snowflake, case) == result(duckdb, case)


def test_staging_and_ledger_statements_run_on_temporary_tables(
    snowflake: SnowflakeSession,
) -> None:
    snowflake.execute(
        "CREATE TEMP TABLE IF NOT EXISTS live_ledger (k VARCHAR, v VARCHAR, acked_at TIMESTAMPTZ);"
        " CREATE TEMP TABLE IF NOT EXISTS live_keys (k VARCHAR, v VARCHAR)"
    )
    snowflake.execute("DELETE FROM live_ledger; DELETE FROM live_keys")
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    snowflake.insert_arrow(
        "live_ledger",
        pa.table(
            {
                "k": ["a", "b"],
                "v": ["1", "1"],
                "acked_at": pa.array([at, at], pa.timestamp("us", "UTC")),
            }
        ),
    )
    snowflake.insert_arrow("live_keys", pa.table({"k": ["a"], "v": ["2"]}))
    snowflake.execute(
        "UPDATE live_ledger SET v = r.v FROM live_keys AS r WHERE live_ledger.k = r.k;"
        " DELETE FROM live_ledger WHERE EXISTS"
        " (SELECT 1 FROM live_keys AS r WHERE r.k = live_ledger.k AND r.v = '9')"
    )
    rows = snowflake.fetch_all("SELECT k, v, acked_at FROM live_ledger ORDER BY k")
    assert rows == [("a", "2", at), ("b", "1", at)]
    batches = list(snowflake.stream("SELECT k FROM live_ledger ORDER BY k", batch_rows=1))
    assert [batch.num_rows for batch in batches] == [1, 1]


def test_shard_filter_matches_python(snowflake: SnowflakeSession) -> None:
    ids = [f"c{i}" for i in range(100)] + ["é-ü 客户"]
    snowflake.execute("CREATE TEMP TABLE IF NOT EXISTS live_customers (customer_id VARCHAR)")
    snowflake.execute("DELETE FROM live_customers")
    snowflake.insert_arrow("live_customers", pa.table({"customer_id": ids}))
    query = f"SELECT customer_id FROM live_customers WHERE {shard_filter_sql('customer_id')}"
    for index in range(3):
        members = {row[0] for row in snowflake.fetch_all(query, Shard(index, 3).params())}
        assert members == {i for i in ids if shard_of(i, 3) == index}
