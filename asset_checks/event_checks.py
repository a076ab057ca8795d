"""The checks of ``retention_events`` that its event spec's checks do not make.

The spec of the shop's event sync gives the model the checks every event source gets
(``asset_checks.spec_checks``: a unique trimmed key, a person id, a real past ``occurred_at``,
names from the locked vocabulary and the drift they resemble, Customer.io's size limits).
What only this model promises is checked here, ERROR and blocking: timestamp columns stored
with a zone and read as UTC, and every event of a partition (the model's ``event_date``) with
an ``occurred_at`` whose UTC day it is. The sync files events by the day of ``occurred_at``, so
an event without one belongs to no day of the sync: only the model's partition can find it.
"""

from __future__ import annotations

from typing import Final

from asset_checks import names
from asset_checks.factory import PartitionedTable, WarehouseCheck
from asset_checks.rules import naive_timestamp_rule, scoped_rows_rule, timestamp_dtype_rule
from asset_checks.schemas import EVENTS_SCHEMA
from retention_assets.tables import EVENTS_TABLE

EVENTS: Final = PartitionedTable(EVENTS_TABLE, "event_date")
EVENT_KEYS: Final = ("event_key", "event_date")


def event_checks() -> list[WarehouseCheck]:
    schema = EVENTS_SCHEMA
    keys = EVENT_KEYS
    return [
        WarehouseCheck(
            name=names.EVENTS_TIMESTAMPS_UTC,
            asset=names.EVENTS_ASSET,
            description=(
                "Every event has occurred_at, every timestamp column is stored with a zone and "
                "reaches Python as UTC, and event_date is the UTC day of occurred_at. "
                "Customer.io fires journeys for events stamped in the last 72 hours: a wrong "
                "zone fires or misses them, and an event without a time is never sent. "
                "(Future and sentinel times are events__timestamps' findings.) Blocks the sync."
            ),
            partitions=EVENTS,
            rules=[
                scoped_rows_rule(
                    names.MISSING_OCCURRED_AT,
                    "Events of the partition without occurred_at: the sync files events by its "
                    "day, so these would be in no day's plan and silently never sent.",
                    EVENTS,
                    (*keys, "event_name", "occurred_at"),
                    "occurred_at IS NULL",
                    schema,
                ),
                naive_timestamp_rule(EVENTS, schema),
                timestamp_dtype_rule(EVENTS, schema),
                scoped_rows_rule(
                    names.EVENT_DATE_NOT_OCCURRED_AT_DAY,
                    "Events whose event_date is not the UTC day of occurred_at: the partition "
                    "was computed in another zone.",
                    EVENTS,
                    (*keys, "occurred_at"),
                    "event_date <> CAST(occurred_at AS DATE)",
                    schema,
                ),
            ],
        ),
    ]
