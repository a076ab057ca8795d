"""Plans, sends and ledgers give identical results on DuckDB and on Snowflake (fakesnow).

The same workspace is synced on each warehouse into a reset sandbox: Customer.io must end with
the same people and events, and the plans and ledgers (value hashes of the JSON text each
warehouse renders) must be equal row for row.
"""

from __future__ import annotations

from pathlib import Path

from cio_sandbox.testing import SandboxHandle
from tests.retention_assets.sync import scenario
from tests.retention_assets.sync.harness import NO_FAULTS, SyncHarness
from tests.warehouses import duckdb_warehouse, fakesnow_warehouse


def test_plans_sends_and_ledgers_are_identical(
    fakesnow_connector: None, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    sandbox.reset()
    sandbox.configure(**NO_FAULTS)
    runs = [scenario.FIRST_RUN, scenario.NEXT_DAY_RUN]

    on_duckdb = scenario.unsharded_snapshot(SyncHarness(duckdb_warehouse(tmp_path), sandbox), runs)
    on_snowflake = scenario.unsharded_snapshot(SyncHarness(fakesnow_warehouse(), sandbox), runs)

    assert on_snowflake == on_duckdb
    assert on_duckdb["plan"] and on_duckdb["attribute_ledger"] and on_duckdb["event_ledger"]
