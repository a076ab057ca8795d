"""The daily partitioning shared by the models and the sync assets.

Every partitioned asset in the project uses the same daily UTC partitions so that a backfill
of a date range lines up across models, checks and syncs.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from retention_assets.settings import load_settings

# end_offset=1 makes today's (still filling) partition available, so the hourly event sync
# can send today's events; the daily customer-state schedule targets yesterday, a closed day.
DAILY_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=load_settings().partitions_start, timezone="UTC", end_offset=1
)

# Models are rebuilt for a whole range in one run: one SQL statement per day is far cheaper
# than one Dagster run (process start, resource setup) per day.
SINGLE_RUN_BACKFILL = dg.BackfillPolicy.single_run()


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
