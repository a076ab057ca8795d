"""The checks of ``retention_customer_state`` that its profile spec's checks do not make.

The spec of the shop's profile sync gives the model the checks every source gets
(``asset_checks.spec_checks``: one trimmed id per customer per day, real past timestamps,
Customer.io's size limits), and loading the spec refuses a mapping onto an attribute another
system owns. What only this model promises is checked here. ERROR and blocking: timestamp
columns stored with a zone and read as UTC, and the schema's allowed values. WARN: flapping
attributes (suspicious, not wrong) and emails shared by several customers (Customer.io drops
all but one of their updates; the sync's delivery audit catches and retries each one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import dagster as dg

from asset_checks import names, sql
from asset_checks.factory import (
    PartitionedTable,
    Scope,
    SqlRule,
    WarehouseCheck,
    identifier,
)
from asset_checks.rules import naive_timestamp_rule, schema_value_rules, timestamp_dtype_rule
from asset_checks.schemas import CUSTOMER_STATE_SCHEMA
from resources.customerio.emails import EMAIL_WHITESPACE
from retention_assets.tables import CUSTOMER_STATE_TABLE

STATE: Final = PartitionedTable(CUSTOMER_STATE_TABLE, "as_of_date")
STATE_KEYS: Final = ("customer_id", "as_of_date")
# Returns to an earlier value within the window before a synced attribute counts as flapping.
# One is business as usual (a subscription paused and resumed, an order refunded), two happen
# (paused, resumed, paused again; an order, a refund, another order); a model bug or two
# sources disagreeing alternate day after day: up to six changes, five returns, in 7 days.
FLAPPING_MIN_RETURNS: Final = 3


def customer_state_checks(
    mapping: Mapping[str, str], flapping_partitions: int
) -> list[WarehouseCheck]:
    schema = CUSTOMER_STATE_SCHEMA
    keys = STATE_KEYS
    mapped = [column for column in mapping if column in schema.columns and column not in keys]
    value_columns = [
        column
        for column in schema.columns
        if column not in keys and column not in schema.timestamp_columns()
    ]
    return [
        WarehouseCheck(
            name=names.STATE_TIMESTAMPS_UTC,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                "Every timestamp column is stored with a time zone and reaches Python as UTC. "
                "Customer.io receives unix seconds: a wrong zone shifts every date journey. "
                "(Future and sentinel values are customer_state__timestamps' findings.) "
                "Blocks the sync."
            ),
            partitions=STATE,
            rules=[naive_timestamp_rule(STATE, schema), timestamp_dtype_rule(STATE, schema)],
        ),
        WarehouseCheck(
            name=names.STATE_ALLOWED_VALUES,
            asset=names.CUSTOMER_STATE_ASSET,
            description=(
                "Columns the contract says are always set are set, and categorical columns hold "
                "only their allowed values (the model contract in asset_checks/schemas.py). "
                "Journeys branch on these exact values. Blocks the sync."
            ),
            partitions=STATE,
            rules=schema_value_rules(schema, STATE, keys, value_columns),
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
                params={"whitespace": EMAIL_WHITESPACE},
            )
        ],
    )


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
