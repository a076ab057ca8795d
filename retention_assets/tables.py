"""Names of the warehouse tables the project writes: one place, so SQL and code agree."""

from __future__ import annotations

RAW_SCHEMA = "raw"
MODEL_SCHEMA = "retention"
SYNC_SCHEMA = "cio_sync"

CUSTOMER_STATE_TABLE = f"{MODEL_SCHEMA}.customer_state"
# How each day of customer_state was built, and what an incremental build of the next day checks.
CUSTOMER_STATE_BUILDS_TABLE = f"{MODEL_SCHEMA}.customer_state_builds"
EVENTS_TABLE = f"{MODEL_SCHEMA}.events"
LOYALTY_PROGRAMS_TABLE = f"{MODEL_SCHEMA}.loyalty_programs"
LOYALTY_MEMBERS_TABLE = f"{MODEL_SCHEMA}.loyalty_members"
VIP_AUDIENCE_TABLE = f"{MODEL_SCHEMA}.vip_audience"
ERASURE_REQUESTS_TABLE = f"{MODEL_SCHEMA}.erasure_requests"
