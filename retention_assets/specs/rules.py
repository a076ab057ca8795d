"""The rules of a spec that relate its fields to each other, checked without a warehouse.

pydantic checks each field's shape; these rules need the whole spec (an attribute mapped
twice, a mapping onto an attribute another system owns, an event name outside the declared
vocabulary, a cadence that the stream cannot have). They run when a spec is loaded, before
anything reads the warehouse or calls Customer.io, and each names its field and fix.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from functools import cache

from dagster._utils.schedules import is_valid_cron_string

from resources.customerio.limits import (
    ATTRIBUTE_NAME_MAX_BYTES,
    ATTRIBUTES_MAX_COUNT,
    EVENT_NAME_MAX_BYTES,
    PERSON_IDENTIFIER_KEYS,
)
from retention_assets.attribute_types import ValueKind
from retention_assets.specs.errors import SpecError, did_you_mean, one_of
from retention_assets.specs.model import (
    UTC,
    AttributeMapping,
    DailyAsOf,
    DailyEvents,
    Events,
    Snapshot,
    SyncSpec,
)
from retention_assets.sync.policies import RemovalPolicy


def spec_errors(spec: SyncSpec) -> list[SpecError]:
    """Every rule the spec breaks, in file order."""
    file = str(spec.path or spec.name)
    return [
        SpecError(file, field, problem, fix)
        for field, problem, fix in (
            *_stream(spec),
            *_removals(spec),
            *_identity(spec),
            *_reconciliation(spec),
            *_attributes(spec),
            *(_events(spec.events) if spec.events else ()),
            *_membership(spec),
            *_cadence(spec),
            *_cohort(spec),
        )
    ]


Finding = tuple[str, str, str]


def _stream(spec: SyncSpec) -> Iterator[Finding]:
    partitioning = spec.source.partitioning
    if (
        spec.events is None
        and not spec.attributes
        and spec.membership is None
        and spec.erasure is None
    ):
        yield (
            "attributes",
            "the spec declares neither attributes nor events",
            "map at least one column under `attributes:` (a profile sync) or add `events:`",
        )
    if spec.events is not None and spec.attributes:
        yield (
            "events",
            "one spec declares both attributes and events",
            "split it into two specs, one per stream (profiles, events)",
        )
    if spec.events is not None and spec.object_type is not None:
        yield (
            "object_type",
            "an event stream cannot write objects: events belong to people",
            "remove `object_type`, or declare the objects' attributes in a spec of their own",
        )
    if spec.events is None and isinstance(partitioning, DailyEvents):
        yield (
            "source.partitioning.kind",
            "`daily_events` partitions an event stream, this is a profile sync",
            "use `daily_as_of` (one row per id per day) or `snapshot`",
        )
    if spec.events is not None and isinstance(partitioning, DailyAsOf):
        yield (
            "source.partitioning.kind",
            "`daily_as_of` partitions profile state, this is an event stream",
            "use `daily_events` with the event's UTC timestamp column, or `snapshot`",
        )


def _membership(spec: SyncSpec) -> Iterator[Finding]:
    """A relationship or segment stream: one membership, on people, without profile fields."""
    declared = [name for name in ("relationships", "segment") if getattr(spec, name) is not None]
    if not declared:
        return
    first = declared[0]
    if spec.events is not None:
        yield (
            first,
            f"an event stream cannot keep {first}: events are sent, not kept equal",
            f"remove `{first}`, or declare it in a spec of its own with `snapshot` or"
            " `daily_as_of` partitioning",
        )
    if len(declared) > 1:
        yield (
            "segment",
            "one spec declares both relationships and a segment",
            "split it into two specs, one per membership",
        )
    if spec.attributes:
        where = "relationships.attributes" if first == "relationships" else "a profile sync"
        yield (
            "attributes",
            f"a {first} stream writes no profile attributes",
            f"move the columns to {where}, or sync the profile in a spec of its own",
        )
    if spec.object_type is not None:
        yield (
            "object_type",
            f"a {first} stream relates people, its rows are not objects",
            "remove the top-level `object_type`"
            + (
                ", and name the type under `relationships.object_type`"
                if first == "relationships"
                else ""
            ),
        )
    segment = spec.segment
    if segment is not None:
        if segment.id is None and segment.name is None:
            yield (
                "segment",
                "the segment is named neither by id nor by name",
                "write `segment: {id: <the manual segment's id>}` or `segment: {name: <name>}`",
            )
        if segment.id is not None and segment.name is not None:
            yield (
                "segment.name",
                "the segment is named both by id and by name",
                "keep `id` (an existing segment) or `name` (looked up, created if missing)",
            )
        if segment.id is None and segment.name is not None and spec.workspace.app_key_env is None:
            yield (
                "segment.name",
                "a segment named by name is looked up and created through the App API",
                "set `workspace.app_key_env`, or name the segment by `id`",
            )
    relationships = spec.relationships
    if relationships is None:
        return
    seen: dict[str, int] = {}
    for index, mapping in enumerate(relationships.attributes):
        name, field = mapping.attribute, f"relationships.attributes[{index}]"
        where = f"{field}.name" if mapping.name else f"{field}.column"
        if name in seen:
            yield (
                where,
                f"relationship attribute {name!r} is already written by"
                f" relationships.attributes[{seen[name]}]",
                "map each relationship attribute once: remove one mapping or rename it",
            )
        seen.setdefault(name, index)
        if len(name.encode()) > ATTRIBUTE_NAME_MAX_BYTES:
            yield (
                where,
                f"attribute name is longer than {ATTRIBUTE_NAME_MAX_BYTES} bytes",
                "choose a shorter name",
            )
        yield from _attribute_zone(mapping, f"{field}.time_zone")


def _removals(spec: SyncSpec) -> Iterator[Finding]:
    policy = spec.on_removed
    if spec.events is not None and policy is not RemovalPolicy.KEEP:
        yield (
            "on_removed",
            "an event stream has no profiles to remove: a sent event stays sent",
            "remove `on_removed`, or set it on the profile sync of these people",
        )
    if spec.membership is not None and policy is not RemovalPolicy.KEEP:
        yield (
            "on_removed",
            f"a {spec.membership} stream removes what leaves its relation by itself, only what"
            " this sync added",
            "remove `on_removed`; to remove the people themselves, set it on their profile sync",
        )
    if spec.object_type is not None and policy is RemovalPolicy.SUPPRESS:
        yield (
            "on_removed",
            "only people can be suppressed, this stream writes objects",
            "use `keep`, `clear` or `delete` for objects",
        )
    if spec.erasure is None:
        return
    for field, present in (
        ("attributes", bool(spec.attributes)),
        ("events", spec.events is not None),
        ("object_type", spec.object_type is not None),
        ("relationships", spec.relationships is not None),
        ("segment", spec.segment is not None),
    ):
        if present:
            yield (
                field,
                f"an erasure stream only names people to erase; it cannot also write {field}",
                f"remove `{field}`, or declare it in a spec of its own",
            )
    if policy is not RemovalPolicy.KEEP:
        yield (
            "on_removed",
            "an erasure stream suppresses the ids it holds; a request that leaves the relation"
            " does not undo it",
            "remove `on_removed` from the erasure spec",
        )
    if not isinstance(spec.source.partitioning, Snapshot):
        yield (
            "source.partitioning.kind",
            "an erasure relation is read whole: every request ever made stays in force",
            "use `snapshot`",
        )


def _identity(spec: SyncSpec) -> Iterator[Finding]:
    column = spec.identity.column
    email_columns = {m.column for m in spec.attributes if m.attribute == "email"}
    if "email" in column.lower() or column in email_columns:
        yield (
            "identity.column",
            f"{column!r} is an email: an email changes, so it is never the person's id",
            "use the stable customer key as identity and map the email as an attribute",
        )


_RECONCILE_SETTINGS = ("reconcile", "max_merges", "lookup_ttl_hours")


def _reconciliation(spec: SyncSpec) -> Iterator[Finding]:
    """Identity reconciliation: only for person profiles, through their `email` attribute."""
    identity = spec.identity
    chosen = identity.email_attribute
    if chosen is None:
        for name in _RECONCILE_SETTINGS:
            if name in identity.model_fields_set:
                yield (
                    f"identity.{name}",
                    "identity reconciliation settings without `identity.email_attribute`",
                    "name the email attribute under `identity.email_attribute`, or remove them",
                )
        return
    if spec.stream != "profiles" or spec.entity != "person" or spec.is_erasure:
        if spec.is_erasure or spec.entity == "object":
            what = "an erasure stream" if spec.is_erasure else "an object stream"
        else:
            what = f"a {spec.stream} stream"
        yield (
            "identity.email_attribute",
            f"identity reconciliation looks up people's profiles by email; this is {what}",
            "remove `identity.email_attribute`, or declare it on the profile sync of these people",
        )
        return
    if identity.reconcile and spec.workspace.app_key_env is None:
        yield (
            "identity.email_attribute",
            "identity reconciliation looks emails up through the App API, and the workspace"
            " names no App API key",
            "set `workspace.app_key_env`",
        )
    mapping = next((m for m in spec.attributes if chosen in (m.attribute, m.column)), None)
    if mapping is None:
        names = [m.attribute for m in spec.attributes]
        yield (
            "identity.email_attribute",
            f"{chosen!r} is not one of the sync's attributes{did_you_mean(chosen, names)}",
            f"name one of {one_of(names)}",
        )
    elif mapping.attribute != "email":
        yield (
            "identity.email_attribute",
            f"{chosen!r} is written as attribute {mapping.attribute!r}; Customer.io matches"
            " profiles by the attribute `email` only",
            f"name the mapping of column {mapping.column!r} `email`",
        )


def _attributes(spec: SyncSpec) -> Iterator[Finding]:
    foreign = {attribute.name: attribute.owner for attribute in spec.workspace.foreign_attributes}
    seen: dict[str, int] = {}
    # A profile holds every writer's attributes, not just the ones this sync writes.
    profile = {mapping.attribute for mapping in spec.attributes} | set(foreign)
    if len(profile) > ATTRIBUTES_MAX_COUNT:
        yield (
            "attributes",
            f"{len(profile)} attributes with the workspace's foreign ones, Customer.io keeps at"
            f" most {ATTRIBUTES_MAX_COUNT}",
            "map fewer columns",
        )
    for index, mapping in enumerate(spec.attributes):
        name, field = mapping.attribute, f"attributes[{index}]"
        where = f"{field}.name" if mapping.name else f"{field}.column"
        if name in seen:
            yield (
                where,
                f"attribute {name!r} is already written by attributes[{seen[name]}]",
                "map each Customer.io attribute once: remove one mapping or rename it",
            )
        seen.setdefault(name, index)
        if name in foreign:
            yield (
                where,
                f"attribute {name!r} is owned by {foreign[name]}; two writers overwrite each other",
                "do not sync it: remove the mapping, or write a different attribute name",
            )
        if name in PERSON_IDENTIFIER_KEYS - {"email"}:
            yield (
                where,
                f"{name!r} is a Customer.io identifier, not an attribute",
                "set the person's id with `identity.column`; pick another attribute name",
            )
        if len(name.encode()) > ATTRIBUTE_NAME_MAX_BYTES:
            yield (
                where,
                f"attribute name is longer than {ATTRIBUTE_NAME_MAX_BYTES} bytes",
                "choose a shorter name",
            )
        yield from _attribute_zone(mapping, f"{field}.time_zone")
    for index, attribute in enumerate(spec.workspace.foreign_attributes):
        if list(foreign).index(attribute.name) != index:
            yield (
                f"workspace.foreign_attributes[{index}].name",
                f"{attribute.name!r} is listed twice",
                "list each foreign attribute once, with its one owner",
            )


def _events(events: Events) -> Iterator[Finding]:
    vocabulary = [entry.name for entry in events.vocabulary]
    for index, name in enumerate(vocabulary):
        if vocabulary.index(name) != index:
            yield (f"events.vocabulary[{index}].name", f"{name!r} is listed twice", "list it once")
        if len(name.encode()) > EVENT_NAME_MAX_BYTES:
            yield (
                f"events.vocabulary[{index}].name",
                f"event name is longer than {EVENT_NAME_MAX_BYTES} bytes",
                "choose a shorter name",
            )
    given = [key for key in ("constant", "column") if getattr(events.name, key) is not None]
    if len(given) != 1:
        yield (
            "events.name",
            "give the event name either as `constant` or as `column`"
            + (", not both" if given else ""),
            "write `name: {constant: <event name>}` or `name: {column: <column>}`",
        )
    constant = events.name.constant
    if constant is not None and constant not in vocabulary:
        yield (
            "events.name.constant",
            f"{constant!r} is not in the event vocabulary",
            f"use one of {one_of(vocabulary)}{did_you_mean(constant, vocabulary)},"
            " or add it to `events.vocabulary`",
        )
    yield from _zone("events.occurred_at.time_zone", events.occurred_at.time_zone)
    names = [prop.name or prop.column for prop in events.properties]
    for index, name in enumerate(names):
        if names.index(name) != index:
            yield (
                f"events.properties[{index}]",
                f"property {name!r} is sent twice",
                "send each property once: remove one, or give it another `name`",
            )


def _attribute_zone(mapping: AttributeMapping, field: str) -> Iterator[Finding]:
    if mapping.time_zone == UTC:
        return
    if mapping.kind is not ValueKind.TIMESTAMP:
        yield (
            field,
            f"a source time zone applies to timestamps, this attribute is {mapping.kind}",
            "remove `time_zone`, or declare `kind: timestamp` if the column holds times",
        )
        return
    yield from _zone(field, mapping.time_zone)


def _zone(field: str, zone: str) -> Iterator[Finding]:
    if zone not in _time_zones():
        yield (
            field,
            f"{zone!r} is not an IANA time zone",
            f"write a name such as 'UTC' or 'Europe/Berlin'{did_you_mean(zone, _time_zones())}",
        )


def _cadence(spec: SyncSpec) -> Iterator[Finding]:
    if not is_valid_cron_string(spec.cadence.cron):
        yield (
            "cadence.cron",
            f"{spec.cadence.cron!r} is not a cron schedule",
            "write five fields: minute hour day-of-month month day-of-week, e.g. '15 * * * *'",
        )
    if spec.cadence.continuous and spec.events is None:
        yield (
            "cadence.continuous",
            "a continuous cadence sends newly landed events; a profile sync has none",
            "remove `continuous`, or schedule profiles with `cron`",
        )
    if spec.cadence.continuous and spec.events is not None and spec.events.loaded_at is None:
        yield (
            "events.loaded_at",
            "a continuous cadence finds new rows by when they landed",
            "add `loaded_at:` with the column of the row's landing time",
        )
    if spec.name in spec.cadence.after:
        yield (
            "cadence.after",
            f"sync {spec.name!r} is listed after itself",
            "list the other syncs whose sends must come first, not this one",
        )
    repeated = sorted({name for name in spec.cadence.after if spec.cadence.after.count(name) > 1})
    if repeated:
        yield (
            "cadence.after",
            f"{', '.join(map(repr, repeated))} listed more than once",
            "list each sync once",
        )


def _cohort(spec: SyncSpec) -> Iterator[Finding]:
    cohort = spec.cohort
    if spec.entity == "object" and cohort.members:
        yield (
            "cohort.members",
            "the test cohort reads people back; an object stream writes objects",
            "remove `cohort` from this spec, or declare it on the sync of the people",
        )
    seen: set[str] = set()
    for index, member in enumerate(cohort.members):
        field = f"cohort.members[{index}]"
        if member.id in seen:
            yield (f"{field}.id", f"{member.id!r} is listed twice", "list each customer once")
        seen.add(member.id)
        for segment in sorted(set(member.in_segments) & set(member.not_in_segments)):
            yield (
                f"{field}.not_in_segments",
                f"{member.id!r} is expected both in and not in segment {segment!r}",
                "keep the segment in one of `in_segments` and `not_in_segments`",
            )


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
