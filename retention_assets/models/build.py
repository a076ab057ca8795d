"""Mechanics shared by the warehouse models: DDL from a column contract, SQL files, previews.

Both models follow one pattern. A declared column list is at once the table's DDL, the INSERT's
column list and the Dagster column schema, so the three cannot drift apart. The SELECT lives
in a ``.sql`` file next to its asset, in DuckDB's dialect with ``$name`` parameters, so the
session of another warehouse can translate it. A partition is replaced by delete-then-insert
inside one transaction, so a re-run never doubles rows and a failed run leaves the old rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

from resources.sql_files import package_sql
from resources.warehouse import WarehouseSession
from retention_assets.lineage import ColumnRef, lineage_note
from retention_assets.metadata_tables import records_table
from retention_assets.privacy import shown_value
from retention_assets.tables import MODEL_SCHEMA

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class ModelColumn:
    """One column of a model table: its name, warehouse type and meaning."""

    name: str
    sql_type: str
    description: str


def column_schema(
    columns: Sequence[ModelColumn], lineage: Mapping[str, Sequence[ColumnRef]]
) -> dg.TableSchema:
    """The Dagster column schema shown in the UI's asset page.

    Each description ends with the raw columns the column is computed from: the open-source
    UI does not draw ``dagster/column_lineage``, but it shows these descriptions.
    """
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.sql_type,
                description=column.description + lineage_note(lineage.get(column.name, ())),
            )
            for column in columns
        ]
    )


def load_sql(filename: str) -> str:
    """The text of a ``.sql`` file shipped in this package."""
    return package_sql(__package__ or "retention_assets.models", filename)


def ensure_table(session: WarehouseSession, table: str, columns: Sequence[ModelColumn]) -> None:
    """Create the model's schema and table if this warehouse has never built them."""
    definitions = ", ".join(f"{column.name} {column.sql_type}" for column in columns)
    session.execute(f"CREATE SCHEMA IF NOT EXISTS {MODEL_SCHEMA}")
    session.execute(f"CREATE TABLE IF NOT EXISTS {table} ({definitions})")


def insert_sql(table: str, columns: Sequence[ModelColumn], select_sql: str) -> str:
    """``INSERT INTO table (columns) <select>``, matching the SELECT's columns by position."""
    names = ", ".join(column.name for column in columns)
    return f"INSERT INTO {table} ({names})\n{select_sql}"


def preview_table(rows: pa.Table) -> dg.TableMetadataValue:
    """A small table of sample rows for the asset's metadata, emails masked."""
    records = [
        {name: shown_value(name, value) for name, value in row.items()} for row in rows.to_pylist()
    ]
    return records_table(rows.column_names, records)
