"""Table metadata as text, so tests can look for a row the way a person reads it.

``as_text`` renders a ``TableMetadataValue`` as ``| a | b |`` lines (a header, then a line per
record; ``null`` for a missing cell): the assertions name whole rows, in column order.
"""

from __future__ import annotations

import dagster as dg


def _cell(value: object) -> str:
    return "null" if value is None else str(value)


def as_text(value: dg.MetadataValue) -> str:
    assert isinstance(value, dg.TableMetadataValue), f"not table metadata: {value!r}"
    assert value.schema is not None
    columns = [column.name for column in value.schema.columns]
    lines = ["| " + " | ".join(columns) + " |"]
    lines += [
        "| " + " | ".join(_cell(record.data.get(column)) for column in columns) + " |"
        for record in value.records
    ]
    return "\n".join(lines)
