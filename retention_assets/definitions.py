"""The project's single Dagster entry point (``dagster dev``, ``dagster asset materialize``)."""

from __future__ import annotations

import dagster as dg

from asset_checks import MODEL_CHECKS, RAW_CHECKS
from retention_assets.bindings import resources_from_env
from retention_assets.jobs import JOBS
from retention_assets.models import MODEL_ASSETS
from retention_assets.sensors import ALERT_RESOURCES, ALERT_SENSORS
from retention_assets.settings import load_settings
from retention_assets.shop import SHOP_SPECS
from retention_assets.sources.assets import RAW_SOURCE_ASSETS
from retention_assets.sync.factory import check_workspaces, sync_definitions

SETTINGS = load_settings()

check_workspaces(SHOP_SPECS)
defs = dg.Definitions.merge(
    dg.Definitions(
        assets=[*RAW_SOURCE_ASSETS, *MODEL_ASSETS],
        asset_checks=[*MODEL_CHECKS, *RAW_CHECKS],
        jobs=JOBS,
        sensors=ALERT_SENSORS,
        resources={**resources_from_env(SETTINGS), **ALERT_RESOURCES},
        # One embedded DuckDB file takes one writer at a time: run a job's steps in one process.
        executor=dg.in_process_executor if SETTINGS.warehouse == "duckdb" else None,
    ),
    *(sync_definitions(spec, shards=SETTINGS.sync_shards) for spec in SHOP_SPECS),
)
