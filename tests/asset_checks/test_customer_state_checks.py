"""The model's own checks on retention_customer_state, clean and on the case each must catch.

The checks its profile spec gives it (one id per customer per day, timestamps, limits) are
tested in ``test_spec_checks.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg

from asset_checks import names
from asset_checks.factory import PARTITIONS

UTC = dt.UTC
DAY = dt.date(2025, 3, 10)
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def test_clean_state_passes_every_check(tables):
    for name in (
        names.STATE_TIMESTAMPS_UTC,
        names.STATE_ALLOWED_VALUES,
        names.STATE_ATTRIBUTE_FLAPPING,
        names.STATE_SHARED_EMAIL,
    ):
        verdict = tables.check(name)
        assert verdict.passed, (name, verdict.result.description)
        assert verdict.failing_rows == 0
        assert verdict.result.metadata[PARTITIONS].value == DAY.isoformat()


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
