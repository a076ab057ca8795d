"""Sharded sends: N steps over disjoint customers that together equal one unsharded send.

The same workspace is synced twice into a reset sandbox, once unsharded and once sharded;
Customer.io must end with the same people and events and the warehouse with the same ledgers.
In-process on both warehouses, and with the multiprocess executor (one process per step) on
DuckDB, as a deployment would run it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from cio_sandbox.testing import SandboxHandle
from resources.warehouse import WarehouseResource
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.shop import (
    CUSTOMER_STATE_SYNC,
    EVENTS_SYNC,
    shop_sync_assets,
)
from retention_assets.sync.shards import Shard, shard_filter_sql, shard_of
from tests.retention_assets.sync import scenario
from tests.retention_assets.sync.harness import SyncHarness, metadata_of
from tests.retention_assets.sync.sharded_job import SHARDS, sharded_sync_job
from tests.warehouses import duckdb_only, duckdb_warehouse


def test_shard_filter_in_sql_matches_python_and_splits_every_customer(
    make_warehouse: Callable[[], WarehouseResource],
) -> None:
    ids = [f"c{i}" for i in range(200)] + ["", "é-ü 客户", "12345"]
    query = (
        f"SELECT customer_id FROM keys WHERE {shard_filter_sql('customer_id')} ORDER BY customer_id"
    )
    with make_warehouse().session() as session:
        session.execute("CREATE TABLE keys (customer_id VARCHAR)")
        session.insert_arrow("keys", pa.table({"customer_id": ids}))
        shards = [
            [row[0] for row in session.fetch_all(query, Shard(index, SHARDS).params())]
            for index in range(SHARDS)
        ]

    for index, members in enumerate(shards):
        assert members == sorted(i for i in ids if shard_of(i, SHARDS) == index)
    assert sorted(member for members in shards for member in members) == sorted(ids)
    assert all(len(members) > 40 for members in shards)


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_sharded_send_equals_the_unsharded_send(
    harness: SyncHarness, make_warehouse: Callable[[], WarehouseResource]
) -> None:
    runs = [scenario.FIRST_RUN, scenario.NEXT_DAY_RUN]
    unsharded = scenario.unsharded_snapshot(harness, runs)
    sharded_harness = SyncHarness(make_warehouse(), harness.sandbox)
    scenario.load(sharded_harness)

    first, second = scenario.sync(sharded_harness, runs, shards=SHARDS)

    assert scenario.snapshot(sharded_harness) == unsharded
    for result, key in ((first, "cio_sync/customer_state"), (first, "cio_sync/events")):
        metadata = metadata_of(result, key)
        assert metadata["shards"] == SHARDS
        assert metadata["accepted"] == metadata["planned"] > 0
        # Every shard had customers to send: the split is real, not all in one step.
        table = [record.data for record in metadata["shard_reports"].records]
        assert [row["shard"] for row in table] == ["1 of 3", "2 of 3", "3 of 3"]
        assert all(row["accepted"] > 0 for row in table)
    assert metadata_of(first, "cio_sync/events")["backfill_policy"] == "rename"
    assert metadata_of(second, "cio_sync/customer_state")["accepted"] > 0


def test_sharded_assets_keep_what_the_single_step_assets_declare() -> None:
    sharded = {asset.key: asset for asset in shop_sync_assets(SHARDS)}
    single = {asset.key: asset for asset in shop_sync_assets(1)}
    customer_state_sync, events_sync = single[CUSTOMER_STATE_SYNC], single[EVENTS_SYNC]
    for single_step in (customer_state_sync, events_sync):
        key = single_step.key
        expected, actual = single_step.specs_by_key[key], sharded[key].specs_by_key[key]
        assert actual.description == expected.description
        assert actual.owners == expected.owners
        assert actual.tags == expected.tags
        assert actual.group_name == expected.group_name
        assert actual.partitions_def == expected.partitions_def
        assert {dep.asset_key for dep in actual.deps} == {dep.asset_key for dep in expected.deps}
        assert actual.metadata == {**expected.metadata, "shards": SHARDS}
    ops = {node.name for node in sharded[CUSTOMER_STATE_SYNC].node_def.nodes}
    assert ops == {
        *(f"customer_state_send_shard_{index}_of_3" for index in (1, 2, 3)),
        "customer_state_send_summary",
    }
    assert sharded[EVENTS_SYNC].backfill_policy == events_sync.backfill_policy


@duckdb_only
def test_multiprocess_sharded_run_equals_the_unsharded_run(
    harness: SyncHarness, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    unsharded = scenario.unsharded_snapshot(harness, [scenario.FIRST_RUN])
    sharded_harness = SyncHarness(duckdb_warehouse(tmp_path), sandbox)
    scenario.load(sharded_harness)
    customerio = {
        "site_id": sandbox.site_id,
        "api_key": sandbox.api_key,
        "app_api_key": sandbox.app_api_key,
        "track_url": sandbox.url,
        "app_url": sandbox.url,
        "max_rps": 1000,
    }
    run_config = {
        "resources": {
            "warehouse": {"config": {"database": sharded_harness.warehouse.database}},
            "customerio": {"config": customerio},
        }
    }
    _, first, last = scenario.FIRST_RUN
    tags = {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}

    with (
        dg.instance_for_test() as instance,
        dg.execute_job(
            dg.reconstructable(sharded_sync_job), instance, run_config=run_config, tags=tags
        ) as result,
    ):
        assert result.success
        starts = [
            event
            for event in result.all_events
            if event.event_type == dg.DagsterEventType.STEP_START
        ]

    steps = {event.step_key for event in starts}
    assert {f"events_send.events_send_shard_{i}_of_3" for i in (1, 2, 3)} <= steps
    # One process per step: each shard ran in a process of its own.
    assert len({event.pid for event in starts}) == len(starts)
    assert scenario.snapshot(sharded_harness) == unsharded
