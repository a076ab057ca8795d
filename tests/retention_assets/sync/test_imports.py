"""An interrupted import stays an import: its backfill policy and guard approval carry over.

The first sync of a stream (and a backfill, and a plan allowed past the volume guard) is an
import recorded in ``cio_sync.sync_imports``. A child process is killed with SIGKILL half-way
through one; the resume is a plain run, with no backfill tag and no override.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from asset_checks.sync_checks import VOLUME_GUARD_CHECK
from retention_assets.shop import CUSTOMER_STATE_PLAN
from retention_assets.sync.policies import ALLOW_VOLUME_TAG, BACKFILL_SUFFIX
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import (
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    metadata_of,
    state_row,
    with_volume_guard,
)
from tests.retention_assets.sync.killed_sync import kill_mid_sync
from tests.shop_events import ORDER_PLACED
from tests.warehouses import duckdb_only

PLAN_OP = CUSTOMER_STATE_PLAN.to_python_identifier()


@duckdb_only
def test_killed_initial_event_import_resumes_under_its_backfill_policy(
    harness: SyncHarness,
) -> None:
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    events = 1_200
    # Every event is inside Customer.io's 72-hour trigger window: sent live, each would start
    # a journey.
    harness.put_events(
        [
            event_row(
                f"order:{i}", f"c{i % 50}", ORDER_PLACED, now - dt.timedelta(hours=1, seconds=i)
            )
            for i in range(events)
        ]
    )
    first = today - dt.timedelta(days=2)
    # Killed once a few acknowledgement flushes (every 2 s) reached the ledger.
    kill_mid_sync(
        harness,
        first,
        today,
        lambda: harness.sandbox.stats()["entries_accepted"] >= 500,
        keys=["cio_sync/events_plan", "cio_sync/events"],
        max_rps=10,
        entries_per_batch=20,
    )
    delivered_before = harness.query("SELECT count(*) FROM cio_sync.event_acks")[0][0]
    assert 0 < delivered_before < events

    resumed = harness.run(EVENTS_SYNC_KEYS, first, today)

    stored = harness.sandbox.events()
    assert len(stored) == events
    live = [e for e in stored if not e["name"].endswith(BACKFILL_SUFFIX)]
    assert live == [], f"{len(live)} events of the import were sent under their live names"
    metadata = metadata_of(resumed, "cio_sync/events")
    assert metadata["backfill_policy"] == "rename"
    assert "initial import of events" in metadata["import"]
    assert metadata["imports_completed"].startswith("initial import of events")


@duckdb_only
def test_killed_initial_profile_import_resumes_without_a_volume_override(
    harness: SyncHarness,
) -> None:
    customers, day = 2_500, dt.date(2026, 11, 1)
    harness.put_state([state_row(f"c{i}", as_of=day) for i in range(customers)])
    kill_mid_sync(
        harness,
        day,
        day,
        lambda: harness.sandbox.stats()["entries_accepted"] >= 600,
        keys=["cio_sync/customer_state_plan", "cio_sync/customer_state"],
        max_rps=10,
        entries_per_batch=20,
    )
    synced = len(harness.sandbox.people())
    # Well past the guard's floor of 1,000 new profiles: a plain plan would be blocked.
    assert customers - synced > 1_000

    resumed = harness.run(STATE_SYNC, day)

    assert len(harness.sandbox.people()) == customers
    guard = _guard(resumed)
    assert guard.passed
    assert "part of the initial import" in guard.metadata["verdict"].value
    assert harness.query(
        "SELECT count(*) FROM cio_sync.sync_imports WHERE completed_at IS NOT NULL"
    ) == [(1,)]


def _guard(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(
        e for e in result.get_asset_check_evaluations() if e.check_name == VOLUME_GUARD_CHECK
    )


# A guard whose floor a test's plan can pass with a few dozen profiles (the default is 1,000).
_GUARD_FLOOR = 20


def _grow_past_the_guard(harness: SyncHarness) -> tuple[dt.date, list[SyncStream]]:
    """A synced workspace of 10 profiles, then a day that adds 50 new ones, past the floor of
    the returned syncs' volume guard."""
    streams = [with_volume_guard(harness.shape.profiles, new_profiles_floor=_GUARD_FLOOR)]
    day = dt.date(2026, 11, 1)
    harness.put_state([state_row(f"c{i}", as_of=day) for i in range(10)])
    harness.run(STATE_SYNC, day, streams=streams)
    later = day + dt.timedelta(days=1)
    harness.put_state([state_row(f"c{i}", as_of=later) for i in range(60)])
    return later, streams


@pytest.mark.duckdb_only
def test_allow_volume_by_run_config_lets_a_large_plan_through(harness: SyncHarness) -> None:
    later, streams = _grow_past_the_guard(harness)
    blocked = harness.run(STATE_SYNC, later, raise_on_error=False, streams=streams)
    assert not _guard(blocked).passed
    verdict = _guard(blocked).metadata["verdict"].value
    assert "cio_sync__customer_state_plan" in verdict and "allow_volume" in verdict
    assert len(harness.sandbox.people()) == 10

    allowed = harness.run(
        STATE_SYNC,
        later,
        run_config={"ops": {PLAN_OP: {"config": {"allow_volume": True}}}},
        streams=streams,
    )

    assert _guard(allowed).passed
    assert len(harness.sandbox.people()) == 60


@pytest.mark.duckdb_only
def test_an_allowed_plan_resumes_without_a_second_override(harness: SyncHarness) -> None:
    later, streams = _grow_past_the_guard(harness)
    # Planned and allowed, then the run stops before the send (a crash, a cancelled run).
    harness.run([CUSTOMER_STATE_PLAN], later, tags={ALLOW_VOLUME_TAG: "true"}, streams=streams)

    resumed = harness.run(STATE_SYNC, later, streams=streams)

    assert _guard(resumed).passed
    assert "allowed by run" in _guard(resumed).metadata["verdict"].value
    assert len(harness.sandbox.people()) == 60


@pytest.mark.duckdb_only
def test_refused_plan_is_emptied_so_a_send_only_run_sends_nothing(harness: SyncHarness) -> None:
    later, streams = _grow_past_the_guard(harness)
    harness.run(STATE_SYNC, later, raise_on_error=False, streams=streams)

    send_only = harness.run([STATE_SYNC[1]], later, streams=streams)

    assert metadata_of(send_only, "cio_sync/customer_state")["planned"] == 0
    assert len(harness.sandbox.people()) == 10


@pytest.mark.duckdb_only
def test_events_rejected_during_an_import_keep_its_policy_when_retried_later(
    harness: SyncHarness,
) -> None:
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    harness.put_events(
        [
            event_row(f"order:{i}", f"c{i}", ORDER_PLACED, now - dt.timedelta(hours=2, minutes=i))
            for i in range(60)
        ]
    )
    harness.sandbox.configure(entry_reject_rate=0.3, seed=5)
    first = harness.run(EVENTS_SYNC_KEYS, today - dt.timedelta(days=1), today)
    rejected = metadata_of(first, "cio_sync/events")["rejected"]
    assert rejected > 0
    # Nothing else is pending: the import is complete, the next run is a live one.
    assert "initial import" in metadata_of(first, "cio_sync/events")["imports_completed"]

    harness.sandbox.configure(entry_reject_rate=0.0)
    retry = harness.run(EVENTS_SYNC_KEYS, today - dt.timedelta(days=1), today)

    assert metadata_of(retry, "cio_sync/events")["accepted"] == rejected
    stored = harness.sandbox.events()
    assert len(stored) == 60
    assert all(e["name"] == ORDER_PLACED + BACKFILL_SUFFIX for e in stored)
