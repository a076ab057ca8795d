"""One declared sync as the engine runs it: its spec, and every name and statement derived from it.

A spec (``retention_assets.specs``) says what a data team wants; a :class:`SyncStream` says how
the engine does it: which asset keys the plan and the send get, which warehouse schema holds
the sync's plans and ledgers, which Customer.io resource sends it, and the statements it runs.
Every sync, the example shop's two included, goes through this one object, so that no module
of the engine names a table, a column or an asset of its own.

The engine never reads the user's relation directly. It reads a *source view* in the sync's
schema, ``<schema>.<name>__source``, created from the spec before each plan: the user's columns
renamed to the engine's canonical ones (``customer_id``, ``as_of_date`` and one column per
Customer.io attribute for profiles; ``event_key``, ``event_name``, ``customer_id``,
``occurred_at`` in UTC, ``event_date``, ``properties`` JSON and ``loaded_at`` for events;
``customer_id``, ``target_id`` (the related object's id, ``''`` for a segment's member),
``as_of_date`` and one column per relationship attribute for memberships; ``customer_id``,
``as_of_date`` and ``requested_at`` for an erasure stream). The
view is generated with sqlglot from validated names, every identifier quoted, so a column name
from a YAML file can never change the statement it appears in.

Every person stream of a workspace also reads the workspace's suppression list,
``cio_suppressions.<workspace>`` (``{suppressions}`` in its statements): the ids an erasure
stream or ``on_removed: suppress`` had Customer.io suppress, which no plan sends again
(docs/removals.md).

A person profile stream that reconciles identities (``identity.email_attribute``) also
has an identity plan and send (docs/identity.md); ``{identity_holds}`` in its statements is
the customers of the ``$as_of`` day that plan holds back from the profile sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import Final, Literal

import dagster as dg
import orjson
from sqlglot import exp

from retention_assets.attribute_types import PIPELINE_OWNER, Attribute, ValueKind
from retention_assets.specs.model import (
    DEFAULT_WORKSPACE,
    UTC,
    AttributeMapping,
    DailyAsOf,
    SyncSpec,
)
from retention_assets.sync.sql_files import sql_file

GROUP: Final = "cio_sync"
# The schema of the workspaces' suppression lists: one table per workspace, named after it,
# holding every id a sync of the workspace suppressed (``on_removed: suppress``, erasures).
SUPPRESSIONS_SCHEMA: Final = "cio_suppressions"
# What an object stream reads instead: objects are never suppressed.
_NO_SUPPRESSIONS: Final = (
    "(SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS reason WHERE 1 = 0)"
)
SOURCE_VIEW_SUFFIX: Final = "__source"
_DIALECT: Final = "duckdb"
# The one Customer.io resource of a deployment with a single workspace keeps the plain key.
DEFAULT_RESOURCE_KEY: Final = "customerio"

Kind = Literal["profiles", "events", "membership"]
# A membership stream keeps relationships, or one manual segment's members.
Membership = Literal["relationships", "segment"]


def _identifier(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _column(name: str) -> exp.Column:
    return exp.Column(this=_identifier(name))


def _as(expression: exp.Expr, alias: str) -> exp.Expr:
    return exp.alias_(expression, _identifier(alias))


def _cast(expression: exp.Expr, to: str) -> exp.Cast:
    return exp.cast(expression, exp.DataType.build(to, dialect=_DIALECT))


def _from_zone(naive: exp.Expr, zone: str) -> exp.Expr:
    """The instant of a naive wall-clock time in ``zone`` (a validated IANA name).

    DuckDB's ``timezone(zone, naive)``; ``resources.dialect`` renders it for Snowflake as
    ``CONVERT_TIMEZONE(zone, 'UTC', naive)``. The relation check refuses a zone on a column
    that already has one, so this never shifts an instant.
    """
    return exp.Anonymous(this="timezone", expressions=[exp.Literal.string(zone), naive])


def send_key(sync: str) -> dg.AssetKey:
    """The asset that sends the declared sync named ``sync`` to Customer.io."""
    return dg.AssetKey([GROUP, sync])


@dataclass(frozen=True)
class SyncStream:
    """A validated sync spec, with the names and SQL the engine derives from it."""

    spec: SyncSpec

    @property
    def name(self) -> str:
        """The sync's name; also the stream label in ``rejected_rows`` and ``sync_imports``."""
        return self.spec.name

    @property
    def kind(self) -> Kind:
        return self.spec.stream

    @property
    def membership(self) -> Membership | None:
        """What a membership stream keeps equal: relationships or a manual segment (else None)."""
        return self.spec.membership

    @property
    def entity(self) -> Literal["person", "object"]:
        """What a row is in Customer.io: a person, or an object of the spec's object type."""
        return self.spec.entity

    @property
    def identifiers_prefix(self) -> str:
        """The start of every identify entry, up to the row's id (JSON text, bound as a value).

        A profile stream addresses a person by ``id``; an object stream an object by its type
        and ``object_id``. The SQL appends the id and the attributes.
        """
        if self.spec.object_type is None:
            return '{"type":"person","identifiers":{"id":'
        type_id = orjson.dumps(str(self.spec.object_type.id)).decode()
        return f'{{"type":"object","identifiers":{{"object_type_id":{type_id},"object_id":'

    @property
    def is_erasure(self) -> bool:
        """An erasure stream: its rows are people to suppress, not attributes to write."""
        return self.spec.is_erasure

    @property
    def removal_action(self) -> str:
        """What a removal sends: the spec's ``on_removed`` (``keep``: nothing), or ``suppress``
        for every row of an erasure stream."""
        return "suppress" if self.is_erasure else str(self.spec.on_removed)

    @property
    def suppresses_people(self) -> bool:
        """Whether the workspace's suppression list applies: people, not objects."""
        return self.entity == "person"

    @cached_property
    def suppressions(self) -> str:
        """The workspace's suppression list (quoted), or an empty relation for objects.

        Columns ``customer_id`` and ``reason``; every person plan of the workspace excludes
        the ids it holds, so an erased person is never identified or tracked again.
        """
        if not self.suppresses_people:
            return _NO_SUPPRESSIONS
        return self._suppressions_table().sql(_DIALECT)

    def _suppressions_table(self) -> exp.Table:
        return exp.Table(
            this=_identifier(self.spec.workspace.name), db=_identifier(SUPPRESSIONS_SCHEMA)
        )

    @property
    def schema(self) -> str:
        """The warehouse schema of the sync's plans and ledgers."""
        return self.spec.ledger

    @property
    def partitioned(self) -> bool:
        """Daily partitions (as-of state or event days); a snapshot sync is unpartitioned."""
        return self.spec.source.partitioning.kind != "snapshot"

    @cached_property
    def upstream(self) -> dg.AssetKey:
        """The Dagster asset whose relation the sync reads."""
        return dg.AssetKey.from_user_string(self.spec.source.asset)

    @cached_property
    def plan_key(self) -> dg.AssetKey:
        return dg.AssetKey([GROUP, f"{self.name}_plan"])

    @cached_property
    def send_key(self) -> dg.AssetKey:
        return send_key(self.name)

    @cached_property
    def first_deps(self) -> tuple[dg.AssetKey, ...]:
        """What the sync's first asset waits for: its source, and the sends of `cadence.after`."""
        return (self.upstream, *(send_key(name) for name in self.spec.cadence.after))

    @property
    def reconciles(self) -> bool:
        """Whether the identity plan and send run before the profile sync (docs/identity.md)."""
        return self.spec.reconciles_identity

    @cached_property
    def identity_plan_key(self) -> dg.AssetKey:
        return dg.AssetKey([GROUP, f"{self.name}_identity_plan"])

    @cached_property
    def identity_key(self) -> dg.AssetKey:
        return dg.AssetKey([GROUP, f"{self.name}_identity"])

    @cached_property
    def email_column(self) -> str:
        """The source view's email column (quoted), which identity reconciliation looks up.

        The view names each attribute's column after the attribute, and the rules make the
        reconciled email the attribute ``email``.
        """
        return _identifier("email").sql(_DIALECT)

    @property
    def resource_key(self) -> str:
        """The key of the Customer.io resource of the sync's workspace."""
        workspace = self.spec.workspace.name
        return DEFAULT_RESOURCE_KEY if workspace == DEFAULT_WORKSPACE else f"customerio_{workspace}"

    @property
    def _mappings(self) -> tuple[AttributeMapping, ...]:
        return self.spec.written_attributes

    @cached_property
    def attributes(self) -> tuple[Attribute, ...]:
        """The Customer.io attributes the sync writes, in spec order (a relationship stream:
        its relationship attributes)."""
        return tuple(
            Attribute(
                name=mapping.attribute,
                owner=PIPELINE_OWNER,
                kind=mapping.kind,
                description=mapping.description,
                null_policy=mapping.null_policy,
            )
            for mapping in self._mappings
        )

    @cached_property
    def vocabulary(self) -> dict[str, str]:
        """Event name -> its description: the only names the sync may send."""
        events = self.spec.events
        return {entry.name: entry.description for entry in events.vocabulary} if events else {}

    @cached_property
    def source_view(self) -> str:
        """The qualified, quoted name of the sync's source view."""
        return self._view_table().sql(_DIALECT)

    def _view_table(self) -> exp.Table:
        return exp.Table(
            this=_identifier(f"{self.name}{SOURCE_VIEW_SUFFIX}"), db=_identifier(self.schema)
        )

    @cached_property
    def source_view_sql(self) -> str:
        """``CREATE OR REPLACE VIEW`` of the source view over the spec's relation."""
        select = exp.select(*self._projections()).from_(
            exp.to_table(self.spec.source.relation, dialect=_DIALECT)
        )
        create = exp.Create(this=self._view_table(), kind="VIEW", expression=select, replace=True)
        return create.sql(_DIALECT)

    def _projections(self) -> list[exp.Expr]:
        identity = _as(_cast(_column(self.spec.identity.column), "VARCHAR"), "customer_id")
        if self.spec.erasure is not None:
            column = self.spec.erasure.requested_at
            requested = _column(column) if column else exp.Null()
            return [
                identity,
                _as(self._as_of(), "as_of_date"),
                _as(_cast(requested, "TIMESTAMPTZ"), "requested_at"),
            ]
        if self.kind == "profiles":
            return [identity, _as(self._as_of(), "as_of_date"), *self._attribute_columns()]
        if self.kind == "membership":
            target = _as(self._target(), "target_id")
            return [identity, target, _as(self._as_of(), "as_of_date"), *self._attribute_columns()]
        return self._event_columns(identity)

    def _target(self) -> exp.Expr:
        """What a member joins: the related object's id, or nothing for a segment's member."""
        relationships = self.spec.relationships
        if relationships is None:
            return exp.Literal.string("")
        return _cast(_column(relationships.object_id.column), "VARCHAR")

    def _as_of(self) -> exp.Expr:
        partitioning = self.spec.source.partitioning
        if isinstance(partitioning, DailyAsOf):
            return _cast(_column(partitioning.column), "DATE")
        # A snapshot is the state as of today (UTC, the session's zone).
        return exp.CurrentDate()

    def _attribute_columns(self) -> list[exp.Expr]:
        return [
            _as(
                _from_zone(_column(m.column), m.time_zone)
                if m.kind is ValueKind.TIMESTAMP and m.time_zone != UTC
                else _column(m.column),
                m.attribute,
            )
            for m in self._mappings
        ]

    def _event_columns(self, identity: exp.Expr) -> list[exp.Expr]:
        events = self.spec.events
        assert events is not None  # an events spec (the rules ensure it)
        if events.name.constant is not None:
            name: exp.Expr = exp.Literal.string(events.name.constant)
        else:
            assert events.name.column is not None
            name = _cast(_column(events.name.column), "VARCHAR")
        occurred: exp.Expr = _column(events.occurred_at.column)
        zone = events.occurred_at.time_zone
        occurred = _cast(occurred, "TIMESTAMPTZ") if zone == UTC else _from_zone(occurred, zone)
        loaded = (
            _cast(_column(events.loaded_at), "TIMESTAMPTZ")
            if events.loaded_at
            else _cast(exp.Null(), "TIMESTAMPTZ")
        )
        return [
            _as(_cast(_column(events.key), "VARCHAR"), "event_key"),
            _as(name, "event_name"),
            identity,
            _as(occurred, "occurred_at"),
            _as(_cast(occurred.copy(), "DATE"), "event_date"),
            _as(self._properties(), "properties"),
            _as(loaded, "loaded_at"),
        ]

    def _properties(self) -> exp.Expr:
        events = self.spec.events
        assert events is not None
        pairs: list[exp.Expr] = []
        for prop in events.properties:
            pairs += [exp.Literal.string(prop.name or prop.column), _column(prop.column)]
        listed = exp.Anonymous(this="json_object", expressions=pairs) if pairs else None
        if events.properties_object and listed is not None:
            merged: exp.Expr = exp.Anonymous(
                this="json_merge_patch",
                expressions=[_column(events.properties_object), listed],
            )
        elif events.properties_object:
            merged = _column(events.properties_object)
        elif listed is not None:
            merged = listed
        else:
            merged = exp.Literal.string("{}")
        return _cast(merged, "VARCHAR")

    def sql(self, name: str, **fills: str) -> str:
        """The engine statement ``sql/<name>.sql`` for this sync's schema and source view."""
        return _rendered(
            name, self.schema, self.source_view, self.suppressions, tuple(sorted(fills.items()))
        )

    @property
    def suppressions_ddl(self) -> str:
        """The script creating the workspace's suppression list if it is missing."""
        table = self._suppressions_table()
        return sql_file("suppressions").format(
            suppressions_schema=_identifier(SUPPRESSIONS_SCHEMA).sql(_DIALECT),
            suppressions=table.sql(_DIALECT),
        )


@cache
def _rendered(
    name: str, schema: str, source: str, suppressions: str, fills: tuple[tuple[str, str], ...]
) -> str:
    sync = _identifier(schema).sql(_DIALECT)
    return sql_file(name).format(
        sync=sync,
        source=source,
        suppressions=suppressions,
        # The customers of the $as_of day the identity plan holds back from the profile sync.
        identity_holds=sql_file("identity_holds").format(sync=sync),
        **dict(fills),
    )
