"""The project loads as Dagster would load it, and its jobs and schedules resolve."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import dagster as dg
import pytest

from retention_assets.definitions import defs
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.settings import PROJECT_ROOT, SettingsError, load_settings
from retention_assets.shop import CUSTOMER_STATE, EVENTS


def test_definitions_are_loadable() -> None:
    dg.Definitions.validate_loadable(defs)


def test_loading_the_definitions_imports_neither_pandas_nor_pandera() -> None:
    """Every Dagster process loads the code location, and most run no Pandera check: pandas and
    Pandera (about 0.6 s to import) wait for a check to evaluate (issue 15)."""
    probe = (
        "import sys\n"
        "import dagster as dg\n"
        "import retention_assets.definitions\n"
        "dg.Definitions.validate_loadable(retention_assets.definitions.defs)\n"
        "print(*(name for name in ('pandas', 'pandera') if name in sys.modules))\n"
    )
    # A process of its own: this one has imported pandas already (the tests use it).
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


def test_asset_keys_groups_and_sources() -> None:
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    assert specs["retention_customer_state"].group_name == "retention"
    assert specs["retention_events"].group_name == "retention"
    assert specs["raw/customers"].group_name == "sources"
    for key in ("customer_state_plan", "customer_state", "events_plan", "events"):
        assert specs[f"cio_sync/{key}"].group_name == "cio_sync"


@pytest.mark.parametrize(
    "name",
    ["retention_sync_job", "retention_customer_state_sync_job", "retention_events_sync_job"],
)
def test_jobs_resolve_and_include_the_blocking_checks(name: str) -> None:
    job = defs.resolve_job_def(name)
    assert job.partitions_def is not None
    check_names = {key.name for key in job.asset_layer.asset_graph.asset_check_keys}
    assert "volume_guard" in check_names


def test_daily_schedule_targets_the_closed_day() -> None:
    tick = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )

    request = defs.get_schedule_def("customer_state_sync_schedule").evaluate_tick(context)
    assert len(request.run_requests) == 1
    request = request.run_requests[0]

    assert request.partition_key == "2026-11-28"


def test_hourly_events_schedule_resends_the_trailing_window() -> None:
    tick = dt.datetime(2026, 11, 29, 13, 15, tzinfo=dt.UTC)
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )

    result = defs.get_schedule_def("events_sync_schedule").evaluate_tick(context)
    request = result.run_requests[0]

    trailing = EVENTS.spec.cadence.trailing_days
    first = dt.date(2026, 11, 29) - dt.timedelta(days=trailing - 1)
    assert request.tags[RANGE_START_TAG] == first.isoformat()
    assert request.tags[RANGE_END_TAG] == "2026-11-29"


def test_each_declared_sync_has_its_schedule_on_its_cron() -> None:
    for stream in (CUSTOMER_STATE, EVENTS):
        schedule = defs.get_schedule_def(f"{stream.name}_sync_schedule")
        assert schedule.cron_schedule == stream.spec.cadence.cron


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RETENTION_WAREHOUSE", "bigquery", "RETENTION_WAREHOUSE must be one of"),
        ("RETENTION_PARTITIONS_START", "2025-13-01", "RETENTION_PARTITIONS_START must be a date"),
        ("RETENTION_SHOP_TIMEZONE", "Mars/Olympus", "RETENTION_SHOP_TIMEZONE must be an IANA"),
        ("RETENTION_DUCKDB_PATH", "data/retention.duckdb", "must not be named after a schema"),
        (
            "RETENTION_DUCKDB_SYNC_MEMORY_LIMIT",
            "lots",
            "RETENTION_DUCKDB_SYNC_MEMORY_LIMIT must be a size",
        ),
        (
            "RETENTION_DUCKDB_SYNC_MEMORY_LIMIT",
            "512",
            "RETENTION_DUCKDB_SYNC_MEMORY_LIMIT must be a size",
        ),
        ("RETENTION_FULL_SAMPLES", "maybe", "RETENTION_FULL_SAMPLES must be true or false"),
    ],
)
def test_bad_settings_fail_with_the_variable_name(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({variable: value})
