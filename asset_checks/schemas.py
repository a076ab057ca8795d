"""The two models' data contract (shared/design.md) as code.

The contracts are the one declaration of each model's columns, types, nullability and allowed
values. The checks compile the nullability and allowed-value parts into warehouse SQL (so a
million rows are judged where they live) and validate the bounded sample of failing rows with
the contract's Pandera schema (``asset_checks.samples.pandera_schema``), so the person reading a
failure sees Pandera's verdict per row.

A contract is plain data rather than a Pandera schema: the code location builds every check's
rules from the contracts when it loads, and importing pandas and Pandera costs about 0.6 s that
a load which runs no check would pay for nothing (issue 15). The Pandera schema is built when a
check first validates a sample.

Types are those a warehouse row has after ``pyarrow.Table.to_pandas`` under pandas 3 (see
``asset_checks.samples.to_frame``): timestamps are ``datetime64[us, UTC]`` — Pandera's default
``DateTime`` is nanoseconds and naive, which would reject every correct row —, dates are
``datetime.date`` objects, integers and booleans are pandas' nullable ``Int64``/``boolean``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from retention_assets.shop_specs import EVENT_NAMES
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE


class Dtype(enum.Enum):
    """A column's type in a sample; the value names it in descriptions (pandas' name if any)."""

    TEXT = "str"
    DATE = "date"
    UTC_TIMESTAMP = "datetime64[us, UTC]"
    INT32 = "Int32"
    INT64 = "Int64"
    BOOLEAN = "boolean"
    MONEY = "decimal(18, 2)"


class TextCheck(enum.Enum):
    """A check of text values with no SQL form in the model checks; the value is its name."""

    # An id of spaces is as useless to Customer.io as a null one.
    NOT_BLANK = "not_blank"
    TRIMMED = "trimmed"


@dataclass(frozen=True)
class Allowed:
    """The column holds only these values (Pandera's ``isin``)."""

    values: tuple[str, ...]


@dataclass(frozen=True)
class AtLeast:
    """The column's values are at least ``minimum`` (Pandera's ``greater_than_or_equal_to``)."""

    minimum: int


ValueCheck = TextCheck | Allowed | AtLeast


@dataclass(frozen=True)
class ColumnContract:
    """A column's type, whether it may be null, its value checks, and whether it is unique."""

    dtype: Dtype
    nullable: bool
    checks: tuple[ValueCheck, ...] = ()
    unique: bool = False


# Compared and hashed by identity: ``samples.pandera_schema`` builds each contract's schema once.
@dataclass(frozen=True, eq=False)
class TableContract:
    """A table's columns, and the columns whose values are unique together."""

    name: str
    columns: Mapping[str, ColumnContract]
    unique: tuple[str, ...] = ()

    def timestamp_columns(self) -> list[str]:
        """The UTC timestamp columns, in declaration order."""
        return [
            name for name, column in self.columns.items() if column.dtype == Dtype.UTC_TIMESTAMP
        ]


VIP_TIERS: Final = ("gold", "silver", "none")
SUBSCRIPTION_STATUSES: Final = ("active", "paused", "cancelled", "none")
GROSS_MARGIN_BUCKETS: Final = ("high", "medium", "low")


def _text(*checks: ValueCheck, nullable: bool = True) -> ColumnContract:
    return ColumnContract(Dtype.TEXT, nullable, checks)


def _timestamp(*, nullable: bool = True) -> ColumnContract:
    return ColumnContract(Dtype.UTC_TIMESTAMP, nullable)


def _required(dtype: Dtype, *checks: ValueCheck) -> ColumnContract:
    return ColumnContract(dtype, False, checks)


# Booleans are never null: the sync skips nulls, so a null would leave a stale true on the
# profile (an old replenishment reminder, a lapsed discount).
CUSTOMER_STATE_SCHEMA: Final = TableContract(
    name=CUSTOMER_STATE_TABLE,
    columns={
        "customer_id": _text(TextCheck.NOT_BLANK, nullable=False),
        "as_of_date": _required(Dtype.DATE),
        "email": _text(),
        "lifetime_orders": _required(Dtype.INT64, AtLeast(0)),
        "lifetime_revenue": _required(Dtype.MONEY),
        "first_order_at": _timestamp(),
        "last_order_at": _timestamp(),
        "top_category": _text(),
        "predicted_next_purchase_at": _timestamp(),
        "needs_replenishment": _required(Dtype.BOOLEAN),
        "vip_tier": _text(Allowed(VIP_TIERS), nullable=False),
        "is_vip": _required(Dtype.BOOLEAN),
        "vip_definition_version": _required(Dtype.INT32, AtLeast(1)),
        "subscription_status": _text(Allowed(SUBSCRIPTION_STATUSES), nullable=False),
        "has_active_subscription": _required(Dtype.BOOLEAN),
        "last_refund_at": _timestamp(),
        "gross_margin_bucket": _text(Allowed(GROSS_MARGIN_BUCKETS)),
        "discount_eligible": _required(Dtype.BOOLEAN),
        "last_activity_at": _timestamp(),
        "is_reactivation_eligible": _required(Dtype.BOOLEAN),
        "loyalty_points": ColumnContract(Dtype.INT64, nullable=True),
        "loyalty_tier": _text(),
    },
    unique=("customer_id", "as_of_date"),
)

EVENTS_SCHEMA: Final = TableContract(
    name=EVENTS_TABLE,
    columns={
        "event_key": ColumnContract(
            Dtype.TEXT, nullable=False, checks=(TextCheck.NOT_BLANK,), unique=True
        ),
        "event_name": _text(Allowed(EVENT_NAMES), nullable=False),
        "customer_id": _text(),
        "occurred_at": _timestamp(nullable=False),
        "event_date": _required(Dtype.DATE),
        "properties": _text(),
        "loaded_at": _timestamp(),
    },
)
