"""Every check on retention_customer_state, on a clean dataset and on the case it must catch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg

from asset_checks import names
from asset_checks.factory import PARTITIONS
from retention_assets.attributes import SYNC_MAPPING

UTC = dt.UTC
DAY = dt.date(2025, 3, 10)
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def test_clean_state_passes_every_check(tables):
    for name in (
        names.STATE_ONE_ROW_PER_CUSTOMER,
        names.STATE_TIMESTAMPS_UTC,
        names.STATE_ALLOWED_VALUES,
        names.STATE_CUSTOMERIO_LIMITS,
        names.STATE_ATTRIBUTE_OWNERSHIP,
        names.STATE_ATTRIBUTE_FLAPPING,
    ):
        verdict = tables.check(name)
        assert verdict.passed, (name, verdict.result.description)
        assert verdict.failing_rows == 0
        assert verdict.result.metadata[PARTITIONS].value == DAY.isoformat()


def test_duplicate_customer_fails_one_row_per_customer(tables, state):
    tables.add_state(state("cust_duplicate"), state("cust_duplicate", email="second@example.com"))
    # The same customer on another day is not a duplicate.
    tables.add_state(state("cust_ok_1", as_of_date=DAY - dt.timedelta(days=1)))

    verdict = tables.check(names.STATE_ONE_ROW_PER_CUSTOMER)

    assert not verdict.passed
    assert verdict.severity == ERROR
    assert verdict.failed_rules == [names.DUPLICATE_CUSTOMER_PER_DAY]
    assert verdict.failing_rows == 2
    sample = verdict.sample(names.DUPLICATE_CUSTOMER_PER_DAY)
    assert sample.count("cust_duplicate") == 2
    assert "multiple_fields_uniqueness(as_of_date, customer_id)" in sample
    # rule, result, failing rows, rows shown
    assert f"| {names.DUPLICATE_CUSTOMER_PER_DAY} | failed | 2 | 2 |" in verdict.rules()


def test_null_and_blank_customer_id_fail_one_row_per_customer(tables, state):
    tables.add_state(
        state(None, email="no-id@example.com"), state("   ", email="blank@example.com")
    )

    verdict = tables.check(names.STATE_ONE_ROW_PER_CUSTOMER)

    assert not verdict.passed
    assert verdict.failed_rules == [names.MISSING_CUSTOMER_ID]
    assert verdict.failing_rows == 2
    sample = verdict.sample(names.MISSING_CUSTOMER_ID)
    # The rows are told apart by their email, masked (retention_assets.privacy).
    assert "n***@example.com" in sample and "not_nullable(customer_id)" in sample
    assert "b***@example.com" in sample and "not_blank(customer_id)" in sample
    assert "no-id@" not in sample and "blank@" not in sample


def test_naive_timestamp_column_fails_timestamps_utc(make_tables, state, naive_type):
    tables = make_tables(last_order_at="TIMESTAMP")
    tables.add_state(state("cust_naive", last_order_at=dt.datetime(2025, 3, 1, 9)))

    verdict = tables.check(names.STATE_TIMESTAMPS_UTC)

    assert not verdict.passed
    assert verdict.severity == ERROR
    assert verdict.failed_rules == [names.NAIVE_TIMESTAMP_COLUMN, names.TIMESTAMP_DTYPE_NOT_UTC]
    naive = verdict.sample(names.NAIVE_TIMESTAMP_COLUMN)
    assert f"| last_order_at | {naive_type} | TIMESTAMP WITH TIME ZONE |" in naive
    dtype = verdict.sample(names.TIMESTAMP_DTYPE_NOT_UTC)
    assert "| last_order_at | datetime64[us] | datetime64[us, UTC] |" in dtype


def test_future_timestamp_fails_timestamps_utc(tables, state):
    # An hour after the end of its as-of day: data from the future leaked into the partition.
    late = dt.datetime(2025, 3, 11, 1, 0, tzinfo=UTC)
    tables.add_state(state("cust_future", last_activity_at=late))

    verdict = tables.check(names.STATE_TIMESTAMPS_UTC)

    assert not verdict.passed
    assert verdict.failed_rules == [names.FUTURE_TIMESTAMP]
    assert verdict.failing_rows == 1
    sample = verdict.sample(names.FUTURE_TIMESTAMP)
    assert "cust_future" in sample and "2025-03-11T01:00:00+00:00" in sample


def test_timestamps_within_skew_and_predictions_pass(tables, state):
    within_skew = dt.datetime(2025, 3, 11, 0, 4, tzinfo=UTC)
    prediction = dt.datetime(2025, 9, 1, tzinfo=UTC)
    tables.add_state(
        state("cust_edge", last_activity_at=within_skew, predicted_next_purchase_at=prediction)
    )

    assert tables.check(names.STATE_TIMESTAMPS_UTC).passed


def test_disallowed_and_missing_values_fail_allowed_values(tables, state):
    tables.add_state(
        state("cust_platinum", vip_tier="platinum", is_vip=True),
        state("cust_no_flag", needs_replenishment=None),
        state("cust_negative", lifetime_orders=-1),
    )

    verdict = tables.check(names.STATE_ALLOWED_VALUES)

    assert not verdict.passed
    assert verdict.severity == ERROR
    assert verdict.failed_rules == [
        names.below_minimum_rule("lifetime_orders"),
        names.null_rule("needs_replenishment"),
        names.not_allowed_rule("vip_tier"),
    ]
    sample = verdict.sample(names.not_allowed_rule("vip_tier"))
    assert "cust_platinum" in sample and "platinum" in sample
    assert "isin(('gold', 'silver', 'none'))(vip_tier)" in sample
    assert "cust_no_flag" in verdict.sample(names.null_rule("needs_replenishment"))


def test_oversize_values_warn_on_customerio_limits(tables, state):
    long_id = "c" * 151
    tables.add_state(state("cust_long_category", top_category="x" * 1001), state(long_id))

    verdict = tables.check(names.STATE_CUSTOMERIO_LIMITS)

    assert not verdict.passed
    assert verdict.severity == WARN
    assert verdict.failed_rules == [names.CUSTOMER_ID_TOO_LONG, names.ATTRIBUTE_VALUE_TOO_LONG]
    values = verdict.sample(names.ATTRIBUTE_VALUE_TOO_LONG)
    assert "| cust_long_category | 2025-03-10 | top_category | 1001 |" in values
    assert "x" * 100 not in values  # the value itself stays out of the UI
    assert "| 151 |" in verdict.sample(names.CUSTOMER_ID_TOO_LONG)


def test_mapping_beyond_name_and_count_limits_warns(tables):
    mapping = {**SYNC_MAPPING, "email": "e" * 151}
    mapping.update({f"extra_{index}": f"extra_{index}" for index in range(300)})

    verdict = tables.check(names.STATE_CUSTOMERIO_LIMITS, sync_mapping=mapping)

    assert verdict.failed_rules == [names.ATTRIBUTE_NAME_TOO_LONG, names.TOO_MANY_ATTRIBUTES]
    assert "| email | " + "e" * 60 in verdict.sample(names.ATTRIBUTE_NAME_TOO_LONG)
    assert "| 324 | 300 |" in verdict.sample(names.TOO_MANY_ATTRIBUTES)


def test_foreign_owned_attribute_fails_ownership(tables):
    # last_seen is written by real-time tracking; the pipeline must not overwrite it.
    mapping = {**SYNC_MAPPING, "last_activity_at": "last_seen"}

    verdict = tables.check(names.STATE_ATTRIBUTE_OWNERSHIP, sync_mapping=mapping)

    assert not verdict.passed
    assert verdict.severity == ERROR
    assert verdict.failed_rules == [names.ATTRIBUTE_NOT_OWNED]
    assert verdict.failing_rows == 1
    sample = verdict.sample(names.ATTRIBUTE_NOT_OWNED)
    assert "| last_activity_at | last_seen | owned by realtime_tracking |" in sample


def test_undeclared_attribute_and_missing_column_fail_ownership(tables):
    mapping = {**SYNC_MAPPING, "churn_score": "churn_score"}

    verdict = tables.check(names.STATE_ATTRIBUTE_OWNERSHIP, sync_mapping=mapping)

    assert verdict.failed_rules == [names.ATTRIBUTE_NOT_OWNED, names.MAPPED_COLUMN_MISSING]
    assert "not declared in the attribute registry" in verdict.sample(names.ATTRIBUTE_NOT_OWNED)
    assert "| churn_score | churn_score |" in verdict.sample(names.MAPPED_COLUMN_MISSING)


def test_flapping_customer_warns(tables, state):
    days = [DAY - dt.timedelta(days=offset) for offset in range(5, -1, -1)]
    tables.add_state(
        # A model bug or two sources disagreeing: the tier alternates day after day.
        *(
            state("cust_flapping", as_of_date=day, vip_tier=tier, is_vip=True)
            for day, tier in zip(days, ["gold", "silver"] * 3, strict=True)
        ),
        # A -> B -> B -> A is a return too, even with a repeated value in between.
        *(
            state("cust_slow_flapping", as_of_date=day, subscription_status=status)
            for day, status in zip(
                days, ["active", "paused", "paused", "active", "paused", "active"], strict=True
            )
        ),
        # A -> B -> C changes without returning.
        *(
            state("cust_upgrading", as_of_date=day, vip_tier=tier, is_vip=tier != "none")
            for day, tier in zip(days[:3], ["none", "silver", "gold"], strict=True)
        ),
    )

    verdict = tables.check(names.STATE_ATTRIBUTE_FLAPPING)

    assert not verdict.passed
    assert verdict.severity == WARN
    assert verdict.failed_rules == [names.FLAPPING_ATTRIBUTE]
    assert verdict.failing_rows == 2
    sample = verdict.sample(names.FLAPPING_ATTRIBUTE)
    history = " -> ".join(["gold", "silver"] * 3)
    assert f"| cust_flapping | vip_tier | 5 | {history} |" in sample
    slow = "active -> paused -> active -> paused -> active"
    assert f"| cust_slow_flapping | subscription_status | 4 | {slow} |" in sample
    assert "cust_upgrading" not in sample


def test_a_pause_and_resume_or_a_refund_is_not_flapping(tables, state):
    days = [DAY - dt.timedelta(days=offset) for offset in range(4, -1, -1)]
    tables.add_state(
        # Paused, resumed, paused again: two returns, a customer's own decisions.
        *(
            state("cust_paused_twice", as_of_date=day, subscription_status=status)
            for day, status in zip(
                days, ["active", "paused", "active", "paused", "paused"], strict=True
            )
        ),
        # An order and its refund, then another order: revenue and tier go back and forth.
        *(
            state(
                "cust_refunded",
                as_of_date=day,
                lifetime_revenue=Decimal(revenue),
                vip_tier=tier,
                is_vip=tier != "none",
            )
            for day, revenue, tier in zip(
                days,
                ["120.50", "900.00", "120.50", "900.00", "900.00"],
                ["none", "gold", "none", "gold", "gold"],
                strict=True,
            )
        ),
    )

    assert tables.check(names.STATE_ATTRIBUTE_FLAPPING).passed


def test_flapping_outside_the_window_is_ignored(tables, state):
    old_days = [DAY - dt.timedelta(days=offset) for offset in range(15, 9, -1)]
    tables.add_state(
        *(
            state("cust_flapped_long_ago", as_of_date=day, vip_tier=tier, is_vip=True)
            for day, tier in zip(old_days, ["gold", "silver"] * 3, strict=True)
        )
    )

    assert tables.check(names.STATE_ATTRIBUTE_FLAPPING).passed
