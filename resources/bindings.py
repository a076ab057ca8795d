"""The one place the project binds resources: the warehouse and Customer.io.

Switching the warehouse or pointing Customer.io at the local sandbox is a matter of
environment variables read here, never of editing assets.
"""

from __future__ import annotations

from typing import Any

from resources.customerio import customerio_resource_from_env
from resources.warehouse import DuckDBWarehouse, WarehouseResource
from retention_assets.settings import Settings, SettingsError, load_settings


def warehouse_from_settings(settings: Settings) -> WarehouseResource:
    """The warehouse resource the settings select."""
    if settings.warehouse == "snowflake":
        raise SettingsError(
            "RETENTION_WAREHOUSE=snowflake is not available yet in this version; use duckdb"
        )
    return DuckDBWarehouse(database=str(settings.duckdb_path))


def resources_from_env(settings: Settings | None = None) -> dict[str, Any]:
    """Every resource the definitions need, configured from the environment."""
    settings = settings or load_settings()
    return {
        "warehouse": warehouse_from_settings(settings),
        "customerio": customerio_resource_from_env(),
    }
