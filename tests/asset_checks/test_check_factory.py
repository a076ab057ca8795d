"""The check factory on its own: bounded samples, readable metadata, guarded definitions."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from asset_checks import FunctionRule, PartitionedTable, SqlRule, WarehouseCheck, names
from asset_checks.factory import (
    DEFAULT_SAMPLE_ROWS,
    FAILED_RULES,
    FAILING_ROWS,
    PARTITIONS,
    RULES,
    SAMPLE_PREFIX,
    Findings,
    Scope,
    bind,
    build_asset_check,
)
from tests.metadata_tables import as_text

DAY = dt.date(2025, 3, 10)
SCOPE = Scope(DAY, DAY, "test")
THINGS = PartitionedTable("scratch.things", "day")
NEGATIVE_AMOUNT = SqlRule(
    name="negative_amount",
    description="Amounts below zero.",
    sql="SELECT id, day, amount FROM scratch.things"
    " WHERE day BETWEEN $first_day AND $last_day AND amount < $minimum",
    order_by="id",
    params={"minimum": 0},
)


@pytest.fixture
def things(make_tables):
    """A table of another shape, as a sync check (volume guard, drift) would read."""
    warehouse = make_tables().warehouse
    with warehouse.session() as session:
        session.execute("CREATE SCHEMA scratch")
        session.execute("CREATE TABLE scratch.things (id INTEGER, day DATE, amount INTEGER)")
        ids = list(range(40))
        session.insert_arrow(
            "scratch.things",
            pa.table(
                {
                    "id": ids,
                    "day": [DAY] * len(ids),
                    "amount": [-i if i % 2 == 0 else i for i in ids],
                }
            ),
        )
    return warehouse


def evaluate(warehouse, check: WarehouseCheck, scope: Scope | None = SCOPE) -> dg.AssetCheckResult:
    with warehouse.session() as session:
        return check.result(check.evaluate(session, scope))


def test_a_reused_factory_counts_everything_and_samples_a_bounded_few(things):
    check = WarehouseCheck(
        name="things_are_positive",
        asset=dg.AssetKey("things"),
        description="Amounts are positive.",
        rules=[NEGATIVE_AMOUNT],
        partitions=THINGS,
    )

    result = evaluate(things, check)

    assert not result.passed
    assert result.metadata[FAILING_ROWS].value == 19  # 2, 4, ... 38
    assert result.metadata[FAILED_RULES].value == "negative_amount"
    assert result.metadata[PARTITIONS].value == "2025-03-10"
    sample = as_text(result.metadata[f"{SAMPLE_PREFIX}negative_amount"])
    assert sample.count("| 2025-03-10 |") == DEFAULT_SAMPLE_ROWS
    rules = as_text(result.metadata[RULES])
    assert (
        f"| negative_amount | failed | 19 | {DEFAULT_SAMPLE_ROWS} | Amounts below zero. |" in rules
    )
    assert result.description == (
        "19 failing rows in partition 2025-03-10: negative_amount (19). "
        "See the sample of each failed rule below."
    )


def test_rules_that_read_partitions_are_not_run_without_one(things):
    static = FunctionRule(
        "static", "Always fine.", lambda session, params: Findings(0, pd.DataFrame())
    )
    check = WarehouseCheck(
        name="things_are_positive",
        asset=dg.AssetKey("things"),
        description="Amounts are positive.",
        rules=[NEGATIVE_AMOUNT, static],
        partitions=THINGS,
    )

    result = evaluate(things, check, scope=None)

    assert result.passed
    assert result.metadata[PARTITIONS].value == "none"
    rules = as_text(result.metadata[RULES])
    assert (
        "| negative_amount | not run | 0 | 0 |" in rules and "| static | passed | 0 | 0 |" in rules
    )


def test_a_blocking_check_must_be_an_error():
    with pytest.raises(ValueError, match="only ERROR checks can block"):
        WarehouseCheck(
            name="x",
            asset=dg.AssetKey("things"),
            description="",
            rules=[],
            severity=dg.AssetCheckSeverity.WARN,
            blocking=True,
        )


def test_rule_names_are_unique_and_partition_rules_need_a_table():
    with pytest.raises(ValueError, match="unique"):
        WarehouseCheck("x", dg.AssetKey("t"), "", [NEGATIVE_AMOUNT, NEGATIVE_AMOUNT], THINGS)
    with pytest.raises(ValueError, match="need `partitions`"):
        WarehouseCheck("x", dg.AssetKey("t"), "", [NEGATIVE_AMOUNT])


def test_build_asset_check_makes_a_standalone_check_with_its_rules_documented():
    check = WarehouseCheck(
        "things_are_positive", dg.AssetKey("things"), "Positive.", [NEGATIVE_AMOUNT], THINGS
    )

    (spec,) = build_asset_check(check).check_specs

    assert spec.name == "things_are_positive" and spec.blocking
    assert spec.description == "Positive."
    assert "| negative_amount | Amounts below zero. |" in as_text(spec.metadata[RULES])


def test_bind_passes_only_the_parameters_a_query_uses():
    assert bind("SELECT $a, $a + $b", {"a": 1, "b": 2, "c": 3}) == {"a": 1, "b": 2}
    with pytest.raises(KeyError, match="without a value"):
        bind("SELECT $missing", {})


# A rule whose sample carries emails: in a column named for them, and inside other text (where
# only text shaped like an email can be recognised).
MIXED_CASE_EMAIL = SqlRule(
    name="mixed_case_email",
    description="Emails not in lower case.",
    sql="SELECT customer_id, email,"
    " CASE WHEN email LIKE '%@%' THEN 'was ' || email || ' before' END AS note"
    " FROM retention.customer_state"
    " WHERE as_of_date BETWEEN $first_day AND $last_day AND email <> lower(email)",
    order_by="customer_id",
)
EMAIL_CHECK = WarehouseCheck(
    name="emails_are_lower_case",
    asset=names.CUSTOMER_STATE_ASSET,
    description="Emails are lower case.",
    rules=[MIXED_CASE_EMAIL],
    partitions=PartitionedTable("retention.customer_state", "as_of_date"),
)


def _email_sample(tables, state) -> str:
    tables.add_state(
        state("cust_upper", email="Jane.Doe@Example.com"),
        # Dirty: no @ at all, still personal data in the email column.
        state("cust_dirty", email="Jane Doe AT example"),
    )
    result = evaluate(tables.warehouse, EMAIL_CHECK)
    return as_text(result.metadata[f"{SAMPLE_PREFIX}mixed_case_email"])


def test_sampled_emails_are_masked_in_the_check_metadata(tables, state, monkeypatch):
    monkeypatch.delenv("RETENTION_FULL_SAMPLES", raising=False)

    sample = _email_sample(tables, state)

    assert "| cust_upper | J***@Example.com | was J***@Example.com before |" in sample
    assert "| cust_dirty | J*** | null |" in sample
    assert "jane" not in sample.lower() and "Doe" not in sample


def test_full_samples_show_sampled_emails_whole_for_debugging(tables, state, monkeypatch):
    monkeypatch.setenv("RETENTION_FULL_SAMPLES", "true")

    sample = _email_sample(tables, state)

    assert "| cust_upper | Jane.Doe@Example.com | was Jane.Doe@Example.com before |" in sample
