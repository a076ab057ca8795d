"""How model values become Customer.io attribute values, written once as SQL.

The plan compares what the warehouse holds with what Customer.io acknowledged by hashing
the exact JSON text that is sent. That text is produced in the warehouse from the attribute
registry, so the diff, the payload and the ledger can never disagree on an encoding:
timestamps become integer unix seconds, counts JSON integers, amounts JSON numbers, booleans
JSON booleans.
"""

from __future__ import annotations

import re

import orjson

from retention_assets.attributes import ATTRIBUTE_REGISTRY, SYNC_MAPPING, Attribute, ValueKind

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def quote_identifier(name: str) -> str:
    """A safe SQL identifier for a registry-declared column or attribute name."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain lower-case identifier: {name!r}")
    return f'"{name}"'


def quote_literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def value_json_sql(column: str, attribute: Attribute) -> str:
    """The SQL expression that renders one model column as the JSON text sent to Customer.io."""
    col = quote_identifier(column)
    if attribute.kind is ValueKind.TIMESTAMP:
        return f"CAST(CAST(EXTRACT(EPOCH FROM {col}) AS BIGINT) AS VARCHAR)"
    if attribute.kind is ValueKind.INTEGER:
        return f"CAST(CAST({col} AS BIGINT) AS VARCHAR)"
    if attribute.kind is ValueKind.NUMBER:
        return f"CAST(to_json(CAST({col} AS DOUBLE)) AS VARCHAR)"
    return f"CAST(to_json({col}) AS VARCHAR)"


def wide_values_sql(mapping: dict[str, str] | None = None) -> str:
    """A select list of ``<value expression> AS <attribute>`` for every mapped column."""
    mapping = mapping or SYNC_MAPPING
    return ",\n        ".join(
        f"{value_json_sql(column, ATTRIBUTE_REGISTRY[name])} AS {quote_identifier(name)}"
        for column, name in mapping.items()
    )


def digest_input_sql(mapping: dict[str, str] | None = None) -> str:
    """One text per row that changes whenever any mapped attribute's JSON value changes.

    JSON values delimit themselves (strings are quoted and escaped) and a NULL becomes the bare
    word null, so joining them with ``|`` can never make two different rows look equal.
    """
    parts = [
        f"coalesce({quote_identifier(name)}, 'null')" for name in (mapping or SYNC_MAPPING).values()
    ]
    return " || '|' || ".join(parts)


def attribute_list_sql(mapping: dict[str, str] | None = None) -> str:
    """The mapped attribute names as a comma-separated identifier list."""
    return ", ".join(quote_identifier(name) for name in (mapping or SYNC_MAPPING).values())


def clear_attributes_sql(mapping: dict[str, str] | None = None) -> str:
    """A SQL list literal of the mapped attributes whose null policy is ``clear``."""
    names = [
        name
        for name in (mapping or SYNC_MAPPING).values()
        if ATTRIBUTE_REGISTRY[name].null_policy == "clear"
    ]
    return "(" + ", ".join(quote_literal(name) for name in names) + ")" if names else "(NULL)"


def encode_value(attribute: Attribute, value: object) -> str | None:
    """The JSON text the warehouse would produce for a Python value (used for read-back)."""
    if value is None or value == "":
        return None
    if attribute.kind in (ValueKind.TIMESTAMP, ValueKind.INTEGER):
        return str(int(float(value)))  # type: ignore[arg-type]
    if attribute.kind is ValueKind.NUMBER:
        return orjson.dumps(float(value)).decode()  # type: ignore[arg-type]
    if attribute.kind is ValueKind.BOOLEAN:
        truthy = value if isinstance(value, bool) else str(value).lower() == "true"
        return "true" if truthy else "false"
    return orjson.dumps(str(value)).decode()
