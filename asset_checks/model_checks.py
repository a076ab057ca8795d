"""The checks that gate ``retention_customer_state`` and ``retention_events``.

Each check protects one promise the sync relies on (shared/design.md). Those whose failure
would put wrong data into Customer.io — identity, UTC timestamps, event names, allowed values,
attribute ownership — are ERROR and blocking: the ``cio_sync`` assets do not run after them in
the same run. Customer.io's size limits and flapping attributes are WARN: the sync rejects an
oversize row on its own and sends the rest, and a flapping value is suspicious, not wrong.
Freshness is WARN and uses Dagster's time-partition freshness checks.

Everything a test or a deployment may want to vary is a parameter of ``model_checks``: the
sync mapping (so a test can pass a bad one), the clock and the tolerated clock skew, and the
number of days the flapping check looks back.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import dagster as dg
import pandas as pd
import pandera.pandas as pa

from asset_checks import names, sql
from asset_checks.factory import (
    Findings,
    FunctionRule,
    PartitionedTable,
    Rule,
    Scope,
    SqlRule,
    WarehouseCheck,
    bind,
    build_asset_check,
    identifier,
    placeholders,
    table_columns,
    to_frame,
)
from asset_checks.schemas import (
    CUSTOMER_STATE_SCHEMA,
    EVENTS_SCHEMA,
    UTC_TIMESTAMP,
    observed_timestamp_columns,
    string_columns,
    timestamp_columns,
)
from asset_checks.vocabulary_drift import resemblance
from resources.customerio.limits import (
    ATTRIBUTE_NAME_MAX_BYTES,
    ATTRIBUTE_VALUE_MAX_BYTES,
    ATTRIBUTES_MAX_COUNT,
    ENTRY_MAX_BYTES,
    EVENT_NAME_MAX_BYTES,
    IDENTIFIER_MAX_BYTES,
)
from resources.warehouse import WarehouseSession
from retention_assets.attributes import ATTRIBUTE_REGISTRY, SYNC_MAPPING, ownership_violations
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE
from retention_assets.vocabulary import EVENT_NAMES

STATE: Final = PartitionedTable(CUSTOMER_STATE_TABLE, "as_of_date")
EVENTS: Final = PartitionedTable(EVENTS_TABLE, "event_date")
STATE_KEYS: Final = ("customer_id", "as_of_date")
EVENT_KEYS: Final = ("event_key", "event_date")

DEFAULT_FUTURE_SKEW: Final = dt.timedelta(minutes=5)
DEFAULT_FLAPPING_PARTITIONS: Final = 7
# Yesterday's partition is expected by 06:00 UTC: the daily run starts after midnight UTC.
FRESHNESS_DEADLINE_CRON: Final = "0 6 * * *"
# Rows fetched for the Pandera dtype check; a dtype is a column property, a sample suffices.
DTYPE_SAMPLE_ROWS: Final = 100
MAX_OFF_VOCABULARY_NAMES: Final = 1000
# Names information_schema gives a zone-aware timestamp type: DuckDB, then Snowflake.
ZONE_AWARE_TYPES: Final = frozenset({"TIMESTAMP WITH TIME ZONE", "TIMESTAMP_TZ", "TIMESTAMP_LTZ"})


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------------------------------------
# Rule builders shared by both models.


def scoped_rows_rule(
    name: str,
    description: str,
    partitions: PartitionedTable,
    columns: Sequence[str],
    condition: str,
    schema: pa.DataFrameSchema,
    params: Mapping[str, Any] | None = None,
) -> SqlRule:
    """Rows of the checked days matching ``condition``; ``columns`` are what the sample shows."""
    return SqlRule(
        name=name,
        description=description,
        sql=sql.SCOPED_ROWS.format(
            columns=", ".join(columns),
            table=partitions.table,
            partition_column=partitions.partition_column,
            condition=condition,
        ),
        order_by=", ".join(columns[:2]),
        schema=schema,
        params=params or {},
    )


def naive_timestamp_rule(partitions: PartitionedTable, schema: pa.DataFrameSchema) -> FunctionRule:
    expected = timestamp_columns(schema)

    def find(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        types = table_columns(session, partitions.table)
        rows = [
            {
                "column": column,
                "warehouse_type": types.get(column, "missing"),
                "expected": "TIMESTAMP WITH TIME ZONE",
            }
            for column in expected
            if types.get(column, "").upper() not in ZONE_AWARE_TYPES
        ]
        return Findings(len(rows), pd.DataFrame(rows))

    return FunctionRule(
        names.NAIVE_TIMESTAMP_COLUMN,
        "Timestamp columns whose warehouse type is not TIMESTAMP WITH TIME ZONE (or that are "
        "missing): their values carry no zone, so nothing guarantees they are UTC.",
        find,
    )


def timestamp_dtype_rule(partitions: PartitionedTable, schema: pa.DataFrameSchema) -> FunctionRule:
    columns = timestamp_columns(schema)
    # Only the dtype is judged here; values are other rules' business.
    dtype_schema = pa.DataFrameSchema(
        {column: pa.Column(UTC_TIMESTAMP, nullable=True) for column in columns}
    )
    query = sql.SCOPED_SAMPLE.format(
        columns=", ".join(columns),
        table=partitions.table,
        partition_column=partitions.partition_column,
    )

    def find(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        values = {**params, "sample_rows": DTYPE_SAMPLE_ROWS}
        rows = to_frame(session.fetch_arrow(query, bind(query, values)))
        try:
            dtype_schema.validate(rows, lazy=True)
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
            failures = pd.DataFrame(
                {
                    "column": cases["column"],
                    "pandas_dtype": cases["failure_case"].astype(str),
                    "expected": str(UTC_TIMESTAMP),
                }
            )
            return Findings(len(failures), failures.reset_index(drop=True))
        return Findings(0, pd.DataFrame())

    return FunctionRule(
        names.TIMESTAMP_DTYPE_NOT_UTC,
        f"Timestamp columns that do not reach Python as {UTC_TIMESTAMP} (Pandera, on up to "
        f"{DTYPE_SAMPLE_ROWS} rows of the checked days): the sync would send wrong unix times.",
        find,
        needs_scope=True,
    )


def future_timestamp_rule(
    partitions: PartitionedTable,
    schema: pa.DataFrameSchema,
    keys: Sequence[str],
    bound: str,
    description: str,
) -> SqlRule:
    columns = observed_timestamp_columns(schema)
    return SqlRule(
        name=names.FUTURE_TIMESTAMP,
        description=description,
        sql=sql.FUTURE_TIMESTAMPS.format(
            columns=", ".join((*keys, *columns)),
            bound=bound.format(partition_column=partitions.partition_column),
            table=partitions.table,
            partition_column=partitions.partition_column,
            any_later=" OR ".join(f"{column} > not_after" for column in columns),
        ),
        order_by=", ".join(keys),
        schema=schema,
    )


def schema_value_rules(
    schema: pa.DataFrameSchema,
    partitions: PartitionedTable,
    keys: Sequence[str],
    columns: Sequence[str],
) -> list[SqlRule]:
    """The schema's nullability and value checks of ``columns``, compiled to warehouse SQL.

    Only checks with an exact SQL equivalent are compiled; any other check on these columns
    is a programming error, raised here rather than silently skipped.
    """
    rules: list[SqlRule] = []
    for column in columns:
        spec = schema.columns[column]
        shown = (*keys, identifier(column))
        if not spec.nullable:
            rules.append(
                scoped_rows_rule(
                    names.null_rule(column),
                    f"Rows where {column} is null; the model contract says it is always set.",
                    partitions,
                    shown,
                    f"{column} IS NULL",
                    schema,
                )
            )
        for check in spec.checks:
            if check.name == "isin":
                allowed = list(check.statistics["allowed_values"])
                in_list, params = placeholders(f"{column}_allowed", allowed)
                rules.append(
                    scoped_rows_rule(
                        names.not_allowed_rule(column),
                        f"Rows where {column} is not one of {', '.join(map(str, allowed))}; "
                        "journeys branch on these exact values.",
                        partitions,
                        shown,
                        f"{column} IS NOT NULL AND {column} NOT IN ({in_list})",
                        schema,
                        params,
                    )
                )
            elif check.name == "greater_than_or_equal_to":
                minimum = check.statistics["min_value"]
                rules.append(
                    scoped_rows_rule(
                        names.below_minimum_rule(column),
                        f"Rows where {column} is below {minimum}.",
                        partitions,
                        shown,
                        f"{column} < ${column}_min",
                        schema,
                        {f"{column}_min": minimum},
                    )
                )
            else:
                raise ValueError(f"Pandera check {check.name!r} on {column} has no SQL form")
    return rules


def _ownership_rules(mapping: Mapping[str, str]) -> list[Rule]:
    def not_owned(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        rows = [
            {"column": column, "attribute": attribute, "problem": problem}
            for column, attribute, problem in ownership_violations(dict(mapping))
        ]
        return Findings(len(rows), pd.DataFrame(rows))

    def missing_columns(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        present = table_columns(session, CUSTOMER_STATE_TABLE)
        rows = [
            {"column": column, "attribute": attribute}
            for column, attribute in mapping.items()
            if column not in present
        ]
        return Findings(len(rows), pd.DataFrame(rows))

    return [
        FunctionRule(
            names.ATTRIBUTE_NOT_OWNED,
            "Attributes the sync would write that this pipeline does not own in the attribute "
            "registry (retention_assets/attributes.py): two writers of one attribute overwrite "
            "each other and journeys flicker. Map the column to an attribute owned by "
            "retention_pipeline, or declare the attribute.",
            not_owned,
        ),
        FunctionRule(
            names.MAPPED_COLUMN_MISSING,
            f"Columns of the sync mapping that {CUSTOMER_STATE_TABLE} does not have.",
            missing_columns,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Customer state.


def _state_checks(
    mapping: Mapping[str, str],
    timestamp_params: Callable[[Scope | None], Mapping[str, Any]],
    future_skew: dt.timedelta,
    flapping_partitions: int,
) -> list[WarehouseCheck]:
    schema = CUSTOMER_STATE_SCHEMA
    keys = STATE_KEYS
    mapped = [column for column in mapping if column in schema.columns and column not in keys]
    value_columns = [
        column
        for column in schema.columns
        if column not in keys and column not in timestamp_columns(schema)
    ]
    return [
        WarehouseCheck(
            name=names.STATE_ONE_ROW_PER_CUSTOMER,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                "Exactly one row per customer per as_of_date, each with a customer_id. "
                "Customer.io identifies people by this id: a missing id cannot be synced and a "
                "duplicate would send conflicting attributes. Blocks the sync."
            ),
            partitions=STATE,
            rules=[
                scoped_rows_rule(
                    names.MISSING_CUSTOMER_ID,
                    "Rows whose customer_id is null or blank.",
                    STATE,
                    (*keys, "email"),
                    "customer_id IS NULL OR trim(customer_id) = ''",
                    schema,
                ),
                SqlRule(
                    name=names.DUPLICATE_CUSTOMER_PER_DAY,
                    description="Rows of customers that have more than one row for one "
                    "as_of_date; every copy is listed, `copies` says how many there are.",
                    sql=sql.DUPLICATES_WITHIN_DAY.format(
                        columns=", ".join(keys),
                        key=", ".join(keys),
                        key_not_null="customer_id IS NOT NULL",
                        table=STATE.table,
                        partition_column=STATE.partition_column,
                    ),
                    order_by=", ".join(keys),
                    schema=schema,
                ),
            ],
        ),
        WarehouseCheck(
            name=names.STATE_TIMESTAMPS_UTC,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                "Every timestamp column is stored with a time zone and reaches Python as UTC, "
                "and nothing observed lies after the end of the row's as_of_date. Customer.io "
                "receives unix seconds: a wrong zone shifts every date journey. Blocks the sync."
            ),
            partitions=STATE,
            params=timestamp_params,
            rules=[
                naive_timestamp_rule(STATE, schema),
                timestamp_dtype_rule(STATE, schema),
                future_timestamp_rule(
                    STATE,
                    schema,
                    keys,
                    sql.STATE_TIMESTAMP_BOUND,
                    "Rows with an observed timestamp later than the end of their as_of_date "
                    f"(or than now) plus {future_skew}: future data leaked into the partition, "
                    "or a zone was applied twice. predicted_next_purchase_at is exempt.",
                ),
            ],
        ),
        WarehouseCheck(
            name=names.STATE_ALLOWED_VALUES,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                "Columns the contract says are always set are set, and categorical columns hold "
                "only their allowed values (from the Pandera schema in asset_checks/schemas.py). "
                "Journeys branch on these exact values. Blocks the sync."
            ),
            partitions=STATE,
            rules=schema_value_rules(schema, STATE, keys, value_columns),
        ),
        WarehouseCheck(
            name=names.STATE_CUSTOMERIO_LIMITS,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                "Profiles fit Customer.io's limits (resources/customerio/limits.py): id and "
                "attribute names at most 150 bytes, values at most 1000 bytes, at most 300 "
                "attributes. Offending rows are rejected one by one at send time, so this warns "
                "and does not block."
            ),
            partitions=STATE,
            severity=dg.AssetCheckSeverity.WARN,
            blocking=False,
            rules=[
                scoped_rows_rule(
                    names.CUSTOMER_ID_TOO_LONG,
                    f"Rows whose customer_id is longer than {IDENTIFIER_MAX_BYTES} bytes.",
                    STATE,
                    (*keys, "octet_length(encode(customer_id)) AS bytes"),
                    "octet_length(encode(customer_id)) > $max_id_bytes",
                    schema,
                    {"max_id_bytes": IDENTIFIER_MAX_BYTES},
                ),
                *_value_length_rules(mapping, schema),
                *_attribute_shape_rules(mapping),
            ],
        ),
        WarehouseCheck(
            name=names.STATE_ATTRIBUTE_OWNERSHIP,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                "Every attribute the sync writes is owned by this pipeline in the attribute "
                "registry, and every mapped column exists. Blocks the sync."
            ),
            rules=_ownership_rules(mapping),
        ),
        WarehouseCheck(
            name=names.STATE_ATTRIBUTE_FLAPPING,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                f"Customers whose value of a synced attribute went back and forth (A -> B -> A) "
                f"within the last {flapping_partitions} as_of_date partitions. Each flip is a "
                "Customer.io update that may enter or exit a journey; usually a model bug or "
                "two sources disagreeing. Warns only."
            ),
            partitions=STATE,
            severity=dg.AssetCheckSeverity.WARN,
            blocking=False,
            params=_flapping_window(flapping_partitions),
            rules=[_flapping_rule(mapped)] if mapped else [],
        ),
    ]


def _flapping_window(partitions: int) -> Callable[[Scope | None], Mapping[str, Any]]:
    """The first day of the ``partitions`` days ending with the last checked day."""

    def params(scope: Scope | None) -> Mapping[str, Any]:
        if scope is None:
            return {}
        return {"window_start": scope.last_day - dt.timedelta(days=partitions - 1)}

    return params


def _value_length_rules(mapping: Mapping[str, str], schema: pa.DataFrameSchema) -> list[SqlRule]:
    columns = [
        column
        for column in mapping
        if column in string_columns(schema) and column not in STATE_KEYS
    ]
    if not columns:
        return []
    branches = [
        sql.VALUE_BYTES.format(
            keys=", ".join(STATE_KEYS),
            attribute_param=f"attribute_{index}",
            column=identifier(column),
            table=STATE.table,
            partition_column=STATE.partition_column,
        )
        for index, column in enumerate(columns)
    ]
    params: dict[str, Any] = {
        f"attribute_{index}": mapping[column] for index, column in enumerate(columns)
    }
    return [
        SqlRule(
            name=names.ATTRIBUTE_VALUE_TOO_LONG,
            description=f"Attribute values longer than {ATTRIBUTE_VALUE_MAX_BYTES} bytes; "
            "one row per customer and attribute, values themselves are not shown.",
            sql=sql.UNION_ALL.join(branches),
            order_by="customer_id, attribute",
            schema=schema,
            params={**params, "max_value_bytes": ATTRIBUTE_VALUE_MAX_BYTES},
        )
    ]


def _attribute_shape_rules(mapping: Mapping[str, str]) -> list[FunctionRule]:
    def long_names(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        rows = [
            {"column": column, "attribute": attribute, "bytes": len(attribute.encode())}
            for column, attribute in mapping.items()
            if len(attribute.encode()) > ATTRIBUTE_NAME_MAX_BYTES
        ]
        return Findings(len(rows), pd.DataFrame(rows))

    def too_many(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        # A profile holds every writer's attributes, not just the ones this sync sends.
        attributes = set(mapping.values()) | set(ATTRIBUTE_REGISTRY)
        if len(attributes) <= ATTRIBUTES_MAX_COUNT:
            return Findings(0, pd.DataFrame())
        row = {"attributes": len(attributes), "limit": ATTRIBUTES_MAX_COUNT}
        return Findings(1, pd.DataFrame([row]))

    return [
        FunctionRule(
            names.ATTRIBUTE_NAME_TOO_LONG,
            f"Mapped attribute names longer than {ATTRIBUTE_NAME_MAX_BYTES} bytes.",
            long_names,
        ),
        FunctionRule(
            names.TOO_MANY_ATTRIBUTES,
            f"A profile would hold more than {ATTRIBUTES_MAX_COUNT} attributes (those the sync "
            "writes plus those other writers declare in the registry).",
            too_many,
        ),
    ]


def _flapping_rule(columns: Sequence[str]) -> SqlRule:
    return SqlRule(
        name=names.FLAPPING_ATTRIBUTE,
        description="Customers and synced columns whose value returned to an earlier value; "
        "`history` lists the successive values, `changes` counts the changes.",
        sql=sql.FLAPPING.format(
            key="customer_id",
            partition_column=STATE.partition_column,
            columns=", ".join(identifier(column) for column in columns),
            text_columns=", ".join(sql.AS_TEXT.format(column=column) for column in columns),
            table=STATE.table,
        ),
        order_by="customer_id, column_name",
    )


# ---------------------------------------------------------------------------------------------
# Events.


def _events_checks(
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
    matches = [None if name is None else resemblance(name) for name in rows["event_name"]]
    rows["resembles"] = [match.vocabulary_name if match else None for match in matches]
    rows["difference"] = [match.difference if match else None for match in matches]
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


# ---------------------------------------------------------------------------------------------
# The suite.


def model_checks(
    *,
    sync_mapping: Mapping[str, str] = SYNC_MAPPING,
    future_skew: dt.timedelta = DEFAULT_FUTURE_SKEW,
    flapping_partitions: int = DEFAULT_FLAPPING_PARTITIONS,
    clock: Callable[[], dt.datetime] = utc_now,
) -> list[WarehouseCheck]:
    """Every warehouse check of both models, as plain definitions (see ``build_asset_check``)."""

    def timestamp_params(scope: Scope | None) -> Mapping[str, Any]:
        return {"not_after": clock() + future_skew, "skew": future_skew}

    return [
        *_state_checks(sync_mapping, timestamp_params, future_skew, flapping_partitions),
        *_events_checks(timestamp_params, future_skew),
    ]


def freshness_checks(
    deadline_cron: str = FRESHNESS_DEADLINE_CRON,
) -> list[dg.AssetChecksDefinition]:
    """WARN when a model's latest daily partition has not landed by ``deadline_cron`` (UTC).

    Dagster 1.13 marks freshness checks as superseded by ``FreshnessPolicy``, but the policy
    is asset-level (a backfill of an old day makes a daily asset look fresh), is a preview
    behind a ``dagster.yaml`` switch, and reports no check evaluation for the alert sensor to
    see. The time-partition check asks the right question: does yesterday's partition exist?
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return list(
            dg.build_time_partition_freshness_checks(
                assets=[names.CUSTOMER_STATE_ASSET, names.EVENTS_ASSET],
                deadline_cron=deadline_cron,
                timezone="UTC",
                severity=dg.AssetCheckSeverity.WARN,
            )
        )


def build_model_checks(
    *,
    sync_mapping: Mapping[str, str] = SYNC_MAPPING,
    future_skew: dt.timedelta = DEFAULT_FUTURE_SKEW,
    flapping_partitions: int = DEFAULT_FLAPPING_PARTITIONS,
    clock: Callable[[], dt.datetime] = utc_now,
    freshness_deadline_cron: str = FRESHNESS_DEADLINE_CRON,
) -> list[dg.AssetChecksDefinition]:
    """The Dagster definitions of every model check, freshness included."""
    checks = model_checks(
        sync_mapping=sync_mapping,
        future_skew=future_skew,
        flapping_partitions=flapping_partitions,
        clock=clock,
    )
    return [
        *(build_asset_check(check) for check in checks),
        *freshness_checks(freshness_deadline_cron),
    ]
