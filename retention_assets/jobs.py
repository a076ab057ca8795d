"""The whole-pipeline job: every model, check and sync of a partition in one run.

Each declared sync also gets its own job and schedule (``retention_assets.sync.factory``).
Every job that sends to Customer.io carries ``CUSTOMERIO_RUN_TAGS``: the run queue of a
deployment (docs/deployment.md) lets one such run go at a time, so that runs never add up
beyond the workspace's rate limit.
"""

from __future__ import annotations

import dagster as dg

from retention_assets.sync.factory import CUSTOMERIO_RUN_TAG, CUSTOMERIO_RUN_TAGS
from retention_assets.sync.stream import GROUP

# Selecting assets selects their checks too, so blocking checks gate every job below.
retention_sync_job = dg.define_asset_job(
    name="retention_sync_job",
    tags=CUSTOMERIO_RUN_TAGS,
    selection=dg.AssetSelection.groups("retention", GROUP),
    description=(
        "Builds the models for a partition, runs their checks, plans and sends the Customer.io"
        " syncs. A failed blocking check stops the sync of that partition."
    ),
)

JOBS = [retention_sync_job]

__all__ = ["CUSTOMERIO_RUN_TAG", "CUSTOMERIO_RUN_TAGS", "JOBS", "retention_sync_job"]
