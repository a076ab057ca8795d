"""Stable names of the model checks and of the rules inside them.

Check names appear in the Dagster UI, in alerts and in run history; rule names appear in a
check's failure metadata. Tests, sensors and people's saved searches depend on them, so they
are declared once here instead of as string literals next to the SQL.
"""

from __future__ import annotations

from typing import Final

import dagster as dg

# Asset keys of the models the checks gate (the models own the definitions).
CUSTOMER_STATE_ASSET: Final = dg.AssetKey("retention_customer_state")
EVENTS_ASSET: Final = dg.AssetKey("retention_events")

# Checks on retention_customer_state.
STATE_TIMESTAMPS_UTC: Final = "customer_state_timestamps_utc"
STATE_ALLOWED_VALUES: Final = "customer_state_allowed_values"
STATE_ATTRIBUTE_FLAPPING: Final = "customer_state_attribute_flapping"
STATE_SHARED_EMAIL: Final = "customer_state_shared_email"

# Checks on retention_events.
EVENTS_TIMESTAMPS_UTC: Final = "events_timestamps_utc"

# The models' freshness checks (asset_checks.model_checks.freshness_checks).
FRESHNESS: Final = "freshness_check"

# Rules: ids and keys (of the spec checks, which share these names).
MISSING_CUSTOMER_ID: Final = "missing_customer_id"
MISSING_EVENT_KEY: Final = "missing_event_key"
DUPLICATE_EVENT_KEY: Final = "duplicate_event_key"

# Rules: timestamps.
NAIVE_TIMESTAMP_COLUMN: Final = "naive_timestamp_column"
TIMESTAMP_DTYPE_NOT_UTC: Final = "timestamp_dtype_not_utc"
FUTURE_TIMESTAMP: Final = "future_timestamp"
MISSING_OCCURRED_AT: Final = "missing_occurred_at"
EVENT_DATE_NOT_OCCURRED_AT_DAY: Final = "event_date_not_occurred_at_day"

# Rules: event vocabulary.
UNKNOWN_EVENT_NAME: Final = "unknown_event_name"
NEAR_DUPLICATE_EVENT_NAME: Final = "near_duplicate_event_name"

# Rules: Customer.io limits.
CUSTOMER_ID_TOO_LONG: Final = "customer_id_too_long"
ATTRIBUTE_VALUE_TOO_LONG: Final = "attribute_value_too_long"
PROPERTIES_TOO_LARGE: Final = "properties_too_large"

# Rules: attribute stability and shared emails.
FLAPPING_ATTRIBUTE: Final = "flapping_attribute"
EMAIL_SHARED_BY_CUSTOMERS: Final = "email_shared_by_customers"


# Rules compiled from a Pandera schema are named after the column they guard.
def null_rule(column: str) -> str:
    return f"{column}_is_null"


def not_allowed_rule(column: str) -> str:
    return f"{column}_not_allowed"


def below_minimum_rule(column: str) -> str:
    return f"{column}_below_minimum"
