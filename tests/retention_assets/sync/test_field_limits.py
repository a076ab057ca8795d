"""Rows the warehouse serialises are still held to Customer.io's field limits, in bytes.

The sync builds entries as JSON text in SQL and flags any row that might break a field
limit; the client then checks that row itself. An identifier of 76 two-byte characters
(152 bytes) is short in characters and too long in bytes: it must be caught.
"""

from __future__ import annotations

import datetime as dt

import pytest

from resources.customerio import Reason
from resources.customerio.limits import IDENTIFIER_MAX_BYTES
from tests.retention_assets.sync.harness import (
    AS_OF,
    EVENTS_SYNC_KEYS,
    STATE_SYNC,
    SyncHarness,
    event_row,
    state_row,
)
from tests.shop_events import ORDER_PLACED

WIDE_ID = "é" * 76
OCCURRED = dt.datetime.combine(AS_OF, dt.time(9), dt.UTC)


def _open_rejections(harness: SyncHarness) -> list[tuple]:
    return harness.query(
        "SELECT stream, row_key, reason FROM cio_sync.rejected_rows"
        " WHERE resolved_at IS NULL ORDER BY stream, row_key"
    )


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_identifier_too_long_in_bytes_is_rejected_and_the_rest_sent(
    harness: SyncHarness,
) -> None:
    assert len(WIDE_ID) < IDENTIFIER_MAX_BYTES < len(WIDE_ID.encode())
    harness.put_state([state_row("c1"), state_row(WIDE_ID)])
    harness.put_events(
        [
            event_row("order:1", "c1", ORDER_PLACED, OCCURRED, order_id=1),
            event_row("order:2", WIDE_ID, ORDER_PLACED, OCCURRED, order_id=2),
        ]
    )

    harness.run([*STATE_SYNC, *EVENTS_SYNC_KEYS])

    assert sorted(harness.sandbox.people()) == ["c1"]
    assert [event["person_id"] for event in harness.sandbox.events()] == ["c1"]
    assert _open_rejections(harness) == [
        ("customer_state", WIDE_ID, Reason.IDENTIFIER_TOO_LONG),
        ("events", "order:2", Reason.IDENTIFIER_TOO_LONG),
    ]
