"""End to end: customer state from the warehouse to the sandbox, by the real cio_sync assets."""

from __future__ import annotations

import datetime as dt

import pytest

from asset_checks.sync_checks import VOLUME_GUARD_CHECK
from retention_assets.sync.policies import ALLOW_VOLUME_TAG
from tests.retention_assets.sync.harness import (
    AS_OF,
    STATE_SYNC,
    SyncHarness,
    metadata_of,
    state_row,
    with_volume_guard,
)
from tests.retention_assets.sync.shapes import EVERY_SHAPE

# The end-to-end suite: the example shop's source and a custom-shaped one (shapes.py).
pytestmark = EVERY_SHAPE

NEXT_DAY = AS_OF + dt.timedelta(days=1)


def _track_requests(harness: SyncHarness) -> list[dict]:
    return [r for r in harness.sandbox.requests() if r["path"].startswith("/api/v2/")]


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_first_sync_creates_every_profile_once_by_id(harness: SyncHarness) -> None:
    harness.put_state([state_row("c1"), state_row("c2", lifetime_revenue=1200.0, vip_tier="gold")])

    result = harness.run(STATE_SYNC)

    people = harness.sandbox.people()
    assert sorted(people) == ["c1", "c2"]
    assert people["c2"]["vip_tier"] == "gold"
    assert people["c2"]["lifetime_revenue"] == 1200.0
    assert people["c1"]["email"] == "c1@example.com"
    # Timestamps reach Customer.io as integer unix seconds.
    assert people["c1"]["last_order_at"] == int(
        dt.datetime(2026, 10, 20, 9, 30, tzinfo=dt.UTC).timestamp()
    )
    # last_refund_at is null under the skip policy: never sent.
    assert "last_refund_at" not in people["c1"]
    plan = metadata_of(result, "cio_sync/customer_state_plan")
    assert plan["new_profiles"] == 2
    sync = metadata_of(result, "cio_sync/customer_state")
    assert (sync["accepted"], sync["rejected"]) == (2, 0)


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_rerun_sends_nothing_and_one_change_sends_one_attribute(harness: SyncHarness) -> None:
    harness.put_state([state_row("c1"), state_row("c2")])
    harness.run(STATE_SYNC)
    harness.sandbox.reset()

    rerun = harness.run(STATE_SYNC)

    assert metadata_of(rerun, "cio_sync/customer_state")["requests"] == 0
    # Not even the credential check: an unchanged warehouse costs no Track API call (the
    # drift check's App API read-back is the only traffic).
    assert [r for r in harness.sandbox.requests() if r["path"].startswith("/api/")] == []

    harness.put_state([state_row("c2", loyalty_points=41)])
    changed = harness.run(STATE_SYNC)

    assert metadata_of(changed, "cio_sync/customer_state")["accepted"] == 1
    assert harness.sandbox.people() == {"c2": {"loyalty_points": 41}}
    activity = harness.sandbox.stats()
    assert activity["entries_accepted"] == 1


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_the_plan_shows_the_first_payloads_with_only_what_changed(harness: SyncHarness) -> None:
    harness.put_state([state_row(f"c{n}") for n in range(1, 9)])
    first = metadata_of(harness.run(STATE_SYNC), "cio_sync/customer_state_plan")
    shown = first["sample_payloads"].strip("`\n").splitlines()
    # Five customers, in id order, each a new profile with every attribute it has.
    assert [line.split(":")[0] for line in shown] == [f"new c{n}" for n in range(1, 6)]
    assert '"loyalty_points":' in shown[0] and '"vip_tier":' in shown[0]

    harness.put_state([state_row("c7", loyalty_points=41)])
    changed = metadata_of(harness.run(STATE_SYNC), "cio_sync/customer_state_plan")

    assert changed["sample_payloads"].strip("`\n") == 'c7: {"loyalty_points":41}'


@pytest.mark.duckdb_only
def test_null_skips_but_clear_policy_removes(harness: SyncHarness) -> None:
    harness.put_state([state_row("c1")])
    harness.run(STATE_SYNC)
    # top_category is `skip`; predicted_next_purchase_at is `clear` in the registry.
    harness.put_state(
        [state_row("c1", as_of=NEXT_DAY, top_category=None, predicted_next_purchase_at=None)]
    )

    harness.run(STATE_SYNC, NEXT_DAY)

    profile = harness.sandbox.people()["c1"]
    assert profile["top_category"] == "coffee"
    assert "predicted_next_purchase_at" not in profile
    # Cleared once; a further run with the same nulls sends nothing.
    harness.sandbox.reset()
    harness.run(STATE_SYNC, NEXT_DAY)
    assert _track_requests(harness) == []


@pytest.mark.duckdb_only
def test_a_row_changed_only_in_skipped_nulls_is_settled_without_a_request(
    harness: SyncHarness,
) -> None:
    harness.put_state([state_row("c1"), state_row("c2")])
    harness.run(STATE_SYNC)
    # top_category is `skip`: c1's row changes (a new digest) but nothing is to be sent.
    harness.put_state(
        [state_row("c1", as_of=NEXT_DAY, top_category=None), state_row("c2", as_of=NEXT_DAY)]
    )
    harness.sandbox.reset()

    first = harness.run(STATE_SYNC, NEXT_DAY)

    assert metadata_of(first, "cio_sync/customer_state_plan")["planned_profiles"] == 1
    assert metadata_of(first, "cio_sync/customer_state")["requests"] == 0
    assert _track_requests(harness) == []
    # Settled: the ledger holds the new digest, so the next plan has nobody left.
    again = harness.run(STATE_SYNC, NEXT_DAY)
    assert metadata_of(again, "cio_sync/customer_state_plan")["planned_profiles"] == 0


@pytest.mark.duckdb_only
def test_email_change_updates_the_same_profile(harness: SyncHarness) -> None:
    harness.put_state([state_row("c1", email="old@example.com")])
    harness.run(STATE_SYNC)
    harness.put_state([state_row("c1", as_of=NEXT_DAY, email="new@example.com")])

    harness.run(STATE_SYNC, NEXT_DAY)

    people = harness.sandbox.people()
    assert list(people) == ["c1"]
    assert people["c1"]["email"] == "new@example.com"


@pytest.mark.duckdb_only
def test_older_partition_never_overwrites_newer_state(harness: SyncHarness) -> None:
    harness.put_state(
        [state_row("c1", loyalty_points=10), state_row("c1", as_of=NEXT_DAY, loyalty_points=99)]
    )
    harness.run(STATE_SYNC, NEXT_DAY)

    harness.run(STATE_SYNC, AS_OF)

    assert harness.sandbox.people()["c1"]["loyalty_points"] == 99


@pytest.mark.duckdb_only
def test_volume_guard_blocks_abnormal_plan_unless_allowed(harness: SyncHarness) -> None:
    # An initial import of any size passes the guard.
    harness.put_state([state_row(f"c{i}") for i in range(20)])
    harness.run(STATE_SYNC)
    # The next day everyone's loyalty tier is wiped: a mass clear, far over the guard's floor
    # once the floor is scaled down for this small workspace.
    harness.put_state([state_row(f"c{i}", as_of=NEXT_DAY, loyalty_tier=None) for i in range(20)])
    small = [with_volume_guard(harness.shape.profiles, cleared_attributes_floor=5)]
    blocked = harness.run(STATE_SYNC, NEXT_DAY, raise_on_error=False, streams=small)
    evaluation = next(
        e for e in blocked.get_asset_check_evaluations() if e.check_name == VOLUME_GUARD_CHECK
    )
    assert not evaluation.passed
    assert "cio_sync/customer_state" not in {
        e.asset_key.to_user_string()
        for e in (m.materialization for m in blocked.get_asset_materialization_events())
        if e is not None
    }
    assert "loyalty_tier" in harness.sandbox.people()["c0"]

    allowed = harness.run(STATE_SYNC, NEXT_DAY, tags={ALLOW_VOLUME_TAG: "true"}, streams=small)
    assert metadata_of(allowed, "cio_sync/customer_state")["accepted"] == 20
    assert "loyalty_tier" not in harness.sandbox.people()["c0"]
