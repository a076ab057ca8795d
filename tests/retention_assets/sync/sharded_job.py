"""The cio_sync assets run sharded as a deployment runs them: one process per step.

The multiprocess executor rebuilds this job in every step process by importing this module.
Its resources are configured at launch (run config), so each step reads the warehouse and
the sandbox it must use from the run, whatever process it runs in. Step processes are forked
from a server that has imported this module already, so each starts in a fraction of a
second instead of importing Dagster and the project again.
"""

from __future__ import annotations

import dagster as dg

from resources.customerio import CustomerIOResource
from resources.warehouse import DuckDBWarehouse
from retention_assets.shop import shop_sync_assets, shop_sync_checks
from retention_assets.sync.checks import VOLUME_GUARD_CHECK

JOB_NAME = "sharded_sync"
SHARDS = 3
MAX_CONCURRENT_STEPS = 3


def sharded_sync_job() -> dg.JobDefinition:
    """Plans, volume guards and sharded sends of both streams, on the multiprocess executor."""
    executor = dg.multiprocess_executor.configured(
        {
            "max_concurrent": MAX_CONCURRENT_STEPS,
            "start_method": {"forkserver": {"preload_modules": [__name__]}},
        }
    )
    defs = dg.Definitions(
        assets=shop_sync_assets(SHARDS),
        asset_checks=[
            check
            for check in shop_sync_checks()
            if {key.name for key in check.check_keys} == {VOLUME_GUARD_CHECK}
        ],
        resources={
            "warehouse": DuckDBWarehouse.configure_at_launch(),
            "customerio": CustomerIOResource.configure_at_launch(),
        },
        jobs=[
            dg.define_asset_job(
                JOB_NAME, selection=dg.AssetSelection.groups("cio_sync"), executor_def=executor
            )
        ],
    )
    return defs.resolve_job_def(JOB_NAME)
