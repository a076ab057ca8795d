"""The shared-email check: customers of one day whose emails are one address to Customer.io."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from asset_checks import names
from asset_checks.factory import FAILED_RULES, RULES, SAMPLE_PREFIX
from tests.metadata_tables import as_text

DAY = dt.date(2025, 3, 10)
RULE = names.EMAIL_SHARED_BY_CUSTOMERS


def test_emails_differing_in_case_and_whitespace_are_one_address(tables, state):
    tables.add_state(
        state("cust_ann_1", email="Ann@Example.com"),
        state("cust_ann_2", email=" ann@example.com\t"),
        state("cust_ann_3", email="an n@example.COM\n"),
        state("cust_bob_1", email="bob@shop.test"),
        state("cust_bob_2", email="BOB@shop.test"),
    )

    verdict = tables.check(names.STATE_SHARED_EMAIL)

    assert not verdict.passed
    assert verdict.severity == dg.AssetCheckSeverity.WARN
    assert verdict.failed_rules == [RULE]
    assert verdict.failing_rows == 2
    sample = verdict.sample(RULE)
    assert "| 2025-03-10 | a***@example.com | 3 | cust_ann_1, cust_ann_2, cust_ann_3 |" in sample
    assert "| 2025-03-10 | b***@shop.test | 2 | cust_bob_1, cust_bob_2 |" in sample
    # The largest group first.
    assert sample.index("a***@example.com") < sample.index("b***@shop.test")


def test_no_raw_email_reaches_the_metadata(tables, state):
    tables.add_state(
        state("cust_x", email="secret.person@example.com"),
        state("cust_y", email="SECRET.person@example.com"),
        # No "@": only its first character is shown.
        state("cust_z1", email="not-an-address"),
        state("cust_z2", email="Not-An-Address"),
    )

    verdict = tables.check(names.STATE_SHARED_EMAIL)

    assert verdict.failing_rows == 2
    shown = " ".join(str(value.value) for value in verdict.result.metadata.values())
    shown += verdict.result.description or ""
    assert "secret" not in shown.lower()
    assert "not-an-address" not in shown.lower()
    assert "s***@example.com" in verdict.sample(RULE)
    assert "| n*** | 2 | cust_z1, cust_z2 |" in verdict.sample(RULE)


def test_missing_blank_and_other_days_emails_are_not_shared(tables, state):
    tables.add_state(
        state("cust_null_1", email=None),
        state("cust_null_2", email=None),
        state("cust_blank_1", email=" "),
        state("cust_blank_2", email="\t"),
        # The same address on two different days: one customer changed it, nobody shares it.
        state("cust_moved", as_of_date=DAY - dt.timedelta(days=1), email="cust_ok_1@example.com"),
    )

    verdict = tables.check(names.STATE_SHARED_EMAIL)

    assert verdict.passed
    assert verdict.result.metadata[FAILED_RULES].value == "none"
    assert f"| {RULE} | passed | 0 | 0 |" in as_text(verdict.result.metadata[RULES])
    assert not any(key.startswith(SAMPLE_PREFIX) for key in verdict.result.metadata)


def test_a_range_checks_each_day_on_its_own(tables, state):
    earlier = DAY - dt.timedelta(days=1)
    tables.add_state(
        state("cust_a", as_of_date=earlier, email="same@example.com"),
        state("cust_b", as_of_date=earlier, email="same@example.com "),
        state("cust_a", email="same@example.com"),
    )

    verdict = tables.check(names.STATE_SHARED_EMAIL, first_day=earlier, last_day=DAY)

    assert verdict.failing_rows == 1
    assert "| 2025-03-09 | s***@example.com | 2 | cust_a, cust_b |" in verdict.sample(RULE)
