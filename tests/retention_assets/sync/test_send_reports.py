"""The shard reports a send's summary step reads from the warehouse, not from the IO manager.

A send is N shard steps and a summary step for every N, one included. The steps hand nothing
to each other through Dagster's IO manager, so a deployment with a pod per step needs no
shared storage; a shard re-executed from failure replaces its own report, so the summary adds
up every shard once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg
import pytest

from resources.customerio import Rejection
from resources.warehouse import WarehouseResource
from retention_assets.shop import CUSTOMER_STATE, EVENTS
from retention_assets.sync import ledger, send_reports
from retention_assets.sync.policies import BackfillPolicy
from retention_assets.sync.send import SyncReport
from retention_assets.sync.send_reports import ShardReport
from retention_assets.sync.shards import Shard
from tests.retention_assets.sync import scenario
from tests.retention_assets.sync.harness import SyncHarness, metadata_of


class RefusingIOManager(dg.IOManager):
    """Fails any step that stores or loads a value: a pod-per-step run has no shared storage."""

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        raise AssertionError(f"step {context.step_key} stored a value through the IO manager")

    def load_input(self, context: dg.InputContext) -> Any:
        raise AssertionError(f"step {context.step_key} loaded a value through the IO manager")


@pytest.mark.parametrize("shards", [1, 2], ids=["one_shard", "two_shards"])
@pytest.mark.duckdb_only
def test_a_send_hands_nothing_through_the_io_manager(harness: SyncHarness, shards: int) -> None:
    scenario.load(harness)
    keys, first, last = scenario.FIRST_RUN
    result = harness.run(
        keys, first, last, shards=shards, resources={"io_manager": RefusingIOManager()}
    )

    for stream in (CUSTOMER_STATE, EVENTS):
        metadata = metadata_of(result, stream.send_key.to_user_string())
        assert metadata["shards"] == shards
        assert metadata["accepted"] == metadata["planned"] > 0
    assert set(harness.sandbox.people()) == {f"c{i}" for i in range(scenario.CUSTOMERS)}


def _report(accepted: int) -> SyncReport:
    return SyncReport(
        planned=accepted,
        sent=accepted,
        accepted=accepted,
        requests=1,
        seconds=0.5,
        rejection_sample=[Rejection("c1", "too_large", "bio", "bio is over 1000 bytes")],
    )


@pytest.mark.duckdb_only
def test_a_re_executed_shard_replaces_its_report(
    make_warehouse: Callable[[], WarehouseResource],
) -> None:
    stream, two = CUSTOMER_STATE, 2
    with make_warehouse().session() as session:
        ledger.ensure_sync_tables(session, stream)
        first_try = ShardReport(Shard(0, two), _report(5), BackfillPolicy.MARK, {"import": "x"})
        send_reports.record(session, stream, "run-a", first_try)
        send_reports.record(session, stream, "run-a", ShardReport(Shard(1, two), _report(7)))
        # The re-execution of shard 1 of 2, in the same run group.
        send_reports.record(session, stream, "run-a", ShardReport(Shard(1, two), _report(9)))
        # Another run's report, and the same shard of another shard count, are not this send's.
        send_reports.record(session, stream, "run-b", ShardReport(Shard(1, two), _report(100)))
        send_reports.record(session, stream, "run-a", ShardReport(Shard(0, 1), _report(100)))

        found = send_reports.reports(session, stream, "run-a", two)

    assert [(r.shard, r.report.accepted) for r in found] == [(Shard(0, two), 5), (Shard(1, two), 9)]
    assert found[0] == first_try


@pytest.mark.duckdb_only
def test_two_syncs_sharing_a_ledger_schema_read_only_their_own_reports(
    make_warehouse: Callable[[], WarehouseResource],
) -> None:
    # The shop's profile and event syncs share the schema cio_sync, and one run sends both.
    assert CUSTOMER_STATE.schema == EVENTS.schema
    with make_warehouse().session() as session:
        ledger.ensure_sync_tables(session, CUSTOMER_STATE)
        send_reports.record(session, CUSTOMER_STATE, "run-a", ShardReport(Shard(0, 1), _report(3)))
        send_reports.record(session, EVENTS, "run-a", ShardReport(Shard(0, 1), _report(8)))

        profiles = send_reports.reports(session, CUSTOMER_STATE, "run-a", 1)
        events = send_reports.reports(session, EVENTS, "run-a", 1)

    assert [r.report.accepted for r in profiles] == [3]
    assert [r.report.accepted for r in events] == [8]


def test_a_summary_without_every_shard_report_fails_naming_the_shard(
    make_warehouse: Callable[[], WarehouseResource],
) -> None:
    stream = CUSTOMER_STATE
    with make_warehouse().session() as session:
        ledger.ensure_sync_tables(session, stream)
        send_reports.record(session, stream, "run-a", ShardReport(Shard(0, 3), _report(1)))
        with pytest.raises(dg.Failure, match=r"no report of shard 2 of 3, 3 of 3 in run group"):
            send_reports.reports(session, stream, "run-a", 3)


def test_a_re_execution_belongs_to_its_root_run() -> None:
    original = dg.DagsterRun(job_name="j", run_id="root")
    retry = dg.DagsterRun(job_name="j", run_id="retry", parent_run_id="root", root_run_id="root")
    assert send_reports.run_group(original) == "root"
    assert send_reports.run_group(retry) == "root"
