"""The test-cohort check reads customers back after a sync and names each difference.

Each test syncs into the sandbox, breaks one thing behind the pipeline's back (an attribute
edited by hand, an event Customer.io answered 200 to and dropped, a segment membership that
is not what the warehouse says), and sees the check fail with that difference listed for that
customer; the same check passes on the clean sync first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dagster as dg
import httpx

from asset_checks.cohort_check import COHORT_CHECK
from retention_assets.specs.model import Cohort, CohortMember
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import (
    AS_OF,
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    state_row,
)
from tests.shop_events import ORDER_PLACED
from tests.warehouses import duckdb_only

pytestmark = duckdb_only

RECENT = dt.datetime(2026, 10, 30, 9, 0, tzinfo=dt.UTC)


def _stream(harness: SyncHarness, kind: str, **cohort: Any) -> SyncStream:
    """The shape's sync of ``kind`` with the given test cohort, as a spec would declare it."""
    stream = next(s for s in harness.shape.streams if s.kind == kind)
    return SyncStream(stream.spec.model_copy(update={"cohort": Cohort(**cohort)}))


def _evaluation(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == COHORT_CHECK)


def _differences(evaluation: dg.AssetCheckEvaluation) -> list[dict[str, Any]]:
    table = evaluation.metadata.get("by_customer")
    return [record.data for record in table.value.records] if table else []


def _segment(harness: SyncHarness, name: str, members: list[str]) -> int:
    """A manual segment created through the App API, with members added through Track."""
    sandbox = harness.sandbox
    created = httpx.post(
        f"{sandbox.url}/v1/segments",
        json={"segment": {"name": name}},
        headers=sandbox.app_headers,
    )
    created.raise_for_status()
    segment_id = int(created.json()["segment"]["id"])
    if members:
        httpx.post(
            f"{sandbox.url}/api/v1/segments/{segment_id}/add_customers",
            json={"ids": members},
            auth=sandbox.track_auth,
        ).raise_for_status()
    return segment_id


def test_a_hand_edited_attribute_of_a_declared_member_is_listed(harness: SyncHarness) -> None:
    stream = _stream(harness, "profiles", members=[CohortMember(id="c2")], sample_size=0)
    harness.put_state([state_row("c1"), state_row("c2")])
    clean = _evaluation(harness.run(STATE_SYNC, streams=[stream]))
    assert clean.passed, _differences(clean)
    assert clean.metadata["customers_read"].value == 1  # the declared member only

    httpx.put(
        f"{harness.sandbox.url}/api/v1/customers/c2",
        json={"vip_tier": "gold"},
        auth=harness.sandbox.track_auth,
    ).raise_for_status()
    drifted = _evaluation(harness.run(STATE_SYNC, streams=[stream]))

    assert not drifted.passed
    assert drifted.severity == dg.AssetCheckSeverity.WARN
    assert _differences(drifted) == [
        {"customer_id": "c2", "aspect": "attribute", "name": "vip_tier", "problem": "value differs"}
    ]


def test_the_random_sample_catches_an_undeclared_customer(harness: SyncHarness) -> None:
    stream = _stream(harness, "profiles", sample_size=10, activity_sample_size=0)
    harness.put_state([state_row("c1"), state_row("c2")])
    harness.run(STATE_SYNC, streams=[stream])
    httpx.put(
        f"{harness.sandbox.url}/api/v1/customers/c1",
        json={"top_category": "tea"},
        auth=harness.sandbox.track_auth,
    ).raise_for_status()

    evaluation = _evaluation(harness.run(STATE_SYNC, streams=[stream]))

    assert evaluation.metadata["customers_read"].value == 2
    assert [(d["customer_id"], d["name"]) for d in _differences(evaluation)] == [
        ("c1", "top_category")
    ]


def test_a_dropped_update_fails_the_check_at_error_severity(harness: SyncHarness) -> None:
    # c2 takes c1's email: Customer.io answers 200 and drops c2's update, recording a
    # failed_attribute_change on it.
    stream = _stream(
        harness, "profiles", members=[CohortMember(id="c2")], sample_size=0, severity="error"
    )
    harness.put_state([state_row("c1"), state_row("c2")])
    harness.run(STATE_SYNC, streams=[stream])
    harness.put_state([state_row("c2", email="c1@example.com", lifetime_orders=9)])

    evaluation = _evaluation(harness.run(STATE_SYNC, streams=[stream]))

    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    failed = [d for d in _differences(evaluation) if d["aspect"] == "failed update"]
    assert [(d["customer_id"], d["name"]) for d in failed] == [("c2", "failed_attribute_change")]


def test_an_event_that_did_not_land_is_listed_with_its_failed_event(harness: SyncHarness) -> None:
    stream = _stream(harness, "events", members=[CohortMember(id="c1")], sample_size=0)
    harness.put_events([event_row("o1", "c1", ORDER_PLACED, RECENT, order_id="o1")])
    day = RECENT.date()
    clean = _evaluation(harness.run(EVENTS_SYNC_KEYS, first=day, streams=[stream]))
    assert clean.passed, _differences(clean)

    # Customer.io accepts the next event (200) and drops it.
    harness.sandbox.configure(event_fail_rate=1.0)
    later = RECENT + dt.timedelta(hours=2)
    harness.put_events([event_row("o2", "c1", ORDER_PLACED, later, order_id="o2")])
    evaluation = _evaluation(harness.run(EVENTS_SYNC_KEYS, first=day, streams=[stream]))

    differences = _differences(evaluation)
    assert not evaluation.passed
    assert {
        "customer_id": "c1",
        "aspect": "event",
        "name": ORDER_PLACED,
        "problem": "not among the activities (sent for 2026-10-30T11:00:00+00:00)",
    } in differences
    assert [d["name"] for d in differences if d["aspect"] == "failed update"] == ["failed_event"]
    # The event that did land is not listed.
    assert len([d for d in differences if d["aspect"] == "event"]) == 1


def test_segment_expectations_are_held_to_what_customerio_says(harness: SyncHarness) -> None:
    members = [
        CohortMember(id="c1", in_segments=["VIP"], not_in_segments=["Reactivation"]),
        CohortMember(id="c2", not_in_segments=["VIP"]),
    ]
    stream = _stream(harness, "profiles", members=members, sample_size=0)
    harness.put_state([state_row("c1"), state_row("c2")])
    harness.run(STATE_SYNC, streams=[stream])
    vip = _segment(harness, "VIP", ["c1"])
    _segment(harness, "Reactivation", [])
    assert _evaluation(harness.run(STATE_SYNC, streams=[stream])).passed

    # c1 is wrongly added to Reactivation; c1 leaves VIP (named by id this time) and c2 joins.
    reactivation = _segment(harness, "Reactivation 2", ["c1"])
    for path, ids in ((f"{vip}/remove_customers", ["c1"]), (f"{vip}/add_customers", ["c2"])):
        httpx.post(
            f"{harness.sandbox.url}/api/v1/segments/{path}",
            json={"ids": ids},
            auth=harness.sandbox.track_auth,
        ).raise_for_status()
    members[0] = CohortMember(
        id="c1", in_segments=[str(vip)], not_in_segments=["Reactivation", str(reactivation)]
    )
    stream = _stream(harness, "profiles", members=members, sample_size=0)

    evaluation = _evaluation(harness.run(STATE_SYNC, first=AS_OF, streams=[stream]))

    assert not evaluation.passed
    found = {(d["customer_id"], d["name"], d["problem"]) for d in _differences(evaluation)}
    assert found == {
        ("c1", str(reactivation), "expected not in it, is a member"),
        ("c1", str(vip), "expected in it, not a member"),
        ("c2", "VIP", "expected not in it, is a member"),
    }
