"""The model's own checks on retention_events, clean and on the case each must catch.

The checks its event spec gives it (unique key, person id, timestamps, vocabulary and its
drift, limits) are tested in ``test_spec_checks.py``; the drift recogniser they use is here.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from asset_checks import names
from asset_checks.vocabulary_drift import resemblance

UTC = dt.UTC


def test_clean_events_pass_every_check(tables):
    verdict = tables.check(names.EVENTS_TIMESTAMPS_UTC)
    assert verdict.passed, verdict.result.description


def test_missing_occurred_at_fails_timestamps_utc(tables, event):
    # The sync's source view files it under no day: only the model's partition finds it.
    tables.add_events(event("order:no_time", occurred_at=None))

    verdict = tables.check(names.EVENTS_TIMESTAMPS_UTC)

    assert not verdict.passed
    assert verdict.severity == dg.AssetCheckSeverity.ERROR
    assert verdict.failed_rules == [names.MISSING_OCCURRED_AT]
    assert "not_nullable(occurred_at)" in verdict.sample(names.MISSING_OCCURRED_AT)


def test_naive_occurred_at_fails_timestamps_utc(make_tables, event, naive_type):
    tables = make_tables(occurred_at="TIMESTAMP")
    tables.add_events(event("order:naive", occurred_at=dt.datetime(2025, 3, 10, 14, 30)))

    verdict = tables.check(names.EVENTS_TIMESTAMPS_UTC)

    assert names.NAIVE_TIMESTAMP_COLUMN in verdict.failed_rules
    assert names.TIMESTAMP_DTYPE_NOT_UTC in verdict.failed_rules
    assert f"| occurred_at | {naive_type} |" in verdict.sample(names.NAIVE_TIMESTAMP_COLUMN)
    assert "| occurred_at | datetime64[us] |" in verdict.sample(names.TIMESTAMP_DTYPE_NOT_UTC)


def test_event_date_in_another_zone_fails_timestamps_utc(tables, event):
    # 02:00 UTC on the 11th is the 10th in New York: the partition was computed in local time.
    tables.add_events(
        event("order:local_day", occurred_at=dt.datetime(2025, 3, 11, 2, 0, tzinfo=UTC))
    )

    verdict = tables.check(names.EVENTS_TIMESTAMPS_UTC)

    assert verdict.failed_rules == [names.EVENT_DATE_NOT_OCCURRED_AT_DAY]
    assert "order:local_day" in verdict.sample(names.EVENT_DATE_NOT_OCCURRED_AT_DAY)


@pytest.mark.parametrize(
    ("name", "vocabulary", "expected"),
    [
        ("Checkout Abandoned", ("Abandoned Checkout",), "Abandoned Checkout"),
        ("order_placed", ("Order Placed",), "Order Placed"),
        ("OrderPlaced", ("Order Placed",), "Order Placed"),
        ("Order Refund", ("Order Placed", "Order Refunded"), "Order Refunded"),
        ("Support Ticket Closed", ("Support Ticket Opened",), None),
        ("Order Placed", ("Order Placed",), None),
    ],
)
def test_resemblance(name, vocabulary, expected):
    match = resemblance(name, vocabulary)
    assert (match.vocabulary_name if match else None) == expected
