"""Source shapes the end-to-end sync suite runs against: the example shop's, and a custom one.

Tests write rows in the engine's terms (``customer_id``, ``as_of_date``, attribute names;
``event_key``, ``occurred_at`` in UTC, ...). A shape stores them in its own relations, under
its own column names, and declares the syncs that read them (its specs). The ``custom`` shape
differs from the shop in every way a team's model can: relation, id column, partition column,
column names, event time as a naive Europe/Berlin timestamp, a JSON payload column. It maps
onto the same Customer.io attributes and event names, so every assertion of the suite holds
for both: a pass on ``custom`` is the engine working from a spec alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import pyarrow as pa
import pytest

from resources.warehouse import WarehouseSession
from retention_assets.models.build import ensure_table
from retention_assets.models.customer_state import CUSTOMER_STATE_COLUMNS
from retention_assets.models.events import EVENT_COLUMNS
from retention_assets.shop import CUSTOMER_STATE, EVENTS
from retention_assets.specs import load_spec
from retention_assets.sync.encoding import quote_identifier
from retention_assets.sync.stream import SyncStream
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE

CUSTOM_DIR = Path(__file__).parent / "custom_shape"
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class SourceShape:
    """Where one shape keeps state rows and events, and the syncs that read them."""

    name: str
    profiles: SyncStream
    events: SyncStream

    @property
    def streams(self) -> tuple[SyncStream, SyncStream]:
        return (self.profiles, self.events)

    @property
    def external_sources(self) -> list[dg.AssetSpec]:
        """Source assets a run must declare: the shape's relations when no model builds them."""
        return [dg.AssetSpec(stream.upstream) for stream in self.streams if self.name != "shop"]

    def create(self, session: WarehouseSession) -> None:
        if self.name == "shop":
            ensure_table(session, CUSTOMER_STATE_TABLE, CUSTOMER_STATE_COLUMNS)
            ensure_table(session, EVENTS_TABLE, EVENT_COLUMNS)
            return
        for stream, columns in ((self.profiles, CUSTOMER_STATE_COLUMNS), (self.events, _EVENTS)):
            relation = stream.spec.source.relation
            names = self._names(stream)
            definitions = ", ".join(
                f"{quote_identifier(names[column.name])}"
                f" {_custom_type(column.name, column.sql_type)}"
                for column in columns
                if column.name in names
            )
            session.execute(f"CREATE SCHEMA IF NOT EXISTS {relation.split('.')[0]}")
            session.execute(f"CREATE TABLE IF NOT EXISTS {relation} ({definitions})")

    def _names(self, stream: SyncStream) -> dict[str, str]:
        """Engine column -> this shape's column."""
        spec = stream.spec
        names = {"customer_id": spec.identity.column}
        if spec.events is None:
            names["as_of_date"] = getattr(spec.source.partitioning, "column", "as_of_date")
            names.update({m.attribute: m.column for m in spec.attributes})
            return names
        events = spec.events
        names.update(
            {
                "event_key": events.key,
                "event_name": events.name.column or "event_name",
                "occurred_at": events.occurred_at.column,
                "properties": events.properties_object or "properties",
                "loaded_at": events.loaded_at or "loaded_at",
            }
        )
        return names

    def state_rows(self, rows: Sequence[Mapping[str, Any]]) -> tuple[str, pa.Table]:
        """The relation and the rows to insert for engine-shaped state rows."""
        relation = self.profiles.spec.source.relation
        if self.name == "shop":
            return relation, pa.Table.from_pylist(list(rows))
        return relation, _renamed(rows, self._names(self.profiles))

    def event_rows(self, rows: Sequence[Mapping[str, Any]]) -> tuple[str, pa.Table]:
        """The relation and the rows to insert for engine-shaped events."""
        relation = self.events.spec.source.relation
        if self.name == "shop":
            return relation, pa.Table.from_pylist(list(rows))
        # A naive wall-clock time in Berlin: the spec converts it back to UTC.
        shaped = [
            {**row, "occurred_at": row["occurred_at"].astimezone(BERLIN).replace(tzinfo=None)}
            for row in rows
        ]
        return relation, _renamed(shaped, self._names(self.events))

    def state_keys_sql(self) -> str:
        """The (customer id, day) of every state row, in the shop's names."""
        names = self._names(self.profiles)
        return (
            f"SELECT {quote_identifier(names['customer_id'])},"
            f" {quote_identifier(names['as_of_date'])} FROM {self.profiles.spec.source.relation}"
        )

    def delete_state_sql(self) -> str:
        names = self._names(self.profiles)
        return (
            f"DELETE FROM {self.profiles.spec.source.relation}"
            f" WHERE {quote_identifier(names['customer_id'])} = $customer_id"
            f" AND {quote_identifier(names['as_of_date'])} = $as_of"
        )


# The shop's event table has event_date, which a team's relation need not: the spec derives it.
_EVENTS = tuple(column for column in EVENT_COLUMNS if column.name != "event_date")


def _custom_type(name: str, sql_type: str) -> str:
    return "TIMESTAMP" if name == "occurred_at" else sql_type


def _renamed(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> pa.Table:
    return pa.Table.from_pylist(
        [{names[key]: value for key, value in row.items() if key in names} for row in rows]
    )


SHOP = SourceShape("shop", CUSTOMER_STATE, EVENTS)
CUSTOM = SourceShape(
    "custom",
    SyncStream(load_spec(CUSTOM_DIR / "members.yaml")),
    SyncStream(load_spec(CUSTOM_DIR / "member_actions.yaml")),
)
SHAPES = {shape.name: shape for shape in (SHOP, CUSTOM)}
# For a module whose tests must pass on every source shape: ``pytestmark = EVERY_SHAPE``.
EVERY_SHAPE = pytest.mark.parametrize("shape", sorted(SHAPES), indirect=True)
