"""Rows shown in asset and check metadata, as ``MetadataValue.table``.

The Dagster UI renders table metadata as a typed table (numbers sort as numbers, nulls show as
empty cells), where hand-built markdown tables broke on a ``|`` in a value and showed every
number as text. Cells are flattened to one line and long text is cut: a 32 KB payload would
drown the UI. Masking emails is the caller's job (``retention_assets.privacy``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import dagster as dg

if TYPE_CHECKING:
    import pandas as pd

# Text cells longer than this are cut, unless the caller shows its own words whole.
MAX_CELL_CHARS: Final = 80
# The column types TableMetadataValue knows, for the Python values a sample holds.
_COLUMN_TYPES: Final[tuple[tuple[type, str], ...]] = (
    (bool, "bool"),
    (int, "int"),
    (float, "float"),
)

Cell = str | int | float | bool | None


def _is_null(value: Any) -> bool:
    # Records hold Python values: a null is None (``frame_table`` makes pandas' nulls None), or
    # the NaN of a float column.
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: Any, max_chars: int | None) -> str:
    text = value.isoformat() if isinstance(value, dt.datetime | dt.date) else str(value)
    text = " ".join(text.split())
    if max_chars is None or len(text) <= max_chars:
        return text
    return f"{text[: max_chars - 1]}…"


def _column_type(values: Sequence[Any]) -> str:
    present = [value for value in values if not _is_null(value)]
    for kind, name in _COLUMN_TYPES:
        # bool is an int in Python: an int column must not take booleans, nor the reverse.
        if present and all(type(value) is kind for value in present):
            return name
    if present and all(type(value) in (int, float) for value in present):
        return "float"
    return "string"


def _cell(value: Any, column_type: str, max_chars: int | None) -> Cell:
    if _is_null(value):
        return None
    if column_type == "string":
        return _text(value, max_chars)
    return float(value) if column_type == "float" else value


def records_table(
    columns: Sequence[str],
    records: Sequence[Mapping[str, Any]],
    max_chars: int | None = MAX_CELL_CHARS,
) -> dg.TableMetadataValue:
    """``records`` (one mapping per row) as a typed table of ``columns``."""
    types = {column: _column_type([record[column] for record in records]) for column in columns}
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {column: _cell(record[column], types[column], max_chars) for column in columns}
            )
            for record in records
        ],
        schema=dg.TableSchema(
            columns=[dg.TableColumn(column, types[column]) for column in columns]
        ),
    )


def frame_table(
    rows: pd.DataFrame, max_chars: int | None = MAX_CELL_CHARS
) -> dg.TableMetadataValue:
    """A DataFrame as a typed table, its columns in order.

    Its nulls (None, NaN, NaT and pd.NA, as ``DataFrame.isna`` finds them: a list or dict cell
    is a value, never null) become None. The frame's own methods find them, so that this module
    imports no pandas: the code location loads it, and pandas costs ~0.45 s (issue 15).
    """
    nulls = rows.isna().to_dict("records")
    records = [
        {str(column): None if null[column] else value for column, value in record.items()}
        for record, null in zip(rows.to_dict("records"), nulls, strict=True)
    ]
    return records_table([str(column) for column in rows.columns], records, max_chars)
