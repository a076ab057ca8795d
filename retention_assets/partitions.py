"""The daily partitioning shared by the models and the sync assets.

Every partitioned asset in the project uses the same daily UTC partitions so that a backfill
of a date range lines up across models, checks and syncs.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from typing import Any

import dagster as dg
from dagster._core.definitions.partitions.context import PartitionLoadingContext

from retention_assets.settings import PARTITIONS_START, load_settings

_BACKFILL_BETA_NOTICE = r"Parameter `backfill_policy`"


class RetentionDailyPartitions(dg.DailyPartitionsDefinition):
    """Daily UTC partitions whose unknown-key error names the key and the valid range.

    Dagster's own error for a bad ``--partition-range a...b`` names ``a`` whichever half is
    bad; it is raised while handling this one, so the traceback shows both and this one says
    which key is out of range and which keys there are.
    """

    def validate_partition_key(self, partition_key: str, context: PartitionLoadingContext) -> None:
        try:
            super().validate_partition_key(partition_key, context)
        except dg.DagsterUnknownPartitionError:
            raise dg.DagsterUnknownPartitionError(self.unknown_key_message(partition_key)) from None

    def first_day(self) -> dt.date:
        """The day of the first partition."""
        return self._day(self.get_first_partition_key())

    def last_day(self) -> dt.date:
        """The day of the last partition (today's in UTC, still filling)."""
        return self._day(self.get_last_partition_key())

    def _day(self, key: str | None) -> dt.date:
        if key is None:
            raise ValueError(f"no daily partition exists yet: {PARTITIONS_START} is in the future")
        return dt.date.fromisoformat(key)

    def unknown_key_message(self, partition_key: str) -> str:
        """Why ``partition_key`` is not a partition, and the range of those there are."""
        first, last = self.get_first_partition_key(), self.get_last_partition_key()
        try:
            day = dt.date.fromisoformat(partition_key).isoformat()
        except ValueError:
            why = "not a day written as YYYY-MM-DD"
        else:
            before = first is not None and day < first
            why = "before the first partition" if before else "after the last partition"
        return (
            f"The partition `{partition_key}` is {why}: the daily partitions run from {first}"
            f" to {last} (the first is {PARTITIONS_START}, the last is today's in UTC, still"
            " filling)."
        )


# end_offset=1 makes today's (still filling) partition available, so the hourly event sync
# can send today's events; the daily customer-state schedule targets yesterday, a closed day.
DAILY_PARTITIONS = RetentionDailyPartitions(
    start_date=load_settings().partitions_start, timezone="UTC", end_offset=1
)

# Models are rebuilt for a whole range in one run: one SQL statement per day is far cheaper
# than one Dagster run (process start, resource setup) per day.
# The tags with which a run (a schedule tick, a sensor, a test) names its range of partitions.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
SINGLE_RUN_BACKFILL = dg.BackfillPolicy.single_run()


def single_run_asset(**asset_args: Any) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """``dg.asset`` backfilled in a single run (``SINGLE_RUN_BACKFILL``).

    Range backfills in one run are a deliberate, tested choice of this project; Dagster's beta
    notice about the ``backfill_policy`` parameter, printed when the decorator is made, is
    silenced here and for these assets only (not for every importer of the package).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_BACKFILL_BETA_NOTICE, category=dg.BetaWarning)
        return dg.asset(backfill_policy=SINGLE_RUN_BACKFILL, **asset_args)


def partition_days(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext | dg.OpExecutionContext,
) -> list[dt.date]:
    """The UTC days a run covers: one for a single partition, several for a range backfill."""
    window = context.partition_time_window
    first = window.start.date()
    count = (window.end.date() - first).days
    return [first + dt.timedelta(days=offset) for offset in range(count)]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open UTC interval ``[start, end)`` of one partition day."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)
