"""The locked event vocabulary: the only event names that may reach Customer.io.

Journeys in Customer.io are triggered by exact event names, so a renamed or misspelt event
silently stops a campaign. Models, checks and the sync all read the names from here.
"""

from __future__ import annotations

from typing import Final

ORDER_PLACED: Final = "Order Placed"
ORDER_REFUNDED: Final = "Order Refunded"
SUBSCRIPTION_STARTED: Final = "Subscription Started"
SUBSCRIPTION_PAUSED: Final = "Subscription Paused"
SUBSCRIPTION_CANCELLED: Final = "Subscription Cancelled"
SUPPORT_TICKET_OPENED: Final = "Support Ticket Opened"

EVENT_NAMES: Final[tuple[str, ...]] = (
    ORDER_PLACED,
    ORDER_REFUNDED,
    SUBSCRIPTION_STARTED,
    SUBSCRIPTION_PAUSED,
    SUBSCRIPTION_CANCELLED,
    SUPPORT_TICKET_OPENED,
)

EVENT_DESCRIPTIONS: Final[dict[str, str]] = {
    ORDER_PLACED: "A placed (not cancelled) order; key: order_id.",
    ORDER_REFUNDED: "A refund on an order, sent when it lands, even days late; key: refund_id.",
    SUBSCRIPTION_STARTED: "A subscription became active (new, or resumed after a pause).",
    SUBSCRIPTION_PAUSED: "An active subscription was paused.",
    SUBSCRIPTION_CANCELLED: "A subscription was cancelled.",
    SUPPORT_TICKET_OPENED: "A support ticket was opened; key: ticket_id.",
}
