"""Pandera schemas of the two models: the data contract of shared/design.md as code.

The schemas are the one declaration of each model's columns, types, nullability and allowed
values. The checks compile the nullability and allowed-value parts into warehouse SQL (so a
million rows are judged where they live) and validate the bounded sample of failing rows with
the schema itself, so the person reading a failure sees Pandera's verdict per row.

Types are those a warehouse row has after ``pyarrow.Table.to_pandas`` under pandas 3 (see
``asset_checks.factory.to_frame``): timestamps are ``datetime64[us, UTC]`` — Pandera's default
``DateTime`` is nanoseconds and naive, which would reject every correct row —, dates are
``datetime.date`` objects, integers and booleans are pandas' nullable ``Int64``/``boolean``.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine

from retention_assets.shop_specs import EVENT_NAMES
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE

UTC_TIMESTAMP: Final = pd.DatetimeTZDtype(unit="us", tz="UTC")
DATE: Final = pandas_engine.Date
MONEY: Final = pandas_engine.Decimal(18, 2)

# Pandera's own dtype object, to recognise timestamp columns in a schema.
_UTC_DTYPE: Final = pandas_engine.Engine.dtype(UTC_TIMESTAMP)

VIP_TIERS: Final = ("gold", "silver", "none")
SUBSCRIPTION_STATUSES: Final = ("active", "paused", "cancelled", "none")
GROSS_MARGIN_BUCKETS: Final = ("high", "medium", "low")

# An id of spaces is as useless to Customer.io as a null one.
NOT_BLANK: Final = pa.Check(
    lambda values: values.str.strip().str.len() > 0, name="not_blank", element_wise=False
)


def _timestamp(*, nullable: bool = True) -> pa.Column:
    return pa.Column(UTC_TIMESTAMP, nullable=nullable)


# Booleans are never null: the sync skips nulls, so a null would leave a stale true on the
# profile (an old replenishment reminder, a lapsed discount).
CUSTOMER_STATE_SCHEMA: Final = pa.DataFrameSchema(
    name=CUSTOMER_STATE_TABLE,
    columns={
        "customer_id": pa.Column(str, NOT_BLANK, nullable=False),
        "as_of_date": pa.Column(DATE, nullable=False),
        "email": pa.Column(str, nullable=True),
        "lifetime_orders": pa.Column("Int64", pa.Check.ge(0), nullable=False),
        "lifetime_revenue": pa.Column(MONEY, nullable=False),
        "first_order_at": _timestamp(),
        "last_order_at": _timestamp(),
        "top_category": pa.Column(str, nullable=True),
        "predicted_next_purchase_at": _timestamp(),
        "needs_replenishment": pa.Column("boolean", nullable=False),
        "vip_tier": pa.Column(str, pa.Check.isin(VIP_TIERS), nullable=False),
        "is_vip": pa.Column("boolean", nullable=False),
        "vip_definition_version": pa.Column("Int32", pa.Check.ge(1), nullable=False),
        "subscription_status": pa.Column(str, pa.Check.isin(SUBSCRIPTION_STATUSES), nullable=False),
        "has_active_subscription": pa.Column("boolean", nullable=False),
        "last_refund_at": _timestamp(),
        "gross_margin_bucket": pa.Column(str, pa.Check.isin(GROSS_MARGIN_BUCKETS), nullable=True),
        "discount_eligible": pa.Column("boolean", nullable=False),
        "last_activity_at": _timestamp(),
        "is_reactivation_eligible": pa.Column("boolean", nullable=False),
        "loyalty_points": pa.Column("Int64", nullable=True),
        "loyalty_tier": pa.Column(str, nullable=True),
    },
    unique=["customer_id", "as_of_date"],
)

EVENTS_SCHEMA: Final = pa.DataFrameSchema(
    name=EVENTS_TABLE,
    columns={
        "event_key": pa.Column(str, NOT_BLANK, nullable=False, unique=True),
        "event_name": pa.Column(str, pa.Check.isin(EVENT_NAMES), nullable=False),
        "customer_id": pa.Column(str, nullable=True),
        "occurred_at": _timestamp(nullable=False),
        "event_date": pa.Column(DATE, nullable=False),
        "properties": pa.Column(str, nullable=True),
        "loaded_at": _timestamp(),
    },
)


def timestamp_columns(schema: pa.DataFrameSchema) -> list[str]:
    """The schema's UTC timestamp columns, in declaration order."""
    return [name for name, column in schema.columns.items() if column.dtype == _UTC_DTYPE]
