"""Plans, sends and ledgers give identical results on DuckDB and on Snowflake (fakesnow).

The same workspace is synced on each warehouse into a reset sandbox: Customer.io must end with
the same people and events, and the plans and ledgers (value hashes of the JSON text each
warehouse renders) must be equal row for row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cio_sandbox.testing import SandboxHandle
from tests.retention_assets.sync import scenario
from tests.retention_assets.sync.harness import NO_FAULTS, SyncHarness
from tests.warehouses import duckdb_warehouse, fakesnow_warehouse


def _snapshots(harness: SyncHarness) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a pending plan looks like (the next day planned), then what its send leaves."""
    scenario.load(harness)
    scenario.sync(harness, [scenario.FIRST_RUN, scenario.NEXT_DAY_PLAN], shards=1)
    planned = scenario.snapshot(harness)
    scenario.sync(harness, [scenario.NEXT_DAY_RUN], shards=1)
    synced = scenario.snapshot(harness)
    harness.sandbox.reset()
    return planned, synced


def test_plans_sends_and_ledgers_are_identical(
    fakesnow_connector: None, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    sandbox.reset()
    sandbox.configure(**NO_FAULTS)

    on_duckdb = _snapshots(SyncHarness(duckdb_warehouse(tmp_path), sandbox))
    on_snowflake = _snapshots(SyncHarness(fakesnow_warehouse(), sandbox))

    assert on_snowflake == on_duckdb
    planned, synced = on_duckdb
    assert planned["plan"] and synced["attribute_ledger"] and synced["event_ledger"]
    assert len(synced["people"]) == scenario.CUSTOMERS
    # Acknowledged rows leave the plans: what remains is what is still to send.
    assert synced["plan"] == [] and synced["events_plan"] == []
