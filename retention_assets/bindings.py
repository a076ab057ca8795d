"""The one place the project builds resources: the warehouse and each Customer.io workspace.

Switching the warehouse or pointing Customer.io at the local sandbox is a matter of
environment variables, read by ``retention_assets.settings`` and handed to the resources here,
never of editing assets. The resources package itself reads no environment and imports nothing
of this one. Secrets reach the resources as ``dg.EnvVar``: Dagster resolves them when a run
starts and the UI shows only their names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg

from resources.customerio import CustomerIOResource
from resources.warehouse import DuckDBWarehouse, WarehouseResource
from retention_assets.settings import (
    DEFAULT_WORKSPACE_ENV,
    SNOWFLAKE_ACCOUNT,
    SNOWFLAKE_DATABASE,
    SNOWFLAKE_PASSWORD,
    SNOWFLAKE_PRIVATE_KEY,
    SNOWFLAKE_PRIVATE_KEY_PASSWORD,
    SNOWFLAKE_PRIVATE_KEY_PATH,
    SNOWFLAKE_ROLE,
    SNOWFLAKE_SCHEMA,
    SNOWFLAKE_USER,
    SNOWFLAKE_WAREHOUSE,
    CustomerIOSettings,
    Settings,
    WorkspaceEnv,
    load_settings,
)

if TYPE_CHECKING:
    from resources.snowflake import SnowflakeWarehouse


def customerio_resource(
    settings: CustomerIOSettings,
    names: WorkspaceEnv = DEFAULT_WORKSPACE_ENV,
    *,
    max_rps: float | None = None,
    concurrency: int | None = None,
) -> CustomerIOResource:
    """A workspace's Customer.io resource: keys as ``dg.EnvVar``, unset settings keep defaults.

    ``max_rps`` and ``concurrency`` are the workspace's declared budget (its sync spec's
    ``guards``); ``CUSTOMERIO_MAX_RPS`` / ``CUSTOMERIO_CONCURRENCY`` override them.
    ``CUSTOMERIO_APP_MAX_RPS`` sets the App API rate (a local emulator's, above 10/s).
    """
    configured: dict[str, Any] = {
        "region": settings.region,
        # Errors about them name the workspace's own variables.
        "region_source": names.region,
        "app_api_key_source": names.app_api_key or "the sync spec's `workspace.app_key_env`",
        "track_url": settings.track_url,
        "app_url": settings.app_url,
        "max_rps": settings.max_rps or max_rps,
        "concurrency": settings.concurrency or concurrency,
        "app_max_rps": settings.app_max_rps,
    }
    if settings.app_api_key_set and names.app_api_key:
        configured["app_api_key"] = dg.EnvVar(names.app_api_key)
    return CustomerIOResource(
        site_id=dg.EnvVar(names.site_id),
        api_key=dg.EnvVar(names.api_key),
        **{name: value for name, value in configured.items() if value is not None},
    )


def snowflake_warehouse(settings: Settings) -> SnowflakeWarehouse:
    """Snowflake as the ``SNOWFLAKE_*`` variables configure it.

    Key-pair authentication (``SNOWFLAKE_PRIVATE_KEY`` or ``SNOWFLAKE_PRIVATE_KEY_PATH``, with
    ``SNOWFLAKE_PRIVATE_KEY_PASSWORD`` for an encrypted key) takes precedence over
    ``SNOWFLAKE_PASSWORD``; role and warehouse default to the user's when unset.
    """
    # Imported here: dagster-snowflake and its connector take seconds to import, which every
    # step process of a DuckDB deployment would otherwise pay for nothing.
    from dagster_snowflake import SnowflakeResource

    from resources.snowflake import SESSION_TIMEZONE, SnowflakeWarehouse

    is_set = settings.snowflake_set
    connection: dict[str, Any] = {
        "account": dg.EnvVar(SNOWFLAKE_ACCOUNT),
        "user": dg.EnvVar(SNOWFLAKE_USER),
        "database": dg.EnvVar(SNOWFLAKE_DATABASE),
        "schema": dg.EnvVar(SNOWFLAKE_SCHEMA),
        "timezone": SESSION_TIMEZONE,
    }
    if SNOWFLAKE_PRIVATE_KEY in is_set:
        connection["private_key"] = dg.EnvVar(SNOWFLAKE_PRIVATE_KEY)
    elif SNOWFLAKE_PRIVATE_KEY_PATH in is_set:
        connection["private_key_path"] = dg.EnvVar(SNOWFLAKE_PRIVATE_KEY_PATH)
    else:
        connection["password"] = dg.EnvVar(SNOWFLAKE_PASSWORD)
    if "password" not in connection and SNOWFLAKE_PRIVATE_KEY_PASSWORD in is_set:
        connection["private_key_password"] = dg.EnvVar(SNOWFLAKE_PRIVATE_KEY_PASSWORD)
    for field, variable in (("warehouse", SNOWFLAKE_WAREHOUSE), ("role", SNOWFLAKE_ROLE)):
        if variable in is_set:
            connection[field] = dg.EnvVar(variable)
    return SnowflakeWarehouse(
        snowflake=SnowflakeResource(**connection), raw_location=settings.snowflake_raw_location
    )


def warehouse_from_settings(settings: Settings) -> WarehouseResource:
    """The warehouse resource the settings select (``RETENTION_WAREHOUSE``)."""
    if settings.warehouse == "snowflake":
        return snowflake_warehouse(settings)
    return DuckDBWarehouse(
        database=str(settings.duckdb_path), sync_memory_limit=settings.duckdb_sync_memory_limit
    )


def resources_from_env(settings: Settings | None = None) -> dict[str, Any]:
    """The deployment's resources, configured from the environment.

    Customer.io resources are per workspace: each sync's definitions bind its own
    (``retention_assets.sync.factory``).
    """
    settings = settings or load_settings()
    return {"warehouse": warehouse_from_settings(settings)}
