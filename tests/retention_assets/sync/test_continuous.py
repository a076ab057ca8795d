"""The continuous cadence: a landed event reaches Customer.io within a minute, once.

The sensor of an event stream declared ``cadence.continuous`` is evaluated as Dagster would
(a tick with the stream's resources and the previous cursor); its run request is executed with
the real sync assets against the sandbox; then the hourly batch run covers the same days.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import dagster as dg

from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.sync.continuous import CONTINUOUS_INTERVAL_SECONDS
from retention_assets.sync.factory import sync_definitions
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import EVENTS_SYNC_KEYS, SyncHarness, event_row
from tests.shop_events import ORDER_PLACED


def _continuous(stream: SyncStream) -> SyncStream:
    cadence = stream.spec.cadence.model_copy(update={"continuous": True})
    return SyncStream(stream.spec.model_copy(update={"cadence": cadence}))


def _writes(harness: SyncHarness) -> int:
    return sum(1 for request in harness.sandbox.requests() if request["method"] != "GET")


def _tick(
    sensor: dg.SensorDefinition, harness: SyncHarness, cursor: str | None
) -> Any:  # dagster's SensorExecutionData (not public API)
    with dg.build_sensor_context(
        cursor=cursor, resources={"warehouse": harness.warehouse}
    ) as context:
        return sensor.evaluate_tick(context)


def test_a_landed_event_is_sent_within_a_minute_and_the_batch_run_sends_nothing(
    harness: SyncHarness,
) -> None:
    stream = _continuous(harness.shape.events)
    (sensor,) = sync_definitions(stream.spec).sensors or []
    assert isinstance(sensor, dg.SensorDefinition)
    assert sensor.minimum_interval_seconds == CONTINUOUS_INTERVAL_SECONDS <= 60
    now = dt.datetime.now(dt.UTC)
    # History already synced (the initial import): the stream is live.
    old = now - dt.timedelta(days=20)
    harness.put_events([event_row("order:old", "c1", ORDER_PLACED, old, order_id=1)])
    harness.run(EVENTS_SYNC_KEYS, old.date(), old.date(), streams=[stream])

    started = _tick(sensor, harness, None)
    assert not started.run_requests
    cursor = started.cursor

    landed = time.monotonic()
    happened = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    harness.put_events([event_row("order:new", "c1", ORDER_PLACED, happened, order_id=2)])
    tick = _tick(sensor, harness, cursor)
    (request,) = tick.run_requests
    assert request.asset_selection == [stream.plan_key, stream.send_key]
    first = dt.date.fromisoformat(request.tags[RANGE_START_TAG])
    last = dt.date.fromisoformat(request.tags[RANGE_END_TAG])
    harness.run(list(request.asset_selection), first, last, streams=[stream])
    elapsed = time.monotonic() - landed

    names = [(e["name"], e["timestamp"]) for e in harness.sandbox.events()]
    assert (ORDER_PLACED, int(happened.timestamp())) in names
    # Within a minute: the sensor's interval plus this tick and run.
    assert CONTINUOUS_INTERVAL_SECONDS + elapsed < 60
    sent = len(harness.sandbox.events())

    # The next tick has nothing new; the hourly run over the same days sends nothing twice.
    assert not _tick(sensor, harness, tick.cursor).run_requests
    # The test cohort's read-back GETs are expected; nothing may be written.
    before = _writes(harness)
    hourly = harness.run(
        EVENTS_SYNC_KEYS, happened.date() - dt.timedelta(days=2), happened.date(), streams=[stream]
    )
    assert hourly.success
    assert len(harness.sandbox.events()) == sent
    assert _writes(harness) == before
