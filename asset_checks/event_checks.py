"""The checks that gate ``retention_events`` before its events reach Customer.io.

ERROR and blocking: a unique key per event, ``occurred_at`` set and UTC with nothing from the
future, and names from the locked vocabulary — a near duplicate is named after the vocabulary
name it resembles. WARN: Customer.io's size limits, which the sync enforces row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Final

import dagster as dg
import pandas as pd

from asset_checks import names, sql
from asset_checks.factory import (
    Findings,
    FunctionRule,
    PartitionedTable,
    Scope,
    SqlRule,
    WarehouseCheck,
    placeholders,
    to_frame,
)
from asset_checks.rules import (
    future_timestamp_rule,
    naive_timestamp_rule,
    scoped_rows_rule,
    timestamp_dtype_rule,
)
from asset_checks.schemas import EVENTS_SCHEMA
from asset_checks.vocabulary_drift import as_written, resemblance
from resources.customerio.limits import (
    ENTRY_MAX_BYTES,
    EVENT_NAME_MAX_BYTES,
    IDENTIFIER_MAX_BYTES,
)
from resources.warehouse import WarehouseSession
from retention_assets.tables import EVENTS_TABLE
from retention_assets.vocabulary import EVENT_NAMES

EVENTS: Final = PartitionedTable(EVENTS_TABLE, "event_date")
EVENT_KEYS: Final = ("event_key", "event_date")
# Distinct off-vocabulary names brought to Python per evaluation; names are few in practice.
MAX_OFF_VOCABULARY_NAMES: Final = 1000


def event_checks(
    timestamp_params: Callable[[Scope | None], Mapping[str, Any]],
    future_skew: dt.timedelta,
) -> list[WarehouseCheck]:
    schema = EVENTS_SCHEMA
    keys = EVENT_KEYS
    return [
        WarehouseCheck(
            name=names.EVENTS_UNIQUE_KEY,
            asset=names.EVENTS_ASSET,
            description=(
                "Every event has an event_key and no key appears twice in the table. The key "
                "derives the event's ULID in Customer.io; a duplicate would be dropped or sent "
                "twice. Blocks the sync."
            ),
            partitions=EVENTS,
            rules=[
                scoped_rows_rule(
                    names.MISSING_EVENT_KEY,
                    "Events whose event_key is null or blank.",
                    EVENTS,
                    (*keys, "event_name", "customer_id"),
                    "event_key IS NULL OR trim(event_key) = ''",
                    schema,
                ),
                SqlRule(
                    name=names.DUPLICATE_EVENT_KEY,
                    description="Events of the checked days whose event_key appears more than "
                    "once in the table (in any partition); every copy is listed.",
                    sql=sql.DUPLICATES_ACROSS_DAYS.format(
                        key="event_key",
                        columns="event_key, event_date, event_name, customer_id",
                        table=EVENTS.table,
                        partition_column=EVENTS.partition_column,
                    ),
                    order_by="event_key, event_date",
                    schema=schema,
                ),
            ],
        ),
        WarehouseCheck(
            name=names.EVENTS_TIMESTAMPS_UTC,
            asset=names.EVENTS_ASSET,
            description=(
                "occurred_at is always set, every timestamp column is stored with a zone and "
                "reaches Python as UTC, none lies in the future, and event_date is the UTC day "
                "of occurred_at. Customer.io fires journeys for events stamped in the last 72 "
                "hours: a wrong time fires or misses them. Blocks the sync."
            ),
            partitions=EVENTS,
            params=timestamp_params,
            rules=[
                scoped_rows_rule(
                    names.MISSING_OCCURRED_AT,
                    "Events without occurred_at.",
                    EVENTS,
                    (*keys, "event_name", "occurred_at"),
                    "occurred_at IS NULL",
                    schema,
                ),
                naive_timestamp_rule(EVENTS, schema),
                timestamp_dtype_rule(EVENTS, schema),
                future_timestamp_rule(
                    EVENTS,
                    schema,
                    (*keys, "event_name"),
                    sql.EVENT_TIMESTAMP_BOUND,
                    f"Events with a timestamp later than now plus {future_skew}.",
                ),
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
        WarehouseCheck(
            name=names.EVENTS_VOCABULARY,
            asset=names.EVENTS_ASSET,
            description=(
                "Every event_name is in the locked vocabulary (retention_assets/vocabulary.py). "
                "Journeys trigger on exact names; a near duplicate such as 'order placed' would "
                "silently stop the 'Order Placed' journey. Blocks the sync."
            ),
            partitions=EVENTS,
            rules=_vocabulary_rules(),
        ),
        WarehouseCheck(
            name=names.EVENTS_CUSTOMERIO_LIMITS,
            asset=names.EVENTS_ASSET,
            description=(
                "Events fit Customer.io's limits (resources/customerio/limits.py): an id of at "
                "most 150 bytes, a name of at most 100 bytes, properties of at most 32 KB. "
                "Offending events are rejected one by one at send time, so this warns."
            ),
            partitions=EVENTS,
            severity=dg.AssetCheckSeverity.WARN,
            blocking=False,
            rules=[
                scoped_rows_rule(
                    names.EVENT_WITHOUT_CUSTOMER_ID,
                    "Events without a customer_id; they cannot be tracked and are skipped.",
                    EVENTS,
                    (*keys, "event_name", "customer_id"),
                    "customer_id IS NULL OR trim(customer_id) = ''",
                    schema,
                ),
                scoped_rows_rule(
                    names.CUSTOMER_ID_TOO_LONG,
                    f"Events whose customer_id is longer than {IDENTIFIER_MAX_BYTES} bytes.",
                    EVENTS,
                    (*keys, "octet_length(encode(customer_id)) AS bytes"),
                    "octet_length(encode(customer_id)) > $max_id_bytes",
                    schema,
                    {"max_id_bytes": IDENTIFIER_MAX_BYTES},
                ),
                scoped_rows_rule(
                    names.EVENT_NAME_TOO_LONG,
                    f"Events whose name is longer than {EVENT_NAME_MAX_BYTES} bytes.",
                    EVENTS,
                    (*keys, "event_name", "octet_length(encode(event_name)) AS bytes"),
                    "octet_length(encode(event_name)) > $max_name_bytes",
                    schema,
                    {"max_name_bytes": EVENT_NAME_MAX_BYTES},
                ),
                scoped_rows_rule(
                    names.PROPERTIES_TOO_LARGE,
                    f"Events whose properties JSON is larger than {ENTRY_MAX_BYTES} bytes; "
                    "the payload itself is not shown.",
                    EVENTS,
                    (*keys, "event_name", "octet_length(encode(properties)) AS bytes"),
                    "octet_length(encode(properties)) > $max_properties_bytes",
                    schema,
                    {"max_properties_bytes": ENTRY_MAX_BYTES},
                ),
            ],
        ),
    ]


def _off_vocabulary(session: WarehouseSession, params: Mapping[str, Any]) -> pd.DataFrame:
    """Distinct off-vocabulary names of the checked days, with what each resembles."""
    in_list, allowed = placeholders("event_name", EVENT_NAMES)
    query = sql.OFF_VOCABULARY_NAMES.format(
        table=EVENTS.table, partition_column=EVENTS.partition_column, allowed=in_list
    )
    values = {
        "first_day": params["first_day"],
        "last_day": params["last_day"],
        "max_names": MAX_OFF_VOCABULARY_NAMES,
        **allowed,
    }
    rows = to_frame(session.fetch_arrow(query, values))
    matches = [None if pd.isna(name) else resemblance(name) for name in rows["event_name"]]
    rows["resembles"] = [match.vocabulary_name if match else None for match in matches]
    rows["difference"] = [match.difference if match else None for match in matches]
    rows["event_name"] = [
        None if pd.isna(name) else as_written(name) for name in rows["event_name"]
    ]
    return rows


def _vocabulary_rules() -> list[FunctionRule]:
    def near(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        rows = _off_vocabulary(session, params)
        rows = rows[rows["resembles"].notna()]
        columns = ["event_name", "resembles", "difference", "events", "example_event_key"]
        return Findings(int(rows["events"].sum()), rows[columns].reset_index(drop=True))

    def unknown(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        rows = _off_vocabulary(session, params)
        rows = rows[rows["resembles"].isna()]
        columns = ["event_name", "events", "example_event_key"]
        return Findings(int(rows["events"].sum()), rows[columns].reset_index(drop=True))

    return [
        FunctionRule(
            names.NEAR_DUPLICATE_EVENT_NAME,
            "Events whose name is a near duplicate of a vocabulary name (case, spacing, word "
            "order or spelling drift); `resembles` names the vocabulary name to use instead.",
            near,
            needs_scope=True,
        ),
        FunctionRule(
            names.UNKNOWN_EVENT_NAME,
            "Events whose name is not in the vocabulary and resembles none of it (null "
            "included). Add the name to the vocabulary deliberately, or fix the model.",
            unknown,
            needs_scope=True,
        ),
    ]
