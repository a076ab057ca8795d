"""A partition outside the daily partitions is refused with its key and the valid range.

``dagster asset materialize --partition-range a...b`` always names ``a`` in its own message,
even when ``b`` is the bad half; its traceback carries the project's error underneath, which
names the key that is out of range and the first and last partitions there are.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.partitions.context import PartitionLoadingContext
from dagster._core.definitions.temporal_context import TemporalContext

from retention_assets.partitions import (
    DAILY_PARTITIONS,
    SINGLE_RUN_BACKFILL,
    RetentionDailyPartitions,
    single_run_asset,
)
from retention_assets.settings import PROJECT_ROOT, load_settings


def _valid_range() -> str:
    first = load_settings().partitions_start
    last = DAILY_PARTITIONS.get_last_partition_key()
    return f"from {first} to {last}"


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("2099-01-01", "after the last partition"),
        ("2019-11-01", "before the first partition"),
        ("2026-13-01", "not a day written as YYYY-MM-DD"),
    ],
)
def test_an_unknown_partition_is_named_with_the_valid_range(key: str, why: str) -> None:
    with pytest.raises(dg.DagsterUnknownPartitionError) as refused:
        DAILY_PARTITIONS.validate_partition_key(key, context=_context())

    assert f"`{key}`" in str(refused.value)
    assert why in str(refused.value)
    assert _valid_range() in str(refused.value)


def test_a_known_partition_passes() -> None:
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()

    DAILY_PARTITIONS.validate_partition_key(yesterday, context=_context())


def _context() -> PartitionLoadingContext:
    """What Dagster passes when it validates a key the user typed: now, no dynamic store."""
    return PartitionLoadingContext(
        temporal_context=TemporalContext(effective_dt=dt.datetime.now(dt.UTC), last_event_id=None),
        dynamic_partitions_store=None,
    )


@pytest.mark.parametrize("bad_range", ["2026-11-01...2099-01-01", "2019-11-01...2026-11-05"])
def test_the_cli_names_the_bad_half_of_a_partition_range(bad_range: str, tmp_path: Path) -> None:
    bad_half = bad_range.split("...")[1 if bad_range.endswith("2099-01-01") else 0]
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "RETENTION_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
    }
    command = [sys.executable, "-m", "dagster", "asset", "materialize"]
    command += ["-m", "retention_assets.definitions", "--select", "retention_events"]
    done = subprocess.run(
        [*command, "--partition-range", bad_range],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode != 0
    assert f"`{bad_half}` is " in done.stderr
    assert _valid_range() in done.stderr
    assert not (tmp_path / "warehouse.duckdb").exists(), "nothing may run for a bad range"


def test_first_and_last_day_span_the_start_to_today() -> None:
    assert DAILY_PARTITIONS.first_day() == dt.date.fromisoformat(load_settings().partitions_start)
    # end_offset=1: today's partition, still filling, is the last.
    assert DAILY_PARTITIONS.last_day() == dt.datetime.now(dt.UTC).date()


def test_no_partition_yet_is_named_after_the_start_setting() -> None:
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    future = RetentionDailyPartitions(start_date=tomorrow.isoformat(), timezone="UTC")

    with pytest.raises(ValueError, match="RETENTION_PARTITIONS_START is in the future"):
        future.first_day()


def _backfill_notices(make: Callable[[], object]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
    return [str(warning.message) for warning in caught if "backfill_policy" in str(warning.message)]


def test_a_single_run_asset_is_made_without_the_beta_notice() -> None:
    made: list[dg.AssetsDefinition] = []

    def make() -> None:
        @single_run_asset(name="probe", partitions_def=DAILY_PARTITIONS)
        def probe() -> None: ...

        made.append(probe)

    assert _backfill_notices(make) == []
    assert made[0].backfill_policy == SINGLE_RUN_BACKFILL


def test_the_notice_is_silenced_only_there() -> None:
    # Dagster still gives it for dg.asset: no filter of the package hides it from other code.
    assert _backfill_notices(lambda: dg.asset(backfill_policy=SINGLE_RUN_BACKFILL)) != []
