"""A send that ran out of retries is visibly failed, and its rows stay queued for the next run."""

from __future__ import annotations

import dagster as dg
import pytest

from asset_checks.sync_checks import DELIVERY_CHECK
from tests.retention_assets.sync.harness import STATE_SYNC, SyncHarness, metadata_of, state_row


def _delivery(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == DELIVERY_CHECK)


@pytest.mark.duckdb_only
def test_exhausted_retry_budget_fails_the_delivery_check_until_resent(
    harness: SyncHarness,
) -> None:
    harness.put_state([state_row(f"c{i}") for i in range(20)])
    harness.customerio = harness.customerio_resource(retry_budget=0, max_entries_per_batch=5)
    harness.sandbox.configure(error_503_rate=1.0)

    outage = harness.run(STATE_SYNC)

    check = _delivery(outage)
    assert not check.passed
    assert check.severity.value == "ERROR"
    assert check.metadata["undelivered_rows"].value == 20
    assert metadata_of(outage, "cio_sync/customer_state")["rejected"] == 20
    assert harness.sandbox.people() == {}

    harness.sandbox.configure(error_503_rate=0.0)
    recovered = harness.run(STATE_SYNC)

    assert _delivery(recovered).passed
    assert len(harness.sandbox.people()) == 20
