"""Acknowledgements logged by a send that died before folding them are kept, never resent.

A send appends what Customer.io acknowledged to ``cio_sync.profile_acks`` / ``event_acks``
and folds the log into the ledgers when it ends. These tests write the log as a send killed
before its fold leaves it (acknowledgements for rows the sandbox never saw, so a resend
would show), then run the sync again.
"""

from __future__ import annotations

import datetime as dt

import pytest

from retention_assets.shop import CUSTOMER_STATE, EVENTS
from retention_assets.sync import ledger
from tests.retention_assets.sync.harness import (
    AS_OF,
    CUSTOMER_STATE_PLAN,
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    state_row,
)
from tests.shop_events import ORDER_PLACED

CRASHED_RUN = "crashed-run"
OCCURRED = dt.datetime(2026, 10, 30, 9, 0, tzinfo=dt.UTC)


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_profile_acks_of_a_crashed_send_are_folded_before_the_next_plan(
    harness: SyncHarness,
) -> None:
    harness.put_state([state_row("acked_then_crashed"), state_row("never_sent")])
    harness.run([CUSTOMER_STATE_PLAN])
    with harness.warehouse.session() as session:
        ledger.log_profile_acks(
            session,
            CUSTOMER_STATE,
            ["acked_then_crashed"],
            as_of=AS_OF,
            run_id=CRASHED_RUN,
            now=dt.datetime.now(dt.UTC),
        )

    harness.run(STATE_SYNC)

    assert sorted(harness.sandbox.people()) == ["never_sent"]
    assert harness.query(
        "SELECT customer_id, run_id FROM cio_sync.customer_ledger ORDER BY customer_id"
    )[0] == ("acked_then_crashed", CRASHED_RUN)
    assert harness.query("SELECT count(*) FROM cio_sync.profile_acks") == [(0,)]
    assert harness.query("SELECT count(*) FROM cio_sync.customer_state_plan") == [(0,)]


def test_event_acks_of_a_crashed_send_are_folded_before_the_next_send(
    harness: SyncHarness,
) -> None:
    harness.put_events(
        [
            event_row("order:acked", "c1", ORDER_PLACED, OCCURRED, order_id=1),
            event_row("order:pending", "c2", ORDER_PLACED, OCCURRED, order_id=2),
        ]
    )
    plan, send = EVENTS_SYNC_KEYS
    harness.run([plan], OCCURRED.date())
    with harness.warehouse.session() as session:
        ledger.log_event_acks(
            session,
            EVENTS,
            ["order:acked"],
            ["01JBKJ1G0000000000000000AC"],
            None,
            run_id=CRASHED_RUN,
            now=dt.datetime.now(dt.UTC),
        )

    # The send alone (no new plan) must fold the log before it reads what to send.
    harness.run([send], OCCURRED.date())

    assert [event["person_id"] for event in harness.sandbox.events()] == ["c2"]
    assert harness.query(
        "SELECT event_key, customer_id, sent_name, disposition, run_id = 'crashed-run'"
        " FROM cio_sync.event_ledger ORDER BY event_key"
    ) == [
        ("order:acked", "c1", ORDER_PLACED, "sent", True),
        ("order:pending", "c2", ORDER_PLACED, "sent", False),
    ]
    assert harness.query("SELECT count(*) FROM cio_sync.event_acks") == [(0,)]
