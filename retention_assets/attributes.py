"""The attribute registry: which Customer.io attributes exist, who writes each, and how nulls sync.

Customer.io profiles are written by several systems (real-time tracking, the shop's own
integration, this pipeline). Two writers of one attribute overwrite each other and journeys
flicker, so every attribute has exactly one declared owner, and the sync writes only those
owned by this pipeline. This module is the single source of that fact: the ownership check,
the sync plan and the docs all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

PIPELINE_OWNER: Final = "retention_pipeline"
REALTIME_OWNER: Final = "realtime_tracking"
CUSTOMERIO_OWNER: Final = "customerio"


class NullPolicy(StrEnum):
    """What a null in the warehouse does to the profile attribute."""

    SKIP = "skip"  # leave the value in Customer.io as it is
    CLEAR = "clear"  # remove the attribute from the profile


class ValueKind(StrEnum):
    """How a column's value is encoded for Customer.io."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"  # sent as integer unix seconds


@dataclass(frozen=True)
class Attribute:
    name: str
    owner: str
    kind: ValueKind
    description: str
    null_policy: NullPolicy = NullPolicy.SKIP


def _ours(
    name: str, kind: ValueKind, description: str, null_policy: NullPolicy = NullPolicy.SKIP
) -> Attribute:
    return Attribute(name, PIPELINE_OWNER, kind, description, null_policy)


STR, INT, NUM = ValueKind.STRING, ValueKind.INTEGER, ValueKind.NUMBER
BOOL, TS = ValueKind.BOOLEAN, ValueKind.TIMESTAMP

ATTRIBUTE_REGISTRY: Final[dict[str, Attribute]] = {
    attribute.name: attribute
    for attribute in (
        _ours("email", STR, "Latest known email, trimmed and lower-cased."),
        _ours("lifetime_orders", INT, "Number of placed (not cancelled) orders."),
        _ours("lifetime_revenue", NUM, "Revenue of placed orders minus their refunds."),
        _ours("first_order_at", TS, "When the first placed order happened."),
        _ours("last_order_at", TS, "When the latest placed order happened."),
        _ours("top_category", STR, "Category with the most units bought."),
        _ours(
            "predicted_next_purchase_at",
            TS,
            "Last order plus the top category's replenishment days.",
            # A stale prediction would keep firing replenishment reminders: remove it instead.
            NullPolicy.CLEAR,
        ),
        _ours("needs_replenishment", BOOL, "The predicted next purchase date has passed."),
        _ours("vip_tier", STR, "gold, silver or none, from lifetime revenue."),
        _ours("is_vip", BOOL, "vip_tier is gold or silver."),
        _ours("vip_definition_version", INT, "Version of the VIP rule that produced vip_tier."),
        _ours("subscription_status", STR, "active, paused, cancelled or none."),
        _ours("has_active_subscription", BOOL, "subscription_status is active."),
        _ours("last_refund_at", TS, "When the latest refund happened."),
        _ours("gross_margin_bucket", STR, "high, medium or low margin over placed items."),
        _ours("discount_eligible", BOOL, "Margin is high or medium, so a discount is affordable."),
        _ours("last_activity_at", TS, "Latest order, web session or support ticket."),
        _ours(
            "is_reactivation_eligible", BOOL, "Has ordered, but no activity in the last 60 days."
        ),
        _ours("loyalty_points", INT, "Current loyalty points balance."),
        _ours("loyalty_tier", STR, "Current loyalty tier.", NullPolicy.CLEAR),
        Attribute("last_seen", REALTIME_OWNER, TS, "Last page view, set by real-time tracking."),
        Attribute("created_at", CUSTOMERIO_OWNER, TS, "When the profile was created."),
        Attribute(
            "unsubscribed", CUSTOMERIO_OWNER, BOOL, "Global unsubscribe, set by Customer.io."
        ),
    )
}

# Model column -> Customer.io attribute written by the sync. The contract keeps the names
# equal; the mapping exists so that a rename (or a mistake) is caught by the ownership check.
SYNC_MAPPING: Final[dict[str, str]] = {
    name: name
    for name, attribute in ATTRIBUTE_REGISTRY.items()
    if attribute.owner == PIPELINE_OWNER
}


def ownership_violations(mapping: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(column, attribute, problem)`` for each mapped attribute this pipeline may not write."""
    problems = []
    for column, name in mapping.items():
        attribute = ATTRIBUTE_REGISTRY.get(name)
        if attribute is None:
            problems.append((column, name, "not declared in the attribute registry"))
        elif attribute.owner != PIPELINE_OWNER:
            problems.append((column, name, f"owned by {attribute.owner}"))
    return problems
