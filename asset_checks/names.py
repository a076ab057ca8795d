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
STATE_ONE_ROW_PER_CUSTOMER: Final = "customer_state_one_row_per_customer"
STATE_TIMESTAMPS_UTC: Final = "customer_state_timestamps_utc"
STATE_ALLOWED_VALUES: Final = "customer_state_allowed_values"
STATE_CUSTOMERIO_LIMITS: Final = "customer_state_customerio_limits"
STATE_ATTRIBUTE_OWNERSHIP: Final = "customer_state_attribute_ownership"
STATE_ATTRIBUTE_FLAPPING: Final = "customer_state_attribute_flapping"
STATE_SHARED_EMAIL: Final = "customer_state_shared_email"

# Checks on retention_events.
EVENTS_UNIQUE_KEY: Final = "events_unique_key"
EVENTS_TIMESTAMPS_UTC: Final = "events_timestamps_utc"
EVENTS_VOCABULARY: Final = "events_vocabulary"
EVENTS_CUSTOMERIO_LIMITS: Final = "events_customerio_limits"

# The models' freshness checks (asset_checks.model_checks.freshness_checks).
FRESHNESS: Final = "freshness_check"

# Rules: one row per customer / unique events.
MISSING_CUSTOMER_ID: Final = "missing_customer_id"
DUPLICATE_CUSTOMER_PER_DAY: Final = "duplicate_customer_per_day"
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
ATTRIBUTE_NAME_TOO_LONG: Final = "attribute_name_too_long"
TOO_MANY_ATTRIBUTES: Final = "too_many_attributes"
ATTRIBUTE_VALUE_TOO_LONG: Final = "attribute_value_too_long"
EVENT_NAME_TOO_LONG: Final = "event_name_too_long"
PROPERTIES_TOO_LARGE: Final = "properties_too_large"
EVENT_WITHOUT_CUSTOMER_ID: Final = "event_without_customer_id"

# Rules: attribute ownership and stability.
ATTRIBUTE_NOT_OWNED: Final = "attribute_not_owned_by_pipeline"
MAPPED_COLUMN_MISSING: Final = "mapped_column_missing"
FLAPPING_ATTRIBUTE: Final = "flapping_attribute"
EMAIL_SHARED_BY_CUSTOMERS: Final = "email_shared_by_customers"


# Rules compiled from a Pandera schema are named after the column they guard.
def null_rule(column: str) -> str:
    return f"{column}_is_null"


def not_allowed_rule(column: str) -> str:
    return f"{column}_not_allowed"


def below_minimum_rule(column: str) -> str:
    return f"{column}_below_minimum"
