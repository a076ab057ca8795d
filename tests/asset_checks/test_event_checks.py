"""Every check on retention_events, on a clean dataset and on the case it must catch."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from asset_checks import names
from asset_checks.vocabulary_drift import (
    SAME_BUT_FORMATTING,
    SAME_WORDS_REORDERED,
    VISIBLE_SPACE,
    resemblance,
)

UTC = dt.UTC
DAY = dt.date(2025, 3, 10)
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def test_clean_events_pass_every_check(tables):
    for name in (
        names.EVENTS_UNIQUE_KEY,
        names.EVENTS_TIMESTAMPS_UTC,
        names.EVENTS_VOCABULARY,
        names.EVENTS_CUSTOMERIO_LIMITS,
    ):
        verdict = tables.check(name)
        assert verdict.passed, (name, verdict.result.description)


def test_duplicate_event_key_across_partitions_fails_unique_key(tables, event):
    # The same order again, on another day: a rebuild moved it without deleting the old copy.
    tables.add_events(event("order:1001", event_date=DAY - dt.timedelta(days=1)))

    verdict = tables.check(names.EVENTS_UNIQUE_KEY)

    assert not verdict.passed
    assert verdict.severity == ERROR
    assert verdict.failed_rules == [names.DUPLICATE_EVENT_KEY]
    assert verdict.failing_rows == 2
    sample = verdict.sample(names.DUPLICATE_EVENT_KEY)
    assert "| order:1001 | 2025-03-09 |" in sample and "| order:1001 | 2025-03-10 |" in sample


def test_missing_event_key_fails_unique_key(tables, event):
    tables.add_events(event(None, customer_id="cust_keyless"))

    verdict = tables.check(names.EVENTS_UNIQUE_KEY)

    assert verdict.failed_rules == [names.MISSING_EVENT_KEY]
    sample = verdict.sample(names.MISSING_EVENT_KEY)
    assert "cust_keyless" in sample and "not_nullable(event_key)" in sample


def test_missing_occurred_at_fails_timestamps_utc(tables, event):
    tables.add_events(event("order:no_time", occurred_at=None))

    verdict = tables.check(names.EVENTS_TIMESTAMPS_UTC)

    assert not verdict.passed
    assert verdict.severity == ERROR
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


def test_future_occurred_at_fails_timestamps_utc(tables, event):
    # The checks' clock is 2025-03-12 12:00 UTC; one hour later is beyond the 5 minute skew.
    future = dt.datetime(2025, 3, 12, 13, 0, tzinfo=UTC)
    within_skew = dt.datetime(2025, 3, 12, 12, 3, tzinfo=UTC)
    tables.add_events(
        event("order:future", event_date=future.date(), occurred_at=future, loaded_at=future),
        event(
            "order:clock_skew",
            event_date=within_skew.date(),
            occurred_at=within_skew,
            loaded_at=within_skew,
        ),
    )

    verdict = tables.check(names.EVENTS_TIMESTAMPS_UTC, last_day=future.date())

    assert verdict.failed_rules == [names.FUTURE_TIMESTAMP]
    assert verdict.failing_rows == 1
    assert "order:future" in verdict.sample(names.FUTURE_TIMESTAMP)


def test_event_date_in_another_zone_fails_timestamps_utc(tables, event):
    # 02:00 UTC on the 11th is the 10th in New York: the partition was computed in local time.
    tables.add_events(
        event("order:local_day", occurred_at=dt.datetime(2025, 3, 11, 2, 0, tzinfo=UTC))
    )

    verdict = tables.check(names.EVENTS_TIMESTAMPS_UTC)

    assert verdict.failed_rules == [names.EVENT_DATE_NOT_OCCURRED_AT_DAY]
    assert "order:local_day" in verdict.sample(names.EVENT_DATE_NOT_OCCURRED_AT_DAY)


def test_unknown_event_name_fails_vocabulary(tables, event):
    tables.add_events(
        event("page:1", event_name="Page Viewed"),
        event("page:2", event_name="Page Viewed"),
        event("nameless:1", event_name=None),
    )

    verdict = tables.check(names.EVENTS_VOCABULARY)

    assert not verdict.passed
    assert verdict.severity == ERROR
    assert verdict.failed_rules == [names.UNKNOWN_EVENT_NAME]
    assert verdict.failing_rows == 3
    sample = verdict.sample(names.UNKNOWN_EVENT_NAME)
    assert "| Page Viewed | 2 | page:1 |" in sample
    assert "| null | 1 | nameless:1 |" in sample


def test_near_duplicate_event_names_fail_vocabulary_naming_the_vocabulary_name(tables, event):
    tables.add_events(
        event("order:2001", event_name="order placed"),
        event("order:2002", event_name="Order  Placed"),
        event("order:2003", event_name="Placed Order"),
        event("sub:1", event_name="Subscription Canceled"),
    )

    verdict = tables.check(names.EVENTS_VOCABULARY)

    assert verdict.failed_rules == [names.NEAR_DUPLICATE_EVENT_NAME]
    assert verdict.failing_rows == 4
    sample = verdict.sample(names.NEAR_DUPLICATE_EVENT_NAME)
    assert f"| order placed | Order Placed | {SAME_BUT_FORMATTING} |" in sample
    assert f"| Order{VISIBLE_SPACE * 2}Placed | Order Placed | {SAME_BUT_FORMATTING} |" in sample
    assert f"| Placed Order | Order Placed | {SAME_WORDS_REORDERED} |" in sample
    assert "| Subscription Canceled | Subscription Cancelled | spelled 98% alike |" in sample


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


def test_oversize_events_warn_on_customerio_limits(tables, event):
    tables.add_events(
        event("order:long_name", event_name="O" * 101),
        event("order:big_payload", properties='{"note": "' + "x" * 32_000 + '"}'),
        event("order:long_id", customer_id="c" * 151),
        event("order:anonymous", customer_id=None),
    )

    verdict = tables.check(names.EVENTS_CUSTOMERIO_LIMITS)

    assert not verdict.passed
    assert verdict.severity == WARN
    assert verdict.failed_rules == [
        names.EVENT_WITHOUT_CUSTOMER_ID,
        names.CUSTOMER_ID_TOO_LONG,
        names.EVENT_NAME_TOO_LONG,
        names.PROPERTIES_TOO_LARGE,
    ]
    assert "| order:big_payload | 2025-03-10 | Order Placed | 32012 |" in verdict.sample(
        names.PROPERTIES_TOO_LARGE
    )
    assert "| 101 |" in verdict.sample(names.EVENT_NAME_TOO_LONG)
    assert "| order:long_id | 2025-03-10 | 151 |" in verdict.sample(names.CUSTOMER_ID_TOO_LONG)
    assert "order:anonymous" in verdict.sample(names.EVENT_WITHOUT_CUSTOMER_ID)
