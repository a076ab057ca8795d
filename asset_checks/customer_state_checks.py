"""The checks that gate ``retention_customer_state`` before its attributes reach Customer.io.

ERROR and blocking: one row per customer per day with an id, UTC timestamps with nothing from
the future, the schema's allowed values, and attribute ownership (the sync writes only what
this pipeline owns). WARN: Customer.io's size limits (the sync rejects an oversize row on its
own and sends the rest), flapping attributes (suspicious, not wrong) and emails shared by
several customers (Customer.io drops all but one of their updates; the sync's delivery audit
catches and retries each one).
"""

from __future__ import annotations

import datetime as dt
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
    identifier,
    table_columns,
)
from asset_checks.rules import (
    future_timestamp_rule,
    naive_timestamp_rule,
    schema_value_rules,
    scoped_rows_rule,
    timestamp_dtype_rule,
)
from asset_checks.schemas import CUSTOMER_STATE_SCHEMA, string_columns, timestamp_columns
from resources.customerio.limits import (
    ATTRIBUTE_NAME_MAX_BYTES,
    ATTRIBUTE_VALUE_MAX_BYTES,
    ATTRIBUTES_MAX_COUNT,
    IDENTIFIER_MAX_BYTES,
)
from resources.warehouse import WarehouseSession
from retention_assets.attributes import ATTRIBUTE_REGISTRY, ownership_violations
from retention_assets.tables import CUSTOMER_STATE_TABLE

STATE: Final = PartitionedTable(CUSTOMER_STATE_TABLE, "as_of_date")
STATE_KEYS: Final = ("customer_id", "as_of_date")
# Returns to an earlier value within the window before a synced attribute counts as flapping.
# One is business as usual (a subscription paused and resumed, an order refunded), two happen
# (paused, resumed, paused again; an order, a refund, another order); a model bug or two
# sources disagreeing alternate day after day: up to six changes, five returns, in 7 days.
FLAPPING_MIN_RETURNS: Final = 3


def customer_state_checks(
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
        _shared_email_check(),
        WarehouseCheck(
            name=names.STATE_ATTRIBUTE_FLAPPING,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                "Customers whose value of a synced attribute went back to an earlier value "
                f"at least {FLAPPING_MIN_RETURNS} times (A -> B -> A -> B -> A) within the last "
                f"{flapping_partitions} as_of_date partitions. A return or two is business as "
                "usual (a subscription paused and resumed, an order refunded, then another "
                "order); more are Customer.io updates that enter and exit journeys day after "
                "day: usually a model bug or two sources disagreeing. Warns only."
            ),
            partitions=STATE,
            severity=dg.AssetCheckSeverity.WARN,
            blocking=False,
            params=_flapping_window(flapping_partitions),
            rules=[_flapping_rule(mapped)] if mapped else [],
        ),
    ]


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


def _flapping_window(partitions: int) -> Callable[[Scope | None], Mapping[str, Any]]:
    """The first day of the ``partitions`` days ending with the last checked day."""

    def params(scope: Scope | None) -> Mapping[str, Any]:
        if scope is None:
            return {}
        return {
            "window_start": scope.last_day - dt.timedelta(days=partitions - 1),
            "min_returns": FLAPPING_MIN_RETURNS,
        }

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


def _shared_email_check() -> WarehouseCheck:
    return WarehouseCheck(
        name=names.STATE_SHARED_EMAIL,
        asset=names.CUSTOMER_STATE_ASSET,
        description=(
            "Customers of the partition whose emails are the same address once case and "
            "whitespace are ignored. Customer.io matches emails that way: it answers 200 to the "
            "identify of every customer but the first and silently drops their whole update, "
            "so those profiles go stale. Warns and does not block: one shared address (a "
            "household, a test account) must not hold back every other customer's update, and "
            "the sync's delivery audit finds each dropped update after the send, lists it in "
            "cio_sync.rejected_rows and retries it until the data is fixed. Fix it in the "
            "source: give each customer their own email, or merge the customers."
        ),
        partitions=STATE,
        severity=dg.AssetCheckSeverity.WARN,
        blocking=False,
        rules=[
            SqlRule(
                name=names.EMAIL_SHARED_BY_CUSTOMERS,
                description="One row per address held by several customers on one day: the "
                "address masked, how many customers hold it and their ids.",
                sql=sql.SHARED_EMAILS.format(
                    key="customer_id",
                    partition_column=STATE.partition_column,
                    table=STATE.table,
                ),
                order_by=f"{STATE.partition_column}, customers DESC, customer_ids",
                params={"whitespace": sql.EMAIL_WHITESPACE},
            )
        ],
    )


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
        description=f"Customers and synced columns whose value returned to an earlier value "
        f"{FLAPPING_MIN_RETURNS} times or more; `history` lists the successive values, "
        "`changes` counts the changes.",
        sql=sql.FLAPPING.format(
            key="customer_id",
            partition_column=STATE.partition_column,
            columns=", ".join(identifier(column) for column in columns),
            text_columns=", ".join(sql.AS_TEXT.format(column=column) for column in columns),
            table=STATE.table,
        ),
        order_by="customer_id, column_name",
    )
