"""The warehouse checks every sync spec gets, generated from the spec.

A spec (``retention_assets.specs``) maps a data team's own relation onto a stream. The sync
engine reads it through a *canonical source view* in the sync's ledger schema, whose columns
have fixed names whatever the user's columns are called:

* profiles: ``customer_id`` (the identity column as text, not trimmed), ``as_of_date`` (the
  partition day; today's UTC date for a snapshot) and one column per attribute, named by its
  Customer.io attribute name and holding the source value with its source type;
* events: ``event_key``, ``event_name``, ``customer_id``, ``occurred_at`` (UTC),
  ``event_date`` (its UTC day) and ``properties`` (JSON object text).

These checks read that view, so one set of SQL files (``asset_checks/spec_sql``) serves every
spec; the spec only decides which rules exist (timestamp attributes, text attributes, the
vocabulary) and how their descriptions name the user's columns, so a person in the Dagster UI
reads ``user_uuid (the identity column)`` rather than the view's name for it.

The relation and every column name come from a user's file, so each is quoted through sqlglot
before it is formatted into the SQL; every value (days, limits, names) is a ``$name`` parameter.
The checks are ``WarehouseCheck`` definitions of ``asset_checks.factory`` (counts in the
warehouse, a bounded sample judged by Pandera, metadata for the UI); the ERROR ones block.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import dagster as dg
from sqlglot import exp
from sqlglot.errors import SqlglotError

from asset_checks import names, sql
from asset_checks.factory import (
    NO_FINDINGS,
    Findings,
    FunctionRule,
    PartitionedTable,
    Scope,
    SqlRule,
    WarehouseCheck,
    placeholders,
)
from asset_checks.model_checks import DEFAULT_FUTURE_SKEW, utc_now
from asset_checks.schemas import Allowed, ColumnContract, Dtype, TableContract, TextCheck
from asset_checks.vocabulary_drift import as_written, resemblance
from resources.customerio.emails import EMAIL_WHITESPACE
from resources.customerio.limits import (
    ATTRIBUTE_VALUE_MAX_BYTES,
    ENTRY_MAX_BYTES,
    IDENTIFIER_MAX_BYTES,
)
from resources.dialect import READ_DIALECT
from resources.sql_files import package_sql
from resources.warehouse import WarehouseSession
from retention_assets.attribute_types import ValueKind
from retention_assets.specs.model import UTC, AttributeMapping, DailyAsOf, DailyEvents, SyncSpec

if TYPE_CHECKING:
    import pandas as pd

# Check names, each prefixed with the sync's name (``check_name``).
NAME_SEPARATOR: Final = "__"
UNIQUE_ID: Final = "unique_id"
UNIQUE_KEY: Final = "unique_key"
UNIQUE_PAIR: Final = "unique_pair"
PERSON_ID: Final = "person_id"
TIMESTAMPS: Final = "timestamps"
VOCABULARY: Final = "vocabulary"
NEAR_DUPLICATE_NAMES: Final = "near_duplicate_names"
CUSTOMERIO_LIMITS: Final = "customerio_limits"

# Rule names the model checks do not have (the others are shared with ``asset_checks.names``).
PADDED_CUSTOMER_ID: Final = "padded_customer_id"
PADDED_EVENT_KEY: Final = "padded_event_key"
DUPLICATE_CUSTOMER_ID: Final = "duplicate_customer_id"
IMPLAUSIBLY_EARLY_TIMESTAMP: Final = "implausibly_early_timestamp"
MISSING_OBJECT_ID: Final = "missing_object_id"
PADDED_OBJECT_ID: Final = "padded_object_id"
DUPLICATE_PAIR: Final = "duplicate_pair"
OBJECT_ID_TOO_LONG: Final = "object_id_too_long"

# Whitespace that pads ids the way it pads emails.
PADDING: Final = EMAIL_WHITESPACE
# No event of a Customer.io workspace happened before the unix epoch; a time at or before it
# is an epoch-0 default (a null filled with 0) or a sentinel date.
EARLIEST_EVENT_TIME: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Profile timestamps may be old (a birthday in 1950 is a real date); at or before 1900-01-01
# they are sentinels for "unknown" (0001-01-01, 1900-01-01), which would reach Customer.io as
# a real date and fire date journeys.
EARLIEST_PROFILE_TIME: Final = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
# Distinct off-vocabulary names brought to Python per evaluation; names are few in practice.
MAX_OFF_VOCABULARY_NAMES: Final = 1000

# The canonical view's columns (the engine's contract).
CUSTOMER_ID: Final = "customer_id"
AS_OF_DATE: Final = "as_of_date"
TARGET_ID: Final = "target_id"
EVENT_KEY: Final = "event_key"
EVENT_NAME: Final = "event_name"
OCCURRED_AT: Final = "occurred_at"
EVENT_DATE: Final = "event_date"
PROPERTIES: Final = "properties"

# The partition of a snapshot: today's UTC date (the sessions run in UTC), what a snapshot's
# run reads. A snapshot events view has no day column of its own to scope by.
SNAPSHOT_DAY: Final = "CAST(current_timestamp AS DATE)"

# Keeps its value in samples of the per-column rules: which column a row failed on.
COLUMN_NAME: Final = "column_name"

# A set, trimmed id; a padded one is another person (or object) to Customer.io.
ID: Final = ColumnContract(
    Dtype.TEXT, nullable=False, checks=(TextCheck.NOT_BLANK, TextCheck.TRIMMED)
)
DAY: Final = ColumnContract(Dtype.DATE, nullable=False)


def _no_params(scope: Scope | None) -> Mapping[str, Any]:
    return {}


def check_name(spec: SyncSpec, check: str) -> str:
    """The Dagster name of one of ``spec``'s checks: ``<sync name>__<check>``."""
    return f"{spec.name}{NAME_SEPARATOR}{check}"


def quoted(name: str) -> str:
    """``name`` as a quoted identifier, safe to format into SQL whatever it holds."""
    return exp.to_identifier(name, quoted=True).sql(dialect=READ_DIALECT)


def quoted_relation(relation: str) -> str:
    """``schema.name`` or ``database.schema.name`` (parts quoted or not), every part quoted."""
    try:
        table = exp.to_table(relation, dialect=READ_DIALECT)
    except SqlglotError as error:
        raise ValueError(f"{relation!r} is not a relation name: {error}") from None
    parts = table.parts
    if not 2 <= len(parts) <= 3 or not all(isinstance(part, exp.Identifier) for part in parts):
        raise ValueError(f"{relation!r} is not `schema.name` or `database.schema.name`")
    return ".".join(quoted(part.name) for part in parts)


def _columns(*columns: str) -> str:
    return ", ".join(quoted(column) for column in columns)


@cache
def _template(name: str) -> str:
    return package_sql("asset_checks", f"spec_sql/{name}.sql")


def spec_checks(
    spec: SyncSpec,
    relation: str,
    asset: dg.AssetKey,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    future_skew: dt.timedelta = DEFAULT_FUTURE_SKEW,
    may_be_future: Collection[str] = (),
) -> list[WarehouseCheck]:
    """The checks of ``spec``'s canonical source view ``relation``, attached to ``asset``.

    ``may_be_future`` names timestamp attributes (Customer.io names) that hold predictions
    and may lie in the future, e.g. a predicted next purchase; the spec has no field for it.
    """
    source = _Source(spec, quoted_relation(relation), asset)

    def timestamp_params(scope: Scope | None) -> Mapping[str, Any]:
        return {
            "not_after": clock() + future_skew,
            "skew_seconds": int(future_skew.total_seconds()),
        }

    if spec.events is not None:
        if may_be_future:
            raise ValueError(f"{spec.name}: may_be_future names profile attributes, this is events")
        return _event_checks(source, timestamp_params, future_skew)
    timestamps = [m for m in spec.written_attributes if m.kind == ValueKind.TIMESTAMP]
    unknown = set(may_be_future) - {m.attribute for m in timestamps}
    if unknown:
        raise ValueError(
            f"{spec.name}: may_be_future names {sorted(unknown)}, which are not timestamp "
            "attributes of the spec"
        )
    checks = (_membership_checks if spec.membership is not None else _profile_checks)(source)
    if timestamps:
        # After the ids check, before the limits (a warning): the order the UI lists them.
        checks.insert(
            1,
            _timestamp_check(
                source, timestamps, frozenset(may_be_future), timestamp_params, future_skew
            ),
        )
    return checks


@dataclass(frozen=True)
class _Source:
    """The spec, its canonical view, and the SQL pieces every rule of it shares."""

    spec: SyncSpec
    relation: str
    asset: dg.AssetKey

    @property
    def day_column(self) -> str:
        return AS_OF_DATE if self.spec.events is None else EVENT_DATE

    @property
    def partition(self) -> str:
        """What the rules scope by: the view's day column, or today for a snapshot."""
        if isinstance(self.spec.source.partitioning, DailyAsOf | DailyEvents):
            return quoted(self.day_column)
        return SNAPSHOT_DAY

    @property
    def partitions(self) -> PartitionedTable:
        return PartitionedTable(self.relation, self.partition)

    @property
    def keys(self) -> tuple[str, ...]:
        """The columns that name a row in samples."""
        if self.spec.relationships is not None:
            return (CUSTOMER_ID, TARGET_ID, AS_OF_DATE)
        if self.spec.events is None:
            return (CUSTOMER_ID, AS_OF_DATE)
        return (EVENT_KEY, EVENT_DATE, EVENT_NAME, CUSTOMER_ID)

    def rule(
        self,
        name: str,
        description: str,
        template: str,
        order_by: Sequence[str],
        schema: TableContract | None = None,
        params: Mapping[str, Any] | None = None,
        **slots: str,
    ) -> SqlRule:
        return SqlRule(
            name=name,
            description=description,
            sql=_template(template).format(
                relation=self.relation, partition=self.partition, **slots
            ),
            order_by=_columns(*order_by),
            schema=schema,
            params=params or {},
        )

    def per_column_rule(
        self,
        name: str,
        description: str,
        template: str,
        columns: Sequence[str],
        params: Mapping[str, Any],
    ) -> SqlRule:
        """One ``template`` branch per column, joined: each failing row says its column."""
        branches = [
            _template(template).format(
                relation=self.relation,
                partition=self.partition,
                keys=_columns(*self.keys),
                column=quoted(column),
                column_param=f"column_{index}",
            )
            for index, column in enumerate(columns)
        ]
        return SqlRule(
            name=name,
            description=description,
            sql=sql.UNION_ALL.join(branches),
            order_by=_columns(self.keys[0], COLUMN_NAME),
            params={
                **{f"column_{index}": column for index, column in enumerate(columns)},
                **params,
            },
        )

    def check(
        self,
        check: str,
        description: str,
        rules: Sequence[SqlRule | FunctionRule],
        *,
        params: Callable[[Scope | None], Mapping[str, Any]] = _no_params,
        severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    ) -> WarehouseCheck:
        blocking = severity == dg.AssetCheckSeverity.ERROR
        outcome = "Blocks the sync." if blocking else "Warns only."
        return WarehouseCheck(
            name=check_name(self.spec, check),
            asset=self.asset,
            description=f"{description} {outcome} {self.legend()}".rstrip(),
            rules=rules,
            partitions=self.partitions,
            severity=severity,
            blocking=blocking,
            params=params,
        )

    # --- how descriptions name the user's columns ---------------------------------------

    @property
    def identity(self) -> str:
        return f"{self.spec.identity.column} (the identity column)"

    @property
    def object_id(self) -> str:
        relationships = self.spec.relationships
        assert relationships is not None
        return f"{relationships.object_id.column} (the object id)"

    @property
    def day(self) -> str:
        """What the view's day column (as_of_date, event_date) holds, in the user's terms."""
        if self.spec.events is not None:
            return f"the UTC day of {self.spec.events.occurred_at.column}"
        partitioning = self.spec.source.partitioning
        if isinstance(partitioning, DailyAsOf):
            return f"{partitioning.column} (the partition day)"
        return "the run's UTC date (a snapshot: every row is checked)"

    def legend(self) -> str:
        """How the sample's columns (the canonical view's) map to the user's, where they differ."""
        spec = self.spec
        if spec.events is None:
            target = (
                [(TARGET_ID, spec.relationships.object_id.column, self.object_id)]
                if spec.relationships is not None
                else []
            )
            pairs = [
                (CUSTOMER_ID, spec.identity.column, self.identity),
                *target,
                (AS_OF_DATE, self._partition_column, self.day),
                *((m.attribute, m.column, m.column) for m in spec.written_attributes),
            ]
        else:
            pairs = [
                (EVENT_KEY, spec.events.key, spec.events.key),
                (EVENT_NAME, spec.events.name.column, self.event_name),
                (CUSTOMER_ID, spec.identity.column, self.identity),
                (OCCURRED_AT, spec.events.occurred_at.column, self.occurred_at),
                (EVENT_DATE, None, self.day),
            ]
        renamed = [
            f"{canonical} is {shown}" for canonical, column, shown in pairs if canonical != column
        ]
        if not renamed:
            return ""
        relation = spec.source.relation
        return f"Samples name the columns of {relation} as the sync does: {'; '.join(renamed)}."

    @property
    def _partition_column(self) -> str | None:
        partitioning = self.spec.source.partitioning
        return partitioning.column if isinstance(partitioning, DailyAsOf) else None

    @property
    def event_name(self) -> str:
        assert self.spec.events is not None
        name = self.spec.events.name
        if name.column is not None:
            return f"{name.column} (the event name)"
        return f"the constant {name.constant!r}"

    @property
    def occurred_at(self) -> str:
        assert self.spec.events is not None
        occurred_at = self.spec.events.occurred_at
        if occurred_at.time_zone == UTC:
            return f"{occurred_at.column} (UTC)"
        return f"{occurred_at.column} (converted from {occurred_at.time_zone} to UTC)"

    @property
    def event_data(self) -> str:
        assert self.spec.events is not None
        sources = [column.column for column in self.spec.events.properties]
        if self.spec.events.properties_object:
            sources.append(self.spec.events.properties_object)
        return f"event data (from {', '.join(sources)})" if sources else "event data"


def _profile_schema(spec: SyncSpec) -> TableContract:
    """Pandera's per-row verdict on sampled profile rows: the id and the day."""
    return TableContract(
        name=spec.name,
        columns={CUSTOMER_ID: ID, AS_OF_DATE: DAY},
        unique=(CUSTOMER_ID, AS_OF_DATE),
    )


def _event_schema(spec: SyncSpec) -> TableContract:
    """Pandera's per-row verdict on sampled events: ids, name, time and day."""
    assert spec.events is not None
    vocabulary = tuple(entry.name for entry in spec.events.vocabulary)
    return TableContract(
        name=spec.name,
        columns={
            EVENT_KEY: replace(ID, unique=True),
            EVENT_NAME: ColumnContract(Dtype.TEXT, False, (Allowed(vocabulary),)),
            CUSTOMER_ID: ID,
            OCCURRED_AT: ColumnContract(Dtype.UTC_TIMESTAMP, nullable=False),
            EVENT_DATE: DAY,
        },
    )


def _id_rules(
    source: _Source,
    schema: TableContract,
    column: str,
    described: str,
    missing: str,
    padded: str,
) -> list[SqlRule]:
    """Null or blank, and padded, values of an id column."""
    shown = source.keys
    return [
        source.rule(
            missing,
            f"Rows whose {described} is null, empty or only whitespace.",
            "missing_id",
            shown,
            schema,
            {"padding": PADDING},
            columns=_columns(*shown),
            id=quoted(column),
        ),
        source.rule(
            padded,
            f"Rows whose {described} starts or ends with whitespace; `as_written` shows it "
            "between quotes. Ids are sent exactly as they are, never trimmed on the way: trim it "
            "in the model.",
            "padded_id",
            shown,
            schema,
            {"padding": PADDING},
            columns=_columns(*shown),
            id=quoted(column),
        ),
    ]


def _duplicate_id_rule(source: _Source, schema: TableContract) -> SqlRule:
    """Rows whose person id has more than one row for one day (a profile, a segment member)."""
    return source.rule(
        DUPLICATE_CUSTOMER_ID,
        f"Rows whose {source.identity} has more than one row for one day; every "
        "copy is listed, `copies` says how many there are.",
        "duplicate_key",
        source.keys,
        schema,
        columns=_columns(*source.keys),
        key=_columns(CUSTOMER_ID, AS_OF_DATE),
        id=quoted(CUSTOMER_ID),
    )


def _profile_checks(source: _Source) -> list[WarehouseCheck]:
    spec = source.spec
    schema = _profile_schema(spec)
    texts = [m for m in spec.attributes if m.kind == ValueKind.STRING]
    checks = [
        source.check(
            UNIQUE_ID,
            f"Exactly one row per {source.identity} per {source.day}, and every id set and "
            "trimmed. Customer.io identifies people by this id: a missing id cannot be synced, "
            "a padded one is another person, a duplicate sends conflicting attributes.",
            [
                *_id_rules(
                    source,
                    schema,
                    CUSTOMER_ID,
                    source.identity,
                    names.MISSING_CUSTOMER_ID,
                    PADDED_CUSTOMER_ID,
                ),
                _duplicate_id_rule(source, schema),
                # An erasure relation may repeat a request: only a profile must be unique.
            ][: None if spec.erasure is None else -1],
        ),
    ]
    checks.append(
        _limits_check(
            source,
            "Profiles fit",
            [(names.CUSTOMER_ID_TOO_LONG, CUSTOMER_ID, source.identity)],
            texts,
        )
    )
    return checks


def _limits_check(
    source: _Source,
    subject: str,
    ids: Sequence[tuple[str, str, str]],
    texts: Sequence[AttributeMapping],
) -> WarehouseCheck:
    """Ids (rule, view column, how it is described) and text attribute values over
    Customer.io's byte limits. A warning: the send rejects such a row alone, the rest go."""
    id_rules = [
        source.per_column_rule(
            rule,
            f"Rows whose {described} is longer than {IDENTIFIER_MAX_BYTES} bytes.",
            "too_many_bytes",
            [column],
            {"max_bytes": IDENTIFIER_MAX_BYTES},
        )
        for rule, column, described in ids
    ]
    text_rules = [
        source.per_column_rule(
            names.ATTRIBUTE_VALUE_TOO_LONG,
            f"Text attribute values ({_listed(texts)}) longer than "
            f"{ATTRIBUTE_VALUE_MAX_BYTES} bytes; `column_name` is the "
            "attribute, the value itself is not shown.",
            "too_many_bytes",
            [m.attribute for m in texts],
            {"max_bytes": ATTRIBUTE_VALUE_MAX_BYTES},
        )
    ][: 1 if texts else 0]
    return source.check(
        CUSTOMERIO_LIMITS,
        f"{subject} Customer.io's limits (resources/customerio/limits.py): ids of at most "
        f"{IDENTIFIER_MAX_BYTES} bytes and text attribute values of at most "
        f"{ATTRIBUTE_VALUE_MAX_BYTES} bytes, in UTF-8.",
        [*id_rules, *text_rules],
        severity=dg.AssetCheckSeverity.WARN,
    )


def _membership_schema(spec: SyncSpec) -> TableContract:
    """Pandera's per-row verdict on sampled members: the ids (person, object) and the day."""
    ids = (CUSTOMER_ID, TARGET_ID) if spec.relationships is not None else (CUSTOMER_ID,)
    return TableContract(
        name=spec.name,
        columns={**dict.fromkeys(ids, ID), AS_OF_DATE: DAY},
        unique=(*ids, AS_OF_DATE),
    )


def _membership_checks(source: _Source) -> list[WarehouseCheck]:
    """A relationship stream's pairs (person, object) or a segment's members (person).

    A pair listed twice leaves undefined which of its attribute rows is sent, so it blocks
    like a duplicate profile; a row without an id cannot be a member at all.
    """
    spec = source.spec
    schema = _membership_schema(spec)
    relationships = spec.relationships
    person_rules = _id_rules(
        source, schema, CUSTOMER_ID, source.identity, names.MISSING_CUSTOMER_ID, PADDED_CUSTOMER_ID
    )
    if relationships is None:
        unique = source.check(
            UNIQUE_ID,
            f"Exactly one row per member ({source.identity}) per {source.day}, every id set "
            "and trimmed: the rows are the segment's members, and a padded id is another "
            "person to Customer.io.",
            [
                *person_rules,
                _duplicate_id_rule(source, schema),
            ],
        )
        return [unique, _limits_check(source, "Members fit", _person_id_limit(source), [])]
    return [
        source.check(
            UNIQUE_PAIR,
            f"Exactly one row per pair of {source.identity} and {source.object_id} per "
            f"{source.day}, both ids set and trimmed. A pair listed twice leaves undefined "
            "which of its relationship attributes Customer.io keeps; a padded id is another "
            "person or object.",
            [
                *person_rules,
                *_id_rules(
                    source, schema, TARGET_ID, source.object_id, MISSING_OBJECT_ID, PADDED_OBJECT_ID
                ),
                source.rule(
                    DUPLICATE_PAIR,
                    f"Pairs of {source.identity} and {source.object_id} with more than one row "
                    "for one day; every copy is listed, `copies` says how many there are.",
                    "duplicate_key",
                    source.keys,
                    schema,
                    columns=_columns(*source.keys),
                    key=_columns(*source.keys),
                    id=quoted(CUSTOMER_ID),
                ),
            ],
        ),
        # Relationship attribute values have no per-value limit, only a 100 KB total that
        # the send enforces per relationship (after Customer.io merges them).
        _limits_check(
            source,
            "Relationships fit",
            [*_person_id_limit(source), (OBJECT_ID_TOO_LONG, TARGET_ID, source.object_id)],
            [],
        ),
    ]


def _person_id_limit(source: _Source) -> list[tuple[str, str, str]]:
    return [(names.CUSTOMER_ID_TOO_LONG, CUSTOMER_ID, source.identity)]


def _named(mapping: AttributeMapping) -> str:
    """A mapping as a person reads it: the column, the attribute it becomes, its source zone."""
    name = (
        mapping.column
        if mapping.attribute == mapping.column
        else f"{mapping.column} as {mapping.attribute}"
    )
    if mapping.time_zone != UTC:
        name += f" (converted from {mapping.time_zone} to UTC)"
    return name


def _listed(mappings: Sequence[AttributeMapping]) -> str:
    return ", ".join(_named(mapping) for mapping in mappings)


def _timestamp_check(
    source: _Source,
    timestamps: Sequence[AttributeMapping],
    may_be_future: frozenset[str],
    timestamp_params: Callable[[Scope | None], Mapping[str, Any]],
    future_skew: dt.timedelta,
) -> WarehouseCheck:
    observed = [m for m in timestamps if m.attribute not in may_be_future]
    exempt = [m for m in timestamps if m.attribute in may_be_future]
    rules: list[SqlRule] = []
    if observed:
        exemption = f" {_listed(exempt)} may lie in the future (predictions)." if exempt else ""
        rules.append(
            source.per_column_rule(
                names.FUTURE_TIMESTAMP,
                f"Timestamp attributes ({_listed(observed)}) later than now, or than the end "
                f"of the row's day, plus {future_skew}: future data leaked into the day, or a "
                f"zone was applied twice. `column_name` is the attribute.{exemption}",
                "future_timestamp",
                [m.attribute for m in observed],
                {},
            )
        )
    rules.append(
        source.per_column_rule(
            IMPLAUSIBLY_EARLY_TIMESTAMP,
            f"Timestamp attributes ({_listed(timestamps)}) at or before "
            f"{EARLIEST_PROFILE_TIME:%Y-%m-%d}: a sentinel for unknown (0001-01-01, "
            "1900-01-01), which Customer.io would store as a real date. Make it null.",
            "early_timestamp",
            [m.attribute for m in timestamps],
            {"earliest": EARLIEST_PROFILE_TIME},
        )
    )
    return source.check(
        TIMESTAMPS,
        "Timestamp attributes hold real, past times. Customer.io receives them as unix "
        "seconds and date journeys fire on them: a future or sentinel date fires them wrongly.",
        rules,
        params=timestamp_params,
    )


def _event_checks(
    source: _Source,
    timestamp_params: Callable[[Scope | None], Mapping[str, Any]],
    future_skew: dt.timedelta,
) -> list[WarehouseCheck]:
    spec = source.spec
    assert spec.events is not None
    schema = _event_schema(spec)
    key = f"{spec.events.key} (the event key)"
    person = f"{spec.identity.column} (the person's id)"
    occurred_at = source.occurred_at
    vocabulary = [entry.name for entry in spec.events.vocabulary]
    return [
        source.check(
            UNIQUE_KEY,
            f"Every event has a trimmed {key}, and no key of the checked days appears twice in "
            f"{spec.source.relation}, on any day. The key derives the event's id in Customer.io: "
            "a duplicate is sent once at most.",
            [
                *_id_rules(
                    source, schema, EVENT_KEY, key, names.MISSING_EVENT_KEY, PADDED_EVENT_KEY
                ),
                source.rule(
                    names.DUPLICATE_EVENT_KEY,
                    f"Events whose {key} is a key of the checked days and appears more than "
                    "once in the relation; every copy is listed, whatever its day.",
                    "duplicate_key_any_day",
                    source.keys,
                    schema,
                    columns=_columns(*source.keys),
                    id=quoted(EVENT_KEY),
                ),
            ],
        ),
        source.check(
            PERSON_ID,
            f"Every event has a trimmed {person}. An event without one is tracked for nobody; "
            "a padded id tracks it for another person than the profile.",
            _id_rules(
                source, schema, CUSTOMER_ID, person, names.MISSING_CUSTOMER_ID, PADDED_CUSTOMER_ID
            ),
        ),
        source.check(
            TIMESTAMPS,
            f"Every event has {occurred_at}, not in the future and not a sentinel. Customer.io "
            "fires journeys for events stamped in the last 72 hours: a wrong time fires or "
            "misses them.",
            [
                source.rule(
                    names.MISSING_OCCURRED_AT,
                    f"Events without {occurred_at}.",
                    "missing_value",
                    source.keys,
                    schema,
                    columns=_columns(*source.keys, OCCURRED_AT),
                    column=quoted(OCCURRED_AT),
                ),
                source.per_column_rule(
                    names.FUTURE_TIMESTAMP,
                    f"Events whose {occurred_at} is later than now plus {future_skew}.",
                    "future_timestamp",
                    [OCCURRED_AT],
                    {},
                ),
                source.per_column_rule(
                    IMPLAUSIBLY_EARLY_TIMESTAMP,
                    f"Events whose {occurred_at} is at or before "
                    f"{EARLIEST_EVENT_TIME:%Y-%m-%d %H:%M} UTC, the unix epoch: a time filled "
                    "with 0, or a sentinel date.",
                    "early_timestamp",
                    [OCCURRED_AT],
                    {"earliest": EARLIEST_EVENT_TIME},
                ),
            ],
            params=timestamp_params,
        ),
        source.check(
            VOCABULARY,
            f"Every {source.event_name} is in the spec's vocabulary ({', '.join(vocabulary)}). "
            "Journeys trigger on exact names: another name would reach Customer.io as a new "
            "event and its journey would never fire.",
            [_unknown_names_rule(source, vocabulary)],
        ),
        source.check(
            NEAR_DUPLICATE_NAMES,
            f"No {source.event_name} is a near duplicate of a vocabulary name (case, spacing, "
            "punctuation, word order or spelling drift, e.g. 'order placed'). Such events are "
            f"also blocked by {check_name(spec, VOCABULARY)}; this names the vocabulary name "
            "each one drifted from, the likely fix.",
            [_near_duplicates_rule(source, vocabulary)],
            severity=dg.AssetCheckSeverity.WARN,
        ),
        source.check(
            CUSTOMERIO_LIMITS,
            f"Events fit Customer.io's limits (resources/customerio/limits.py): a person id "
            f"of at most {IDENTIFIER_MAX_BYTES} bytes and event data of at most "
            f"{ENTRY_MAX_BYTES} bytes, in UTF-8. The send rejects such an event on its own, "
            "with its reason, and sends the rest: these rows are listed here early.",
            [
                source.per_column_rule(
                    names.CUSTOMER_ID_TOO_LONG,
                    f"Events whose {person} is longer than {IDENTIFIER_MAX_BYTES} bytes.",
                    "too_many_bytes",
                    [CUSTOMER_ID],
                    {"max_bytes": IDENTIFIER_MAX_BYTES},
                ),
                source.per_column_rule(
                    names.PROPERTIES_TOO_LARGE,
                    f"Events whose {source.event_data} is larger than "
                    f"{ENTRY_MAX_BYTES} bytes as JSON; the data itself is not shown.",
                    "too_many_bytes",
                    [PROPERTIES],
                    {"max_bytes": ENTRY_MAX_BYTES},
                ),
            ],
            severity=dg.AssetCheckSeverity.WARN,
        ),
    ]


def _off_vocabulary(
    source: _Source, vocabulary: Sequence[str], session: WarehouseSession, params: Mapping[str, Any]
) -> pd.DataFrame | None:
    """Distinct off-vocabulary names of the checked days, with the name each resembles; None
    when every name is in the vocabulary."""
    in_list, allowed = placeholders("vocabulary", vocabulary)
    query = _template("off_vocabulary_names").format(
        relation=source.relation,
        partition=source.partition,
        event_name=quoted(EVENT_NAME),
        event_key=quoted(EVENT_KEY),
        allowed=in_list,
    )
    values = {**params, "max_names": MAX_OFF_VOCABULARY_NAMES, **allowed}
    fetched = session.fetch_arrow(query, values)
    # The usual case, and every passing plan's gate: no name to show, so no pandas to import.
    if not fetched.num_rows:
        return None
    # Imported for off-vocabulary names only, not with the module: see asset_checks.samples.
    from asset_checks import samples

    rows = samples.to_frame(fetched)
    found = list(zip(rows[EVENT_NAME], rows[EVENT_NAME].isna(), strict=True))
    matches = [None if missing else resemblance(name, vocabulary) for name, missing in found]
    rows["resembles"] = [match.vocabulary_name if match else None for match in matches]
    rows["difference"] = [match.difference if match else None for match in matches]
    rows[EVENT_NAME] = [None if missing else as_written(name) for name, missing in found]
    return rows


def _unknown_names_rule(source: _Source, vocabulary: Sequence[str]) -> FunctionRule:
    def find(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        rows = _off_vocabulary(source, vocabulary, session, params)
        if rows is None:
            return NO_FINDINGS
        columns = [EVENT_NAME, "events", "example_event_key", "resembles"]
        return Findings(int(rows["events"].sum()), rows[columns].reset_index(drop=True))

    return FunctionRule(
        names.UNKNOWN_EVENT_NAME,
        f"Events whose {source.event_name} is not in the vocabulary (null included), one row "
        "per name with its event count; `resembles` names the vocabulary name it drifted from, "
        "if any. Fix the model, or add the name to `events.vocabulary` deliberately.",
        find,
        needs_scope=True,
    )


def _near_duplicates_rule(source: _Source, vocabulary: Sequence[str]) -> FunctionRule:
    def find(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        rows = _off_vocabulary(source, vocabulary, session, params)
        if rows is None:
            return NO_FINDINGS
        rows = rows[rows["resembles"].notna()]
        columns = [EVENT_NAME, "resembles", "difference", "events", "example_event_key"]
        return Findings(int(rows["events"].sum()), rows[columns].reset_index(drop=True))

    return FunctionRule(
        names.NEAR_DUPLICATE_EVENT_NAME,
        f"Events whose {source.event_name} is a near duplicate of a vocabulary name; "
        "`resembles` is the vocabulary name to send instead.",
        find,
        needs_scope=True,
    )
