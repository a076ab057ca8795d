"""Loads the sync's SQL files and fills in the parts generated from the attribute registry."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from retention_assets.sync import encoding
from retention_assets.sync.shards import shard_filter_sql

SQL_DIR = Path(__file__).parent / "sql"


@cache
def sql_file(name: str) -> str:
    """The text of one ``sql/<name>.sql`` file."""
    return (SQL_DIR / f"{name}.sql").read_text()


def customer_state_plan_sql(mapping: dict[str, str] | None = None) -> str:
    """The plan script, with the registry-derived column lists in place."""
    return sql_file("customer_state_plan").format(
        wide_values=encoding.wide_values_sql(mapping),
        digest_input=encoding.digest_input_sql(mapping),
        attribute_list=encoding.attribute_list_sql(mapping),
        clear_attributes=encoding.clear_attributes_sql(mapping),
    )


@cache
def sharded_sql(name: str, customer_column: str) -> str:
    """A send script restricted to one shard's customers (``$shard_index``, ``$shard_count``)."""
    return sql_file(name).format(shard_filter=shard_filter_sql(customer_column))
