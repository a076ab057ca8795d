"""Pandera-backed asset checks that gate the retention models before Customer.io sees them.

``MODEL_CHECKS`` holds every check on ``retention_customer_state`` and ``retention_events``;
the checks read the warehouse through the ``warehouse`` resource. The ERROR checks are
blocking: when one fails, the ``cio_sync`` assets downstream of the model do not run in that
run. ``FRESHNESS_CHECKS`` (part of ``MODEL_CHECKS``) are evaluated by the freshness sensor in
``retention_assets.sensors``.

Partitions: the checks are unpartitioned and validate the days the run materialised (one
partition or a single-run backfill range); run alone from the UI they validate the latest
partition in the table. ``asset_checks.factory`` explains why.

``RAW_CHECKS`` are WARN checks on the ``raw.*`` source tables: the rows whose values the models
reject (``asset_checks.raw_checks``, rules in ``docs/raw-contract.md``).

Every declared sync gets its checks here too: ``spec_checks`` (on its source, generated from
its spec) and ``sync_checks`` (volume guard, rejected rows, delivery, read-back drift), built
for each spec; ``gates`` holds the blocking ones each plan runs on the rows it plans.

Imports run one way: the checks read the code they check (models, specs, the engine's ledgers
and plans), and the code that uses them (the plan assets, the definitions, the alerts) reads
the checks; nothing the checks import imports a check (``tests/test_architecture.py``).
"""

from __future__ import annotations

import dagster as dg

from asset_checks.factory import (
    FunctionRule,
    PartitionedTable,
    SqlRule,
    WarehouseCheck,
    build_asset_check,
)
from asset_checks.model_checks import build_model_checks, freshness_checks, model_checks
from asset_checks.raw_checks import RAW_CHECKS, raw_checks

FRESHNESS_CHECKS: list[dg.AssetChecksDefinition] = freshness_checks()
MODEL_CHECKS: list[dg.AssetChecksDefinition] = [
    *(build_asset_check(check) for check in model_checks()),
    *FRESHNESS_CHECKS,
]

__all__ = [
    "FRESHNESS_CHECKS",
    "MODEL_CHECKS",
    "RAW_CHECKS",
    "FunctionRule",
    "PartitionedTable",
    "SqlRule",
    "WarehouseCheck",
    "build_asset_check",
    "build_model_checks",
    "model_checks",
    "raw_checks",
]
