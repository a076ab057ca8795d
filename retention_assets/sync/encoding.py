"""How model values become Customer.io attribute values, written once as SQL.

The plan compares what the warehouse holds with what Customer.io acknowledged by hashing
the exact JSON text that is sent. That text is produced in the warehouse from the attribute
spec, so the diff, the payload and the ledger can never disagree on an encoding:
timestamps become integer unix seconds, counts JSON integers, amounts JSON numbers, booleans
JSON booleans.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlglot import exp

from retention_assets.attribute_types import Attribute, NullPolicy, ValueKind


def quote_identifier(name: str) -> str:
    """A quoted SQL identifier for a declared column or attribute name, whatever it holds."""
    return exp.to_identifier(name, quoted=True).sql("duckdb")


def quote_literal(value: str) -> str:
    """A SQL string literal."""
    return exp.Literal.string(value).sql("duckdb")


def value_json_sql(column: str, attribute: Attribute) -> str:
    """The SQL expression that renders one source column as the JSON text sent to Customer.io."""
    col = quote_identifier(column)
    if attribute.kind is ValueKind.TIMESTAMP:
        return f"CAST(CAST(EXTRACT(EPOCH FROM {col}) AS BIGINT) AS VARCHAR)"
    if attribute.kind is ValueKind.INTEGER:
        return f"CAST(CAST({col} AS BIGINT) AS VARCHAR)"
    if attribute.kind is ValueKind.NUMBER:
        return f"CAST(to_json(CAST({col} AS DOUBLE)) AS VARCHAR)"
    return f"CAST(to_json({col}) AS VARCHAR)"


def wide_values_sql(attributes: Sequence[Attribute]) -> str:
    """A select list of ``<value expression> AS <attribute>`` over the source view's columns.

    The source view names each column after the attribute it is written to.
    """
    return ",\n        ".join(
        f"{value_json_sql(attribute.name, attribute)} AS {quote_identifier(attribute.name)}"
        for attribute in attributes
    )


def digest_input_sql(attributes: Sequence[Attribute]) -> str:
    """One text per row that changes whenever any attribute's JSON value changes.

    JSON values delimit themselves (strings are quoted and escaped) and a NULL becomes the bare
    word null, so joining them with ``|`` can never make two different rows look equal.
    """
    parts = [f"coalesce({quote_identifier(a.name)}, 'null')" for a in attributes]
    return " || '|' || ".join(parts)


def attribute_list_sql(attributes: Sequence[Attribute]) -> str:
    """The attribute names as a comma-separated identifier list."""
    return ", ".join(quote_identifier(a.name) for a in attributes)


def clear_attributes_sql(attributes: Sequence[Attribute]) -> str:
    """A SQL list literal of the attributes whose null policy is ``clear``."""
    names = [a.name for a in attributes if a.null_policy == NullPolicy.CLEAR]
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
