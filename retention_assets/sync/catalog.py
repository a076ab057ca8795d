"""What the Dagster UI shows about the ``cio_sync`` assets besides their descriptions.

A retention marketer opening a sync asset should find which Customer.io attributes it writes
(and who owns the others), which event names it sends and what a backfill does to them; a
data engineer should find the plan tables' columns and where each Customer.io field comes
from. All of it is rendered from the declarations that drive the sync (the attribute
registry, the event vocabulary, the column lineage), so the UI cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import dagster as dg

from retention_assets.attributes import ATTRIBUTE_REGISTRY, PIPELINE_OWNER, SYNC_MAPPING
from retention_assets.lineage import (
    CUSTOMER_STATE_PLAN_LINEAGE,
    EVENT_FIELD_LINEAGE,
    EVENTS_PLAN_LINEAGE,
    PROFILE_LINEAGE,
    ColumnRef,
    column_lineage,
    lineage_note,
)
from retention_assets.sync.policies import BACKFILL_SUFFIX
from retention_assets.vocabulary import EVENT_DESCRIPTIONS

ATTRIBUTE_REGISTRY_PATH: Final = "retention_assets/attributes.py"
EVENT_VOCABULARY_PATH: Final = "retention_assets/vocabulary.py"
SYNC_POLICIES_PATH: Final = "retention_assets/sync/policies.py"


def _schema(
    columns: Sequence[tuple[str, str, str]], lineage: Mapping[str, Sequence[ColumnRef]]
) -> dg.TableSchema:
    """A column schema whose descriptions end with where each column comes from."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name, type=kind, description=description + lineage_note(lineage.get(name, ()))
            )
            for name, kind, description in columns
        ]
    )


def _attribute_ownership_table() -> str:
    synced = set(SYNC_MAPPING.values())
    rows = [
        f"| `{attribute.name}` | {attribute.owner} | {attribute.kind} | {attribute.null_policy}"
        f" | {'yes' if attribute.name in synced else 'no'} | {attribute.description} |"
        for attribute in ATTRIBUTE_REGISTRY.values()
    ]
    return (
        f"Every Customer.io attribute and its single writer ({ATTRIBUTE_REGISTRY_PATH}). This"
        f" sync writes only attributes owned by `{PIPELINE_OWNER}`; nulls follow the policy"
        " (`skip` keeps the value in Customer.io, `clear` removes it).\n\n"
        "| attribute | owner | type | nulls | written here | meaning |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows)
    )


def _event_vocabulary_table() -> str:
    rows = [
        f"| {name} | {name}{BACKFILL_SUFFIX} | {description} |"
        for name, description in EVENT_DESCRIPTIONS.items()
    ]
    return (
        f"The only event names sent to Customer.io ({EVENT_VOCABULARY_PATH}). Journeys trigger"
        " on these exact names. In a backfill, events inside the 72-hour trigger window get"
        " the backfill name under the default `rename` policy.\n\n"
        "| event | name in a backfill | meaning |\n|---|---|---|\n" + "\n".join(rows)
    )


_PROFILE_COLUMNS: Final = [
    ("id", "string", "Customer.io person id: the canonical customer_id, never the email."),
    *(
        (
            attribute,
            str(ATTRIBUTE_REGISTRY[attribute].kind),
            f"{ATTRIBUTE_REGISTRY[attribute].description} Nulls:"
            f" {ATTRIBUTE_REGISTRY[attribute].null_policy}.",
        )
        for attribute in SYNC_MAPPING.values()
    ),
]
_EVENT_FIELDS: Final = [
    ("id", "ULID", "Assigned once per event_key at its first plan: a resend is deduplicated."),
    ("name", "string", "Vocabulary name, or its backfill name inside the trigger window."),
    ("customer_id", "string", "The person the event is tracked on (identified by id)."),
    ("timestamp", "unix seconds", "When the event happened (UTC)."),
    ("data", "object", "The event's lean properties."),
]
_CUSTOMER_STATE_PLAN_COLUMNS: Final = [
    ("as_of_date", "DATE", "The customer-state partition that was planned."),
    ("customer_id", "VARCHAR", "Profile to identify."),
    ("attribute", "VARCHAR", "Customer.io attribute that changed."),
    ("action", "VARCHAR", "'set' a changed value, or 'clear' it (clear null policy)."),
    ("value_json", "VARCHAR", "Exact JSON value to send; null when cleared."),
    ("value_hash", "VARCHAR", "Hash recorded in the attribute ledger once acknowledged."),
]
_EVENTS_PLAN_COLUMNS: Final = [
    ("event_key", "VARCHAR", "Stable event key; keeps one Customer.io event id for good."),
    ("event_name", "VARCHAR", "Vocabulary name."),
    ("customer_id", "VARCHAR", "Person the event belongs to."),
    ("occurred_at", "TIMESTAMPTZ", "When the event happened (UTC)."),
    ("event_date", "DATE", "UTC day of occurred_at: the partition."),
    ("properties", "VARCHAR", "JSON sent as the event's data."),
    ("event_id", "VARCHAR", "The event's id (ULID) from cio_sync.event_ids, the same every send."),
]

_ATTRIBUTES: Final[dict[str, Any]] = {
    "attribute_ownership": dg.MetadataValue.md(_attribute_ownership_table()),
    "attribute_registry": dg.MetadataValue.path(ATTRIBUTE_REGISTRY_PATH),
    "sync_policies": dg.MetadataValue.path(SYNC_POLICIES_PATH),
}
_VOCABULARY: Final[dict[str, Any]] = {
    "event_vocabulary": dg.MetadataValue.md(_event_vocabulary_table()),
    "event_vocabulary_source": dg.MetadataValue.path(EVENT_VOCABULARY_PATH),
    "sync_policies": dg.MetadataValue.path(SYNC_POLICIES_PATH),
}

CUSTOMER_STATE_PLAN_METADATA: Final[dict[str, Any]] = {
    "dagster/table_name": "cio_sync.customer_state_plan",
    "dagster/column_schema": _schema(_CUSTOMER_STATE_PLAN_COLUMNS, CUSTOMER_STATE_PLAN_LINEAGE),
    "dagster/column_lineage": column_lineage(CUSTOMER_STATE_PLAN_LINEAGE),
    **_ATTRIBUTES,
}
CUSTOMER_STATE_SYNC_METADATA: Final[dict[str, Any]] = {
    "dagster/column_schema": _schema(_PROFILE_COLUMNS, PROFILE_LINEAGE),
    "dagster/column_lineage": column_lineage(PROFILE_LINEAGE),
    **_ATTRIBUTES,
}
EVENTS_PLAN_METADATA: Final[dict[str, Any]] = {
    "dagster/table_name": "cio_sync.events_plan",
    "dagster/column_schema": _schema(_EVENTS_PLAN_COLUMNS, EVENTS_PLAN_LINEAGE),
    "dagster/column_lineage": column_lineage(EVENTS_PLAN_LINEAGE),
    **_VOCABULARY,
}
EVENTS_SYNC_METADATA: Final[dict[str, Any]] = {
    "dagster/column_schema": _schema(_EVENT_FIELDS, EVENT_FIELD_LINEAGE),
    "dagster/column_lineage": column_lineage(EVENT_FIELD_LINEAGE),
    **_VOCABULARY,
}
