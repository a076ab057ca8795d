"""Column lineage, declared once: raw columns -> model columns -> Customer.io fields.

People ask "where does ``lifetime_revenue`` come from?" and "which warehouse column feeds the
``vip_tier`` attribute?" in the Dagster UI. The answer is data here, read by the asset
definitions, which publish it twice: as Dagster's ``dagster/column_lineage`` metadata (for
tools and catalogs that draw column graphs) and as a "From" note in each column's
description, which the open-source UI shows in the asset's column table. The model SQL is
the truth; this mapping names the raw columns each output column is computed from (values
and the filters that decide them, such as an order's status), so a change of the SQL's
inputs must come with a change here.

Customer.io fields follow from other declarations: profile attributes from the shop's
profile spec (``shop_specs.SYNC_MAPPING``, a model column per attribute), event fields from
the events model's columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import dagster as dg

from retention_assets.shop_specs import SYNC_MAPPING
from retention_assets.sources.raw_schema import RAW_TABLES
from retention_assets.tables import RAW_SCHEMA

CUSTOMER_STATE_ASSET: Final = dg.AssetKey("retention_customer_state")
EVENTS_ASSET: Final = dg.AssetKey("retention_events")

# A column of another asset: (asset key, column name).
ColumnRef = tuple[dg.AssetKey, str]


def _raw(table: str, *columns: str) -> tuple[ColumnRef, ...]:
    # Fails at import on a column the raw contract does not declare, so the lineage cannot
    # name a column that does not exist.
    declared = RAW_TABLES[table].column_names
    for column in columns:
        if column not in declared:
            raise KeyError(f"{RAW_SCHEMA}.{table}.{column} is not part of the raw contract")
    return tuple((dg.AssetKey([RAW_SCHEMA, table]), column) for column in columns)


_PLACED_ORDERS: Final = _raw("orders", "order_id", "status", "placed_at")
_REVENUE: Final = (
    *_raw("orders", "status", "total_amount"),
    *_raw("refunds", "order_id", "amount"),
)
_ITEMS: Final = _raw("order_items", "category", "quantity")
_MARGIN: Final = _raw("order_items", "quantity", "unit_price", "unit_cost")
_ACTIVITY: Final = (
    *_raw("orders", "placed_at"),
    *_raw("web_sessions", "started_at"),
    *_raw("support_tickets", "opened_at"),
)
_NEXT_PURCHASE: Final = (
    *_raw("orders", "placed_at"),
    *_ITEMS,
    *_raw("categories", "replenishment_days"),
)

_ERASURES: Final = _raw("privacy_requests", "customer_id", "request_type")

# retention_customer_state column -> the raw columns it is computed from. as_of_date is the
# partition and vip_definition_version a rule constant: neither reads a raw column.
CUSTOMER_STATE_LINEAGE: Final[dict[str, tuple[ColumnRef, ...]]] = {
    # An erasure request keeps a customer out of every day.
    "customer_id": (*_raw("customers", "customer_id"), *_ERASURES),
    "email": _raw("customers", "email", "updated_at"),
    "lifetime_orders": _PLACED_ORDERS,
    "lifetime_revenue": _REVENUE,
    "first_order_at": _PLACED_ORDERS,
    "last_order_at": _PLACED_ORDERS,
    "top_category": _ITEMS,
    "predicted_next_purchase_at": _NEXT_PURCHASE,
    "needs_replenishment": _NEXT_PURCHASE,
    "vip_tier": _REVENUE,
    "is_vip": _REVENUE,
    "subscription_status": _raw("subscriptions", "status", "updated_at"),
    "has_active_subscription": _raw("subscriptions", "status", "updated_at"),
    "last_refund_at": _raw("refunds", "refunded_at"),
    "gross_margin_bucket": _MARGIN,
    "discount_eligible": _MARGIN,
    "last_activity_at": _ACTIVITY,
    "is_reactivation_eligible": (*_raw("orders", "order_id"), *_ACTIVITY),
    "loyalty_points": _raw("loyalty_accounts", "points_balance", "updated_at"),
    "loyalty_tier": _raw("loyalty_accounts", "tier", "updated_at"),
}

_EVENT_TIMES: Final = (
    *_raw("orders", "placed_at"),
    *_raw("refunds", "refunded_at"),
    *_raw("subscriptions", "updated_at"),
    *_raw("support_tickets", "opened_at"),
)

# retention_events column -> the raw columns it is computed from.
EVENTS_LINEAGE: Final[dict[str, tuple[ColumnRef, ...]]] = {
    "event_key": (
        *_raw("orders", "order_id"),
        *_raw("refunds", "refund_id"),
        *_raw("subscriptions", "subscription_id", "status", "updated_at"),
        *_raw("support_tickets", "ticket_id"),
    ),
    "event_name": _raw("orders", "status") + _raw("subscriptions", "status"),
    "customer_id": (
        *_raw("orders", "customer_id"),
        *_raw("subscriptions", "customer_id"),
        *_raw("support_tickets", "customer_id"),
        *_ERASURES,
    ),
    "occurred_at": _EVENT_TIMES,
    "event_date": _EVENT_TIMES,
    "properties": (
        *_raw("orders", "order_id", "total_amount", "currency"),
        *_raw("order_items", "quantity"),
        *_raw("refunds", "refund_id", "order_id", "amount", "reason"),
        *_raw("subscriptions", "subscription_id", "status"),
        *_raw("support_tickets", "ticket_id"),
    ),
    "loaded_at": tuple(
        ref
        for table in ("orders", "refunds", "subscriptions", "support_tickets")
        for ref in _raw(table, "_loaded_at")
    ),
}

# retention_erasure_requests column -> the raw columns it is computed from.
ERASURE_LINEAGE: Final[dict[str, tuple[ColumnRef, ...]]] = {
    "customer_id": _ERASURES,
    "requested_at": _raw("privacy_requests", "requested_at"),
}

# Customer.io person fields the profile sync writes -> the customer-state column each carries.
# The plan in between is a per-attribute diff that passes values through unchanged.
PROFILE_LINEAGE: Final[dict[str, tuple[ColumnRef, ...]]] = {
    "id": ((CUSTOMER_STATE_ASSET, "customer_id"),),
    **{attribute: ((CUSTOMER_STATE_ASSET, column),) for column, attribute in SYNC_MAPPING.items()},
}

# Customer.io event fields the event sync writes -> the events-model columns behind them.
EVENT_FIELD_LINEAGE: Final[dict[str, tuple[ColumnRef, ...]]] = {
    "id": ((EVENTS_ASSET, "event_key"),),
    "name": ((EVENTS_ASSET, "event_name"),),
    "customer_id": ((EVENTS_ASSET, "customer_id"),),
    "timestamp": ((EVENTS_ASSET, "occurred_at"),),
    "data": ((EVENTS_ASSET, "properties"),),
}

# Plan tables copy these columns from their model unchanged.
EVENTS_PLAN_LINEAGE: Final[dict[str, tuple[ColumnRef, ...]]] = {
    column: ((EVENTS_ASSET, column),)
    for column in ("event_key", "event_name", "customer_id", "occurred_at", "event_date")
}
CUSTOMER_STATE_PLAN_LINEAGE: Final[dict[str, tuple[ColumnRef, ...]]] = {
    "as_of_date": ((CUSTOMER_STATE_ASSET, "as_of_date"),),
    "customer_id": ((CUSTOMER_STATE_ASSET, "customer_id"),),
    "value_json": tuple((CUSTOMER_STATE_ASSET, column) for column in SYNC_MAPPING),
}


def column_lineage(lineage: Mapping[str, Sequence[ColumnRef]]) -> dg.TableColumnLineage:
    """Dagster's ``dagster/column_lineage`` value for one asset's lineage mapping."""
    return dg.TableColumnLineage(
        deps_by_column={
            column: [dg.TableColumnDep(asset_key=key, column_name=name) for key, name in refs]
            for column, refs in lineage.items()
        }
    )


def lineage_note(refs: Sequence[ColumnRef]) -> str:
    """`` From raw.orders.total_amount, raw.refunds.amount.`` for a column's description."""
    if not refs:
        return ""
    sources = ", ".join(
        dict.fromkeys(f"{key.to_user_string().replace('/', '.')}.{name}" for key, name in refs)
    )
    return f" From {sources}."
