"""Jobs: the whole pipeline for a partition, and one per sync stream for the schedules.

Every job here sends to Customer.io, so each carries ``CUSTOMERIO_RUN_TAGS``: the run queue
of a deployment (docs/deployment.md) lets one such run go at a time, so that runs never add
up beyond the workspace's rate limit.
"""

from __future__ import annotations

import dagster as dg

from retention_assets.sync.assets import (
    CUSTOMER_STATE_MODEL,
    CUSTOMER_STATE_PLAN,
    CUSTOMER_STATE_SYNC,
    EVENTS_MODEL,
    EVENTS_PLAN,
    EVENTS_SYNC,
)

CUSTOMERIO_RUN_TAG = "retention/customerio"
CUSTOMERIO_RUN_TAGS = {CUSTOMERIO_RUN_TAG: "sync"}

# Selecting assets selects their checks too, so blocking checks gate every job below.
retention_sync_job = dg.define_asset_job(
    name="retention_sync_job",
    tags=CUSTOMERIO_RUN_TAGS,
    selection=dg.AssetSelection.groups("retention", "cio_sync"),
    description=(
        "Builds the models for a partition, runs their checks, plans and sends the Customer.io"
        " sync. A failed blocking check stops the sync of that partition."
    ),
)

customer_state_sync_job = dg.define_asset_job(
    name="retention_customer_state_sync_job",
    tags=CUSTOMERIO_RUN_TAGS,
    selection=dg.AssetSelection.assets(
        CUSTOMER_STATE_MODEL, CUSTOMER_STATE_PLAN, CUSTOMER_STATE_SYNC
    ),
    description="Customer state: model, checks, plan and identify calls for one day.",
)

events_sync_job = dg.define_asset_job(
    name="retention_events_sync_job",
    tags=CUSTOMERIO_RUN_TAGS,
    selection=dg.AssetSelection.assets(EVENTS_MODEL, EVENTS_PLAN, EVENTS_SYNC),
    description="Events: model, checks, plan and track calls for a window of days.",
)

JOBS = [retention_sync_job, customer_state_sync_job, events_sync_job]
