"""The example shop's event names, as the tests spell them.

The names are data of the shop's events spec (``retention_assets/defs/events/defs.yaml``); the
tests write the ones they use out, so that a renamed event fails the tests that expect it
(``tests/retention_assets/specs/test_examples.py`` holds these to the spec's vocabulary).
"""

from __future__ import annotations

from typing import Final

ORDER_PLACED: Final = "Order Placed"
ORDER_REFUNDED: Final = "Order Refunded"
SUBSCRIPTION_STARTED: Final = "Subscription Started"
SUBSCRIPTION_PAUSED: Final = "Subscription Paused"
SUBSCRIPTION_CANCELLED: Final = "Subscription Cancelled"
SUPPORT_TICKET_OPENED: Final = "Support Ticket Opened"

SHOP_EVENT_NAMES: Final = (
    ORDER_PLACED,
    ORDER_REFUNDED,
    SUBSCRIPTION_STARTED,
    SUBSCRIPTION_PAUSED,
    SUBSCRIPTION_CANCELLED,
    SUPPORT_TICKET_OPENED,
)
