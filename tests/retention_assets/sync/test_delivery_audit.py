"""End to end: an identify Customer.io answers 200 and drops is caught after the send.

Two customers whose emails differ only in case and whitespace are one address to Customer.io:
the sandbox, like Customer.io, accepts the second customer's identify and drops it whole. The
delivery audit must find it through the App API, keep the ledger from claiming it, open a
rejection, retry it on every run, and resolve it once the data is fixed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dagster as dg
import pytest

from asset_checks.sync_checks import REJECTED_ROWS_CHECK
from resources.customerio.emails import EMAIL_WHITESPACE
from retention_assets.shop import CUSTOMER_STATE
from retention_assets.specs.model import Cohort
from retention_assets.sync import delivery_audit, ledger
from retention_assets.sync.delivery_audit import REASON, UNDELIVERED
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import (
    AS_OF,
    STATE_SYNC,
    SyncHarness,
    metadata_of,
    state_row,
)

NEXT_DAY = AS_OF + dt.timedelta(days=1)
SYNC = "cio_sync/customer_state"


def _rejections(harness: SyncHarness) -> list[tuple[Any, ...]]:
    return harness.query(
        "SELECT row_key, reason, field, attempts, resolved_at IS NULL AS open"
        " FROM cio_sync.rejected_rows WHERE stream = 'customer_state' ORDER BY first_seen_at"
    )


def _ledger_hashes(harness: SyncHarness, customer_id: str) -> set[str | None]:
    rows = harness.query(
        "SELECT value_hash FROM cio_sync.attribute_ledger"
        f" WHERE customer_id = '{customer_id}' AND attribute IN ('email', 'loyalty_points')"
    )
    return {row[0] for row in rows}


def _rejections_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == REJECTED_ROWS_CHECK and e.asset_key.to_user_string() == SYNC
    )


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_a_shared_email_is_rejected_retried_and_resolved_once_fixed(harness: SyncHarness) -> None:
    harness.put_state(
        [
            state_row("ann", email="ann@example.com", loyalty_points=10),
            # The model trims spaces only: a tab survives it, Customer.io ignores it.
            state_row("ann_dup", email="Ann@Example.com\t", loyalty_points=20),
        ]
    )

    first = harness.run(STATE_SYNC)

    sync = metadata_of(first, SYNC)
    # The Track API took both: nothing in the send itself says anything went wrong.
    assert (sync["accepted"], sync["rejected"]) == (2, 0)
    people = harness.sandbox.people()
    assert people["ann"]["loyalty_points"] == 10
    assert people["ann_dup"] == {}
    assert (sync["audited"], sync["failed"]) == (2, 1)
    # The App API read-back's time is shown (10 requests/s at Customer.io).
    assert sync["audit_seconds"] > 0
    assert _rejections(harness) == [("ann_dup", REASON, "email", 1, True)]
    assert _ledger_hashes(harness, "ann_dup") == {UNDELIVERED}
    check = _rejections_check(first)
    assert not check.passed
    sample = [record.data for record in check.metadata["sample"].records]
    assert sample[0]["row_key"] == "ann_dup"
    assert (sample[0]["reason"], sample[0]["field"]) == ("attribute_update_failure", "email")

    # Same data: the next run plans and sends the profile again, and it is dropped again.
    second = harness.run(STATE_SYNC)

    plan = metadata_of(second, "cio_sync/customer_state_plan")
    assert (plan["planned_profiles"], plan["new_profiles"]) == (1, 0)
    assert metadata_of(second, SYNC)["failed"] == 1
    assert _rejections(harness) == [("ann_dup", REASON, "email", 2, True)]

    harness.put_state([state_row("ann_dup", as_of=NEXT_DAY, email="ann.dup@example.com")])
    fixed = harness.run(STATE_SYNC, NEXT_DAY)

    assert metadata_of(fixed, SYNC)["failed"] == 0
    assert harness.sandbox.people()["ann_dup"]["email"] == "ann.dup@example.com"
    assert harness.sandbox.people()["ann_dup"]["loyalty_points"] == 40
    assert [row[4] for row in _rejections(harness)] == [False]
    assert UNDELIVERED not in _ledger_hashes(harness, "ann_dup")
    assert _rejections_check(fixed).passed


@pytest.mark.duckdb_only
def test_an_email_changed_to_another_customers_email_keeps_the_old_values_and_is_retried(
    harness: SyncHarness,
) -> None:
    harness.put_state([state_row("c1", email="one@example.com"), state_row("c2")])
    harness.run(STATE_SYNC)
    harness.put_state(
        [
            state_row("c1", as_of=NEXT_DAY, email="one@example.com"),
            state_row("c2", as_of=NEXT_DAY, email=" ONE@example.com", loyalty_points=99),
        ]
    )

    changed = harness.run(STATE_SYNC, NEXT_DAY)

    assert metadata_of(changed, SYNC)["failed"] == 1
    # Customer.io kept the old profile: the loyalty change travelled with the email and was lost.
    assert harness.sandbox.people()["c2"]["email"] == "c2@example.com"
    assert harness.sandbox.people()["c2"]["loyalty_points"] == 40
    assert _rejections(harness) == [("c2", REASON, "email", 1, True)]

    harness.put_state([state_row("c2", as_of=NEXT_DAY, loyalty_points=99)])
    retried = harness.run(STATE_SYNC, NEXT_DAY)

    assert metadata_of(retried, SYNC)["failed"] == 0
    assert harness.sandbox.people()["c2"]["loyalty_points"] == 99
    assert [row[4] for row in _rejections(harness)] == [False]


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_without_an_app_api_key_the_audit_is_skipped_and_the_send_succeeds(
    harness: SyncHarness,
) -> None:
    # A second workspace's key lives in a variable of its own: the skip names that one.
    harness.customerio = harness.customerio_resource(
        app_api_key=None, app_api_key_source="CIO_EU_APP_KEY"
    )
    harness.put_state(
        [state_row("a", email="a@example.com"), state_row("b", email="A@example.com ")]
    )

    result = harness.run(STATE_SYNC, raise_on_error=False)

    sync = metadata_of(result, SYNC)
    assert sync["accepted"] == 2
    assert sync["delivery_audit"] == "skipped: no App API key (set CIO_EU_APP_KEY)"
    assert (sync["audited"], sync["failed"]) == (0, 0)
    assert _rejections(harness) == []
    assert not any(r["path"].startswith("/v1/") for r in harness.sandbox.requests())


@pytest.mark.duckdb_only
def test_sharded_send_is_audited_once_after_all_shards(harness: SyncHarness) -> None:
    rows = [state_row(f"c{i}") for i in range(8)]
    rows += [
        state_row("twin_a", email="twin@example.com"),
        state_row("twin_b", email=" Twin@Example.com"),
    ]
    harness.put_state(rows)
    # No test cohort: its read-back reads activities too, and only the audit's are counted.
    profiles = harness.shape.profiles
    no_cohort = SyncStream(
        profiles.spec.model_copy(update={"cohort": Cohort(sample_size=0, activity_sample_size=0)})
    )

    result = harness.run(STATE_SYNC, shards=3, streams=[no_cohort, harness.shape.events])

    sync = metadata_of(result, SYNC)
    assert (sync["shards"], sync["accepted"], sync["audited"], sync["failed"]) == (3, 10, 10, 1)
    (rejection,) = _rejections(harness)
    assert rejection[1:] == (REASON, "email", 1, True)
    assert rejection[0] in {"twin_a", "twin_b"}
    activity_reads = [r for r in harness.sandbox.requests() if r["path"].endswith("/activities")]
    assert len(activity_reads) == 1


@pytest.mark.duckdb_only
def test_a_wrong_app_api_key_leaves_the_send_delivered_and_the_audit_incomplete(
    harness: SyncHarness,
) -> None:
    harness.customerio = harness.customerio_resource(app_api_key="not-the-app-key")
    harness.put_state([state_row("a"), state_row("b")])

    # The drift check fails on the same key; the send itself must not.
    result = harness.run(STATE_SYNC, raise_on_error=False)

    sync = metadata_of(result, SYNC)
    assert sync["accepted"] == 2
    assert sync["delivery_audit"].startswith("incomplete: Customer.io App API rejected")
    assert "not-the-app-key" not in sync["delivery_audit"]
    assert (sync["audited"], sync["failed"]) == (0, 0)


def test_suspects_beyond_the_activity_cap_are_unconfirmed_and_sent_again(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery_audit, "MAX_ACTIVITY_READS", 0)
    harness.put_state([state_row("a", email="a@x.com"), state_row("b", email="a@x.com")])

    result = harness.run(STATE_SYNC)

    sync = metadata_of(result, SYNC)
    assert (sync["audited"], sync["failed"], sync["audit_unconfirmed"]) == (2, 0, 1)
    # Not a rejection (nothing says it failed), but not claimed by the ledger either.
    assert _rejections(harness) == []
    loser = next(key for key, profile in harness.sandbox.people().items() if not profile)
    assert _ledger_hashes(harness, loser) == {UNDELIVERED}

    monkeypatch.undo()
    again = harness.run(STATE_SYNC)

    assert metadata_of(again, "cio_sync/customer_state_plan")["planned_profiles"] == 1
    assert metadata_of(again, SYNC)["failed"] == 1
    assert [row[0] for row in _rejections(harness)] == [loser]


def test_the_audit_reads_customers_sharing_an_email_first(harness: SyncHarness) -> None:
    harness.put_state(
        [
            state_row("a_alone", email="alone@example.com"),
            state_row("m_twin", email="Twin@example.com"),
            state_row("z_twin", email="twin@example.com\n"),
        ]
    )
    with harness.warehouse.session() as session:
        ledger.ensure_sync_tables(session, CUSTOMER_STATE)
        ledger.ensure_source_view(session, CUSTOMER_STATE)
        session.execute(
            "INSERT INTO cio_sync.attribute_ledger"
            " SELECT customer_id, 'email', md5(customer_id), as_of_date, now(), 'run-1'"
            " FROM retention.customer_state"
        )
        rows = session.fetch_all(
            CUSTOMER_STATE.sql("email_changes_to_audit"),
            {
                "run_id": "run-1",
                "as_of": AS_OF,
                "email_attribute": "email",
                "whitespace": EMAIL_WHITESPACE,
                "limit": 2,
            },
        )
    assert [(row[0], row[2], row[3]) for row in rows] == [
        ("m_twin", True, 3),
        ("z_twin", True, 3),
    ]
