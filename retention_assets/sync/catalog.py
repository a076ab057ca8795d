"""What the Dagster UI shows about a sync's assets besides their descriptions.

A retention marketer opening a sync asset should find which Customer.io attributes it writes
(and who owns the others), which event names it sends and what a backfill does to them; a
data engineer should find the plan tables' columns and which source column each Customer.io
field comes from. All of it is rendered from the sync's spec, so the UI cannot drift from what
the engine does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import dagster as dg

from retention_assets.lineage import ColumnRef, column_lineage, lineage_note
from retention_assets.sync.policies import BACKFILL_SUFFIX
from retention_assets.sync.stream import SyncStream

SYNC_POLICIES_PATH: Final = "retention_assets/sync/policies.py"

_CUSTOMER_STATE_PLAN_COLUMNS: Final = [
    ("as_of_date", "DATE", "The source partition that was planned."),
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
    (
        "event_id",
        "VARCHAR",
        "The event's id (ULID), assigned at its first plan, the same every send.",
    ),
]
_EVENT_FIELDS: Final = [
    ("id", "ULID", "Assigned once per event key at its first plan: a resend is deduplicated."),
    ("name", "string", "Vocabulary name, or its backfill name inside the trigger window."),
    ("customer_id", "string", "The person the event is tracked on (identified by id)."),
    ("timestamp", "unix seconds", "When the event happened (UTC)."),
    ("data", "object", "The event's lean properties."),
]


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


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> dg.TableMetadataValue:
    return dg.MetadataValue.table(
        records=[dg.TableRecord(dict(zip(columns, row, strict=True))) for row in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in columns]),
    )


def _ownership(stream: SyncStream) -> dict[str, Any]:
    columns = {m.attribute: m.column for m in stream.spec.attributes}
    rows = [
        (a.name, "this sync", str(a.kind), str(a.null_policy), columns[a.name], a.description)
        for a in stream.attributes
    ] + [
        (f.name, f.owner, str(f.kind), "-", "-", f.description)
        for f in stream.spec.workspace.foreign_attributes
    ]
    return {
        "attribute_ownership": _table(
            ("attribute", "owner", "type", "nulls", "source column", "meaning"), rows
        ),
        "sync_policies": dg.MetadataValue.path(SYNC_POLICIES_PATH),
    }


def _vocabulary(stream: SyncStream) -> dict[str, Any]:
    rows = [
        (name, f"{name}{BACKFILL_SUFFIX}", description)
        for name, description in stream.vocabulary.items()
    ]
    return {
        "event_vocabulary": _table(("event", "name in a backfill", "meaning"), rows),
        "sync_policies": dg.MetadataValue.path(SYNC_POLICIES_PATH),
    }


def _source(stream: SyncStream, column: str) -> tuple[ColumnRef, ...]:
    return ((stream.upstream, column),)


def _profile_lineage(stream: SyncStream) -> dict[str, tuple[ColumnRef, ...]]:
    return {
        "id": _source(stream, stream.spec.identity.column),
        **{m.attribute: _source(stream, m.column) for m in stream.spec.attributes},
    }


def _event_columns(stream: SyncStream) -> dict[str, tuple[ColumnRef, ...]]:
    """Canonical event column -> the source columns it is read from."""
    events = stream.spec.events
    assert events is not None
    name = events.name.column
    properties = [p.column for p in events.properties]
    if events.properties_object:
        properties.append(events.properties_object)
    return {
        "event_key": _source(stream, events.key),
        "event_name": _source(stream, name) if name else (),
        "customer_id": _source(stream, stream.spec.identity.column),
        "occurred_at": _source(stream, events.occurred_at.column),
        "event_date": _source(stream, events.occurred_at.column),
        "properties": tuple(ref for column in properties for ref in _source(stream, column)),
    }


def _membership_lineage(stream: SyncStream) -> dict[str, tuple[ColumnRef, ...]]:
    relationships = stream.spec.relationships
    lineage = {"person_id": _source(stream, stream.spec.identity.column)}
    if relationships is not None:
        lineage["object_id"] = _source(stream, relationships.object_id.column)
        lineage.update({m.attribute: _source(stream, m.column) for m in relationships.attributes})
    return lineage


def _membership_metadata(stream: SyncStream, table: str | None) -> dict[str, Any]:
    lineage = _membership_lineage(stream)
    columns = [
        ("person_id", "string", "Customer.io person id: the identity column."),
        *(
            [("object_id", "string", "The related object's id (of the spec's object type).")]
            if stream.membership == "relationships"
            else []
        ),
        *(
            (a.name, str(a.kind), f"Relationship attribute. {a.description}".strip())
            for a in stream.attributes
        ),
    ]
    metadata: dict[str, Any] = {
        "dagster/column_schema": _schema(columns, lineage),
        "dagster/column_lineage": column_lineage(lineage),
        "sync_policies": dg.MetadataValue.path(SYNC_POLICIES_PATH),
    }
    if table:
        metadata["dagster/table_name"] = table
    return metadata


def plan_metadata(stream: SyncStream) -> dict[str, Any]:
    """Definition metadata of the stream's plan asset."""
    if stream.kind == "membership":
        return _membership_metadata(stream, f"{stream.schema}.membership_plan")
    if stream.kind == "profiles":
        lineage = {
            "as_of_date": _partition_source(stream),
            "customer_id": _source(stream, stream.spec.identity.column),
            "value_json": tuple(
                ref for m in stream.spec.attributes for ref in _source(stream, m.column)
            ),
        }
        return {
            "dagster/table_name": f"{stream.schema}.customer_state_plan",
            "dagster/column_schema": _schema(_CUSTOMER_STATE_PLAN_COLUMNS, lineage),
            "dagster/column_lineage": column_lineage(
                {name: refs for name, refs in lineage.items() if refs}
            ),
            **_ownership(stream),
        }
    lineage = {k: v for k, v in _event_columns(stream).items() if v}
    return {
        "dagster/table_name": f"{stream.schema}.events_plan",
        "dagster/column_schema": _schema(_EVENTS_PLAN_COLUMNS, lineage),
        "dagster/column_lineage": column_lineage(lineage),
        **_vocabulary(stream),
    }


def send_metadata(stream: SyncStream) -> dict[str, Any]:
    """Definition metadata of the stream's send asset: the Customer.io fields it writes."""
    if stream.kind == "membership":
        return _membership_metadata(stream, None)
    if stream.kind == "profiles":
        lineage = _profile_lineage(stream)
        columns = [
            ("id", "string", "Customer.io person id: the identity column, never the email."),
            *(
                (a.name, str(a.kind), f"{a.description} Nulls: {a.null_policy}.".lstrip())
                for a in stream.attributes
            ),
        ]
        return {
            "dagster/column_schema": _schema(columns, lineage),
            "dagster/column_lineage": column_lineage(lineage),
            **_ownership(stream),
        }
    source = _event_columns(stream)
    lineage = {
        field: refs
        for field, refs in {
            "id": source["event_key"],
            "name": source["event_name"],
            "customer_id": source["customer_id"],
            "timestamp": source["occurred_at"],
            "data": source["properties"],
        }.items()
        if refs
    }
    return {
        "dagster/column_schema": _schema(_EVENT_FIELDS, lineage),
        "dagster/column_lineage": column_lineage(lineage),
        **_vocabulary(stream),
    }


def _partition_source(stream: SyncStream) -> tuple[ColumnRef, ...]:
    """The column a profile partition comes from; none for a snapshot (its day is today)."""
    column = getattr(stream.spec.source.partitioning, "column", None)
    return _source(stream, column) if column else ()
