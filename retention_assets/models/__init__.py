"""The warehouse models: customer state, events, loyalty programs, audiences and erasure
requests, built by SQL."""

from __future__ import annotations

from retention_assets.models.audiences import retention_vip_audience
from retention_assets.models.customer_state import retention_customer_state
from retention_assets.models.erasures import retention_erasure_requests
from retention_assets.models.events import retention_events
from retention_assets.models.loyalty import retention_loyalty_members, retention_loyalty_programs

MODEL_ASSETS = [
    retention_customer_state,
    retention_events,
    retention_loyalty_programs,
    retention_loyalty_members,
    retention_vip_audience,
    retention_erasure_requests,
]
