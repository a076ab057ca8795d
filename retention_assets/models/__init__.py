"""The warehouse models: customer state and customer events, built by SQL in the warehouse."""

from __future__ import annotations

from retention_assets.models.customer_state import retention_customer_state
from retention_assets.models.events import retention_events

MODEL_ASSETS = [retention_customer_state, retention_events]
