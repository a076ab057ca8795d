"""Check a spec against the relation it reads, before anything runs.

A spec can be well formed and still not fit its warehouse: a column renamed in a dbt model,
a revenue column declared ``integer`` that holds decimals, a timestamp declared ``string``.
These checks need only the relation's column names and type names, as
``information_schema.columns`` gives them (``asset_checks.factory.table_columns``), so they
run at load time on DuckDB and Snowflake alike and never read a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

from resources.warehouse import WarehouseSession
from retention_assets.attribute_types import ValueKind
from retention_assets.specs.errors import SpecError, did_you_mean, with_lines
from retention_assets.specs.model import UTC, DailyAsOf, DailyEvents, SyncSpec

# Warehouse type names by family, DuckDB and Snowflake spellings (information_schema's
# data_type, upper case, without the parenthesised precision).
_STRING: Final = frozenset({"VARCHAR", "TEXT", "STRING", "CHAR", "CHARACTER", "CHARACTER VARYING"})
# A fixed-point type of scale 0 holds integers: Snowflake stores every integer as NUMBER(38,0).
_INTEGRAL: Final = "NUMBER(p,0)"
_INTEGER: Final = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}
    | {"UINTEGER", "UBIGINT", "UHUGEINT", "BYTEINT", _INTEGRAL}
)
_DECIMAL: Final = frozenset({"DECIMAL", "NUMERIC", "NUMBER"})
_FLOAT: Final = frozenset({"FLOAT", "DOUBLE", "REAL", "DOUBLE PRECISION", "FLOAT4", "FLOAT8"})
_BOOLEAN: Final = frozenset({"BOOLEAN", "BOOL"})
_ZONED: Final = frozenset({"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "TIMESTAMP_TZ"})
_NAIVE: Final = frozenset({"TIMESTAMP", "TIMESTAMP_NTZ", "DATETIME", "TIMESTAMP_LTZ"})
_DATE: Final = frozenset({"DATE"})
_JSON: Final = frozenset({"JSON", "VARIANT", "OBJECT"}) | _STRING

_KIND_TYPES: Final[Mapping[ValueKind, frozenset[str]]] = {
    ValueKind.STRING: _STRING,
    ValueKind.INTEGER: _INTEGER,
    ValueKind.NUMBER: _INTEGER | _DECIMAL | _FLOAT,
    ValueKind.BOOLEAN: _BOOLEAN,
    ValueKind.TIMESTAMP: _ZONED | _NAIVE,
}
_IDENTITY: Final = _STRING | _INTEGER
_TIMESTAMP: Final = _ZONED | _NAIVE
_SCALAR: Final = _STRING | _INTEGER | _DECIMAL | _FLOAT | _BOOLEAN | _TIMESTAMP | _DATE | _JSON
_PRECISION: Final = re.compile(r"\s*\((?P<args>.*)\)\s*$")

_COLUMNS_SQL: Final = Path(__file__).with_name("relation_columns.sql").read_text(encoding="utf-8")


def type_family(type_name: str) -> str:
    """The family a warehouse type name belongs to: ``DECIMAL(18,2)`` -> ``DECIMAL``.

    A fixed-point type of scale 0 (``NUMBER(38,0)``, ``DECIMAL(18,0)``) is an integer; so is
    a bare ``NUMBER``, which is how Snowflake's ``data_type`` names every fixed-point column
    when the scale is not given (:func:`relation_columns` gives it).
    """
    name = type_name.strip().upper()
    match = _PRECISION.search(name)
    base = name[: match.start()].strip() if match else name
    if base in _DECIMAL:
        args = match.group("args").split(",") if match else []
        scale = args[1].strip() if len(args) == 2 else None
        if scale == "0" or (not args and base == "NUMBER"):
            return _INTEGRAL
    return base


def relation_columns(session: WarehouseSession, relation: str) -> dict[str, str]:
    """Column name (lower case) -> type name of ``[database.]schema.name``; empty if absent.

    Like ``asset_checks.factory.table_columns``, with the scale of fixed-point columns, which
    tells an integer from a decimal on Snowflake.
    """
    parts = relation.split(".")
    catalog, schema, name = ([None, *parts] if len(parts) == 2 else parts)[-3:]
    rows = session.fetch_all(
        _COLUMNS_SQL, {"table_catalog": catalog, "table_schema": schema, "table_name": name}
    )
    return {
        column: _with_scale(data_type, precision, scale)
        for column, data_type, precision, scale in rows
    }


def _with_scale(data_type: str, precision: int | None, scale: int | None) -> str:
    if data_type.upper() in _DECIMAL and scale is not None and precision is not None:
        return f"{data_type}({precision},{scale})"
    return data_type


def check_spec_against_relation(spec: SyncSpec, columns: Mapping[str, str]) -> list[SpecError]:
    """Every way the spec does not fit the relation whose columns (name -> type) are given.

    Column names compare case-insensitively: Snowflake stores unquoted names upper case.
    """
    file = str(spec.path or spec.name)
    types = {name.lower(): data_type.strip().upper() for name, data_type in columns.items()}
    if not types:
        missing = SpecError(
            file,
            "source.relation",
            f"relation {spec.source.relation!r} does not exist or has no columns",
            "build the upstream model first, or correct the relation's name",
        )
        return with_lines([missing], spec.lines)
    found = [
        SpecError(file, field, problem, fix)
        for field, column, allowed, wants in _references(spec)
        for problem, fix in _verdict(column, types, allowed, wants)
    ]
    found += [SpecError(file, *finding) for finding in _zone_conflict(spec, types)]
    return with_lines(found, spec.lines)


Reference = tuple[str, str, frozenset[str], str]


def _references(spec: SyncSpec) -> Iterator[Reference]:
    """(field, column, allowed type families, what the column must be) of each column named."""
    partitioning = spec.source.partitioning
    if isinstance(partitioning, DailyAsOf):
        yield "source.partitioning.column", partitioning.column, _DATE, "a DATE"
    if isinstance(partitioning, DailyEvents):
        yield "source.partitioning.column", partitioning.column, _TIMESTAMP, "a timestamp"
    yield "identity.column", spec.identity.column, _IDENTITY, "a string or integer key"
    for index, mapping in enumerate(spec.attributes):
        allowed = _KIND_TYPES[mapping.kind]
        yield f"attributes[{index}].column", mapping.column, allowed, f"of kind {mapping.kind}"
    relationships = spec.relationships
    if relationships is not None:
        yield (
            "relationships.object_id.column",
            relationships.object_id.column,
            _IDENTITY,
            "a string or integer key",
        )
        for index, mapping in enumerate(relationships.attributes):
            allowed = _KIND_TYPES[mapping.kind]
            yield (
                f"relationships.attributes[{index}].column",
                mapping.column,
                allowed,
                f"of kind {mapping.kind}",
            )
    if spec.erasure is not None and spec.erasure.requested_at:
        yield "erasure.requested_at", spec.erasure.requested_at, _TIMESTAMP, "a timestamp"
    events = spec.events
    if events is None:
        return
    yield "events.key", events.key, _IDENTITY, "a string or integer key"
    if events.name.column:
        yield "events.name.column", events.name.column, _STRING, "a string"
    yield "events.occurred_at.column", events.occurred_at.column, _TIMESTAMP, "a timestamp"
    if events.loaded_at:
        yield "events.loaded_at", events.loaded_at, _TIMESTAMP, "a timestamp"
    for index, prop in enumerate(events.properties):
        yield f"events.properties[{index}].column", prop.column, _SCALAR, "a scalar or JSON"
    if events.properties_object:
        yield "events.properties_object", events.properties_object, _JSON, "a JSON object"


def _verdict(
    column: str, types: Mapping[str, str], allowed: frozenset[str], wants: str
) -> Iterator[tuple[str, str]]:
    found = types.get(column.lower())
    if found is None:
        yield (
            f"column {column!r} is not in the relation",
            f"name an existing column{did_you_mean(column.lower(), types)}",
        )
    elif type_family(found) not in allowed:
        yield (
            f"column {column!r} is {found}, which cannot be sent as {wants}",
            f"cast it in the model to one of {', '.join(sorted(allowed))}, or declare the kind"
            " its values have",
        )


def _zone_conflict(spec: SyncSpec, types: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
    """A source time zone other than UTC on a column that already carries its zone.

    Such a column holds absolute instants, so a declared zone could only be ignored: that
    hides a misreading of the data, which the reviewer should hear about. A naive column
    without a zone is read as UTC, for event times and timestamp attributes alike.
    """
    zoned: list[tuple[str, str, str]] = [
        (f"attributes[{index}].time_zone", mapping.column, mapping.time_zone)
        for index, mapping in enumerate(spec.attributes)
        if mapping.kind is ValueKind.TIMESTAMP
    ]
    if spec.relationships is not None:
        zoned += [
            (f"relationships.attributes[{index}].time_zone", mapping.column, mapping.time_zone)
            for index, mapping in enumerate(spec.relationships.attributes)
            if mapping.kind is ValueKind.TIMESTAMP
        ]
    if spec.events is not None:
        occurred_at = spec.events.occurred_at
        zoned.append(("events.occurred_at.time_zone", occurred_at.column, occurred_at.time_zone))
    for field, column, zone in zoned:
        found = types.get(column.lower())
        if zone != UTC and found is not None and type_family(found) in _ZONED:
            yield (
                field,
                f"column {column!r} is {found}: it already holds absolute instants",
                "set `time_zone: UTC` (or remove it), or point `column` at the naive local"
                " timestamp",
            )
