"""The sync's own checks: read-back drift, open rejections and the events volume guard."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import httpx
import pytest

from asset_checks.cohort_check import COHORT_CHECK
from asset_checks.sync_checks import REJECTED_ROWS_CHECK, VOLUME_GUARD_CHECK
from tests.retention_assets.sync.harness import (
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    state_row,
    with_volume_guard,
)
from tests.shop_events import ORDER_PLACED

OLD = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def _evaluation(result: dg.ExecuteInProcessResult, asset: str, name: str):
    return next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == name and e.asset_key.to_user_string() == asset
    )


@pytest.mark.duckdb_only
def test_cohort_check_reports_a_sampled_profile_edited_behind_the_pipeline(
    harness: SyncHarness,
) -> None:
    harness.put_state([state_row("c1"), state_row("c2")])
    clean = harness.run(STATE_SYNC)
    assert _evaluation(clean, "cio_sync/customer_state", COHORT_CHECK).passed

    # Someone edits c2 in Customer.io directly.
    httpx.put(
        f"{harness.sandbox.url}/api/v1/customers/c2",
        json={"vip_tier": "gold"},
        auth=harness.sandbox.track_auth,
    ).raise_for_status()
    drifted = harness.run(STATE_SYNC)

    evaluation = _evaluation(drifted, "cio_sync/customer_state", COHORT_CHECK)
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["differences"].value == 1
    rows = [record.data for record in evaluation.metadata["by_customer"].records]
    assert rows == [
        {"customer_id": "c2", "aspect": "attribute", "name": "vip_tier", "problem": "value differs"}
    ]


@pytest.mark.duckdb_only
def test_rejected_rows_check_warns_with_reason_until_delivered(harness: SyncHarness) -> None:
    # An email over Customer.io's 1000-byte value limit is rejected before sending.
    harness.put_state([state_row("c1"), state_row("c2", email="x" * 1200 + "@example.com")])

    result = harness.run(STATE_SYNC)

    evaluation = _evaluation(result, "cio_sync/customer_state", REJECTED_ROWS_CHECK)
    assert not evaluation.passed
    assert evaluation.metadata["open_rejections"].value == 1
    sample = [record.data for record in evaluation.metadata["sample"].records]
    assert sample == [
        {
            "row_key": "c2",
            "reason": "attribute_value_too_long",
            "field": "attributes.email",
            "attempts": 1,
        }
    ]
    assert sorted(harness.sandbox.people()) == ["c1"]

    harness.put_state([state_row("c2", email="c2@example.com")])
    fixed = harness.run(STATE_SYNC)

    assert _evaluation(fixed, "cio_sync/customer_state", REJECTED_ROWS_CHECK).passed
    assert harness.sandbox.people()["c2"]["email"] == "c2@example.com"


@pytest.mark.duckdb_only
def test_events_volume_guard_blocks_a_flood_of_events(harness: SyncHarness) -> None:
    harness.put_events([event_row("order:0", "c1", ORDER_PLACED, OLD)])
    harness.run(EVENTS_SYNC_KEYS, OLD.date(), OLD.date())
    harness.put_events(
        [
            event_row(f"order:{i}", "c1", ORDER_PLACED, OLD + dt.timedelta(hours=1, seconds=i))
            for i in range(1, 30)
        ]
    )
    small = with_volume_guard(harness.shape.events, events_floor=10)
    blocked = harness.run(
        EVENTS_SYNC_KEYS, OLD.date(), OLD.date(), raise_on_error=False, streams=[small]
    )

    evaluation = _evaluation(blocked, "cio_sync/events_plan", VOLUME_GUARD_CHECK)
    assert not evaluation.passed
    assert "planned_events 29 > 10" in evaluation.metadata["verdict"].value
    assert len(harness.sandbox.events()) == 1
