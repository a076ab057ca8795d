"""Schedules: customer state once a day for the closed day, events every hour.

The hourly event schedule rebuilds and resends a trailing window of daily partitions in one
run, so events that land late (refunds, subscription changes) reach Customer.io within the
hour; the ledger and deterministic event ids keep the overlap free of duplicates.
"""

import datetime as dt

import dagster as dg

from retention_assets.jobs import customer_state_sync_job, events_sync_job
from retention_assets.sync.policies import EVENTS_TRAILING_DAYS

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dg.schedule(
    job=customer_state_sync_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    description="Daily at 02:00 UTC: customer state as of the end of yesterday.",
)
def customer_state_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return dg.RunRequest(run_key=day.isoformat(), partition_key=day.isoformat())


@dg.schedule(
    job=events_sync_job,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    description=(
        f"Hourly: events of the last {EVENTS_TRAILING_DAYS} days (today included), so late rows"
        " are sent within the hour."
    ),
)
def events_hourly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    tick = context.scheduled_execution_time.astimezone(dt.UTC)
    end = tick.date()
    start = end - dt.timedelta(days=EVENTS_TRAILING_DAYS - 1)
    return dg.RunRequest(
        run_key=tick.isoformat(),
        tags={RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()},
    )


SCHEDULES = [customer_state_daily, events_hourly]
