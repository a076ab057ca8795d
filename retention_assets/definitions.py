"""The project's single Dagster entry point (``dagster dev``, ``dagster asset materialize``)."""

from __future__ import annotations

import dagster as dg

from asset_checks import MODEL_CHECKS, RAW_CHECKS
from retention_assets.bindings import resources_from_env
from retention_assets.jobs import JOBS
from retention_assets.models import MODEL_ASSETS
from retention_assets.schedules import SCHEDULES
from retention_assets.sensors import ALERT_RESOURCES, ALERT_SENSORS
from retention_assets.settings import load_settings
from retention_assets.sources.assets import RAW_SOURCE_ASSETS
from retention_assets.sync import SYNC_ASSETS, SYNC_CHECKS

SETTINGS = load_settings()

defs = dg.Definitions(
    assets=[*RAW_SOURCE_ASSETS, *MODEL_ASSETS, *SYNC_ASSETS],
    asset_checks=[*MODEL_CHECKS, *RAW_CHECKS, *SYNC_CHECKS],
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=ALERT_SENSORS,
    resources={**resources_from_env(SETTINGS), **ALERT_RESOURCES},
    # One embedded DuckDB file takes one writer at a time: run a job's steps in one process.
    executor=dg.in_process_executor if SETTINGS.warehouse == "duckdb" else None,
)
