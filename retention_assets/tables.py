"""Names of the warehouse tables the project writes: one place, so SQL and code agree."""

from __future__ import annotations

RAW_SCHEMA = "raw"
MODEL_SCHEMA = "retention"
SYNC_SCHEMA = "cio_sync"

CUSTOMER_STATE_TABLE = f"{MODEL_SCHEMA}.customer_state"
EVENTS_TABLE = f"{MODEL_SCHEMA}.events"

ATTRIBUTE_LEDGER_TABLE = f"{SYNC_SCHEMA}.attribute_ledger"
EVENT_LEDGER_TABLE = f"{SYNC_SCHEMA}.event_ledger"
REJECTED_ROWS_TABLE = f"{SYNC_SCHEMA}.rejected_rows"
