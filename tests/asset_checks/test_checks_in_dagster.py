"""The checks as Dagster runs them: blocking, partition scope, freshness, exported definitions.

Model-shaped stand-in assets (same keys and partitions as the real models, no work) sit
between the rows a test writes and the checks, and a stand-in for the cio_sync assets shows
whether a failed check stopped the run before anything would be sent.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from asset_checks import MODEL_CHECKS, build_model_checks, names
from asset_checks.factory import FAILING_ROWS, LATEST_PARTITION, PARTITIONS, PARTITIONS_SOURCE
from asset_checks.model_checks import DUE_PARTITION, due_partition
from retention_assets.partitions import DAILY_PARTITIONS, SINGLE_RUN_BACKFILL

UTC = dt.UTC
DAY = dt.date(2025, 3, 10)
NOW = dt.datetime(2025, 3, 12, 12, 0, tzinfo=UTC)
SYNC_STEP = "cio_sync_stand_in"


@dg.asset(
    key=names.CUSTOMER_STATE_ASSET,
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
)
def customer_state_stand_in() -> None:
    """Stands in for the model: the test has written the partition's rows already."""


@dg.asset(
    key=names.EVENTS_ASSET, partitions_def=DAILY_PARTITIONS, backfill_policy=SINGLE_RUN_BACKFILL
)
def events_stand_in() -> None:
    """Stands in for the model: the test has written the partition's rows already."""


@dg.asset(
    name=SYNC_STEP,
    deps=[customer_state_stand_in, events_stand_in],
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
)
def cio_sync_stand_in() -> None:
    """Stands in for the cio_sync assets: running at all means data would reach Customer.io."""


def checks() -> list[dg.AssetChecksDefinition]:
    return build_model_checks(clock=lambda: NOW)


def run(
    tables,
    *,
    partition: str | None = None,
    tags: dict[str, str] | None = None,
    selection: dg.AssetSelection | None = None,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [customer_state_stand_in, events_stand_in, cio_sync_stand_in, *checks()],
        partition_key=partition,
        tags=tags,
        selection=selection,
        resources={"warehouse": tables.warehouse},
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def started_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.step_key for event in result.all_events if event.event_type_value == "STEP_START"}


def evaluation(
    result: dg.ExecuteInProcessResult, name: str, asset: dg.AssetKey = names.CUSTOMER_STATE_ASSET
) -> dg.AssetCheckEvaluation:
    (found,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == name and e.asset_key == asset
    ]
    return found


def test_model_checks_declare_severity_and_blocking():
    specs = {(spec.asset_key, spec.name): spec for d in MODEL_CHECKS for spec in d.check_specs}
    # What the specs' checks guarantee (asset_checks.spec_checks) is not checked again here.
    blocking = {
        names.STATE_TIMESTAMPS_UTC,
        names.STATE_ALLOWED_VALUES,
        names.EVENTS_TIMESTAMPS_UTC,
    }
    warning = {names.STATE_ATTRIBUTE_FLAPPING, names.STATE_SHARED_EMAIL}
    assert {name for _, name in specs} == blocking | warning | {names.FRESHNESS}
    for (_, name), spec in specs.items():
        assert spec.blocking == (name in blocking), name
        if name in blocking | warning:
            assert spec.metadata["severity"] == ("ERROR" if name in blocking else "WARN")
    assert (names.CUSTOMER_STATE_ASSET, names.FRESHNESS) in specs
    assert (names.EVENTS_ASSET, names.FRESHNESS) in specs


def test_blocking_failure_stops_the_sync_in_the_same_run(tables, state):
    tables.add_state(state("cust_platinum", vip_tier="platinum"), state("cust_x", vip_tier="x"))

    result = run(tables, partition=DAY.isoformat())

    assert not result.success
    failed = evaluation(result, names.STATE_ALLOWED_VALUES)
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert failed.metadata[FAILING_ROWS].value == 2
    assert SYNC_STEP not in started_steps(result)


def test_warnings_do_not_stop_the_sync(tables, state):
    tables.add_state(state("cust_household", email="cust_ok_1@example.com"))

    result = run(tables, partition=DAY.isoformat())

    assert result.success
    assert not evaluation(result, names.STATE_SHARED_EMAIL).passed
    # DAY is long past its freshness deadline for the real clock; a warning too.
    assert not evaluation(result, names.FRESHNESS).passed
    assert all(
        e.passed for e in result.get_asset_check_evaluations() if e.severity.value == "ERROR"
    )
    assert SYNC_STEP in started_steps(result)


def test_range_backfill_validates_every_day_of_the_range(tables, state):
    first = DAY - dt.timedelta(days=2)
    tables.add_state(state("cust_platinum", as_of_date=first, vip_tier="platinum"))

    result = run(
        tables,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": DAY.isoformat(),
        },
    )

    failed = evaluation(result, names.STATE_ALLOWED_VALUES)
    assert not failed.passed
    assert failed.metadata[PARTITIONS].value == "2025-03-08..2025-03-10"
    assert SYNC_STEP not in started_steps(result)


def test_check_run_alone_validates_the_latest_partition(tables, state):
    # An old day is broken, the latest one is clean: the latest is what the UI re-run checks.
    old = DAY - dt.timedelta(days=1)
    tables.add_state(state("cust_platinum", as_of_date=old, vip_tier="platinum"))
    allowed = dg.AssetCheckKey(names.CUSTOMER_STATE_ASSET, names.STATE_ALLOWED_VALUES)

    result = run(tables, selection=dg.AssetSelection.checks(allowed))
    clean = evaluation(result, names.STATE_ALLOWED_VALUES)

    assert clean.passed
    assert clean.metadata[PARTITIONS].value == DAY.isoformat()
    assert clean.metadata[PARTITIONS_SOURCE].value == LATEST_PARTITION

    tables.add_state(
        state("cust_late", as_of_date=DAY + dt.timedelta(days=1)),
        state("cust_gold", vip_tier="golden"),
    )
    result = run(tables, selection=dg.AssetSelection.checks(allowed))
    # The newest day (DAY + 1) is now the latest and is clean; DAY's bad tier is not looked at.
    assert evaluation(result, names.STATE_ALLOWED_VALUES).passed


def test_freshness_expects_the_last_complete_day_not_todays_filling_one(tables):
    # NOW is 2025-03-12 12:00 UTC: 2025-03-11 was due at 06:00; 2025-03-12 is still filling.
    instance = dg.DagsterInstance.ephemeral()
    freshness = dg.AssetCheckKey(names.CUSTOMER_STATE_ASSET, names.FRESHNESS)
    only_the_model = dg.AssetSelection.assets(customer_state_stand_in)
    run(tables, partition=DAY.isoformat(), selection=only_the_model, instance=instance)

    stale = evaluation(
        run(tables, selection=dg.AssetSelection.checks(freshness), instance=instance),
        names.FRESHNESS,
    )
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
    assert stale.description == (
        "Partition 2025-03-11 was due by 2025-03-12 06:00 UTC and has not been materialised."
    )

    # The daily run materialises the closed day only; today's partition is not there.
    run(tables, partition="2025-03-11", selection=only_the_model, instance=instance)
    fresh = evaluation(
        run(tables, selection=dg.AssetSelection.checks(freshness), instance=instance),
        names.FRESHNESS,
    )
    assert fresh.passed
    assert fresh.metadata[DUE_PARTITION].value == "2025-03-11"


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (dt.datetime(2025, 3, 12, 5, 59, tzinfo=UTC), dt.date(2025, 3, 10)),
        (dt.datetime(2025, 3, 12, 6, 0, tzinfo=UTC), dt.date(2025, 3, 11)),
        (dt.datetime(2025, 3, 12, 23, 59, tzinfo=UTC), dt.date(2025, 3, 11)),
        # A clock in another zone is read in UTC.
        (
            dt.datetime(2025, 3, 12, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            dt.date(2025, 3, 11),
        ),
    ],
)
def test_the_due_partition_is_the_day_before_the_latest_deadline(now, due):
    assert due_partition(now) == due
