"""The ``raw.*`` tables as Dagster source assets.

Nothing in this project writes the raw tables: loaders of the shop, subscription, support,
web and loyalty systems do. Declaring them as external assets puts them at the root of the
lineage graph, so the UI shows which models read which source, with each table's columns and
time zone taken from the raw contract in :mod:`retention_assets.sources.raw_schema`.
"""

from __future__ import annotations

import dagster as dg

from retention_assets.settings import warehouse_kind
from retention_assets.sources.raw_schema import RAW_TABLES, UTC, RawTable
from retention_assets.tables import RAW_SCHEMA

SOURCES_GROUP = "sources"
# Data engineering owns the raw contract (raw_schema.py) that every loader must meet.
SOURCE_OWNERS = ["team:data-engineering"]


def raw_asset_key(table: str) -> dg.AssetKey:
    """The asset key of one raw table; fails on a table the raw contract does not declare."""
    if table not in RAW_TABLES:
        raise KeyError(f"{RAW_SCHEMA}.{table} is not part of the raw contract")
    return dg.AssetKey([RAW_SCHEMA, table])


def _zone_note(table: RawTable) -> str:
    if table.zone_setting is None:
        return f"Naive timestamps are {UTC}."
    return f"Naive timestamps are store-local, in the zone set by {table.zone_setting}."


def _source_spec(table: RawTable) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=raw_asset_key(table.name),
        group_name=SOURCES_GROUP,
        owners=SOURCE_OWNERS,
        description=(
            f"{table.description} Loaded by the {table.source_system} system's loader. "
            f"Key: {', '.join(table.key)}. {_zone_note(table)}"
        ),
        kinds={warehouse_kind()},
        metadata={
            "dagster/table_name": table.qualified_name,
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name=column.name, type=column.type, description=column.description
                    )
                    for column in table.columns
                ]
            ),
        },
    )


RAW_SOURCE_ASSETS: list[dg.AssetSpec] = [_source_spec(table) for table in RAW_TABLES.values()]
