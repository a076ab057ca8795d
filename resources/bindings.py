"""The one place the project binds its deployment-wide resource: the warehouse.

Switching the warehouse or pointing Customer.io at the local sandbox is a matter of
environment variables read here, never of editing assets.
"""

from __future__ import annotations

from typing import Any

from resources.warehouse import DuckDBWarehouse, WarehouseResource
from retention_assets.settings import Settings, load_settings


def warehouse_from_settings(settings: Settings) -> WarehouseResource:
    """The warehouse resource the settings select (``RETENTION_WAREHOUSE``)."""
    if settings.warehouse == "snowflake":
        # Imported here: dagster-snowflake and its connector take seconds to import, which
        # every step process of a DuckDB deployment would otherwise pay for nothing.
        from resources.snowflake import snowflake_warehouse_from_env

        return snowflake_warehouse_from_env(settings.snowflake_raw_location)
    return DuckDBWarehouse(
        database=str(settings.duckdb_path), sync_memory_limit=settings.duckdb_sync_memory_limit
    )


def resources_from_env(settings: Settings | None = None) -> dict[str, Any]:
    """The deployment's resources, configured from the environment.

    Customer.io resources are per workspace and bound by each sync's definitions
    (``retention_assets.sync.factory``).
    """
    settings = settings or load_settings()
    return {"warehouse": warehouse_from_settings(settings)}
