"""The ``continuous`` cadence: newly landed events reach Customer.io within a minute.

An event stream declared ``cadence.continuous`` gets a sensor beside its schedule. Every
``CONTINUOUS_INTERVAL_SECONDS`` it asks the source view which event days received rows since
its cursor (the latest ``loaded_at`` it has handed on) and requests one run of the stream's
plan and send for those days. The run is an ordinary micro-batch on the same plan, ledgers and
event ids, so the scheduled batch run later finds those events acknowledged and sends nothing
twice; an event that lands late into an old day is planned with that day. A new sensor starts
at the latest row already landed: history is the schedule's and the backfills' to send.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import dagster as dg

from resources.warehouse import WarehouseResource
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.sync import ledger
from retention_assets.sync.stream import SyncStream

CONTINUOUS_INTERVAL_SECONDS: Final = 30


def _cursor_time(cursor: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(cursor) if cursor else None


def continuous_sensor(
    stream: SyncStream, job: dg.UnresolvedAssetJobDefinition
) -> dg.SensorDefinition:
    """The sensor of one event stream's continuous cadence."""

    @dg.sensor(
        name=f"{stream.name}_continuous",
        job=job,
        minimum_interval_seconds=CONTINUOUS_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.STOPPED,
        required_resource_keys={"warehouse"},
        description=(
            f"Sends events of `{stream.spec.source.relation}` within a minute of landing (by"
            f" `{stream.spec.events.loaded_at if stream.spec.events else ''}`): every"
            f" {CONTINUOUS_INTERVAL_SECONDS} s, one plan-and-send run for the days that received"
            " rows. Same ledgers as the schedule, which then sends nothing twice."
        ),
    )
    def send_landed_events(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        warehouse: WarehouseResource = context.resources.warehouse
        since = _cursor_time(context.cursor)
        with warehouse.session() as session:
            ledger.ensure_sync_tables(session, stream)
            ledger.ensure_source_view(session, stream)
            if since is None:
                latest = session.fetch_all(stream.sql("latest_landing"))[0][0]
                start = latest or dt.datetime.now(dt.UTC)
                return dg.SensorResult(
                    skip_reason=f"started: events landed after {start.isoformat()} are sent",
                    cursor=start.isoformat(),
                )
            days = session.fetch_all(stream.sql("landed_event_days"), {"since": since})
        if not days:
            return dg.SensorResult(skip_reason=f"nothing landed since {since.isoformat()}")
        first, last = days[0][0], days[-1][0]
        landed_until = max(landed for _day, landed in days)
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{stream.name}:{landed_until.isoformat()}",
                    asset_selection=[stream.plan_key, stream.send_key],
                    tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
                )
            ],
            cursor=landed_until.isoformat(),
        )

    return send_landed_events
