"""The model check suite: every check on both models, and their freshness.

Each check protects one promise the sync relies on (shared/design.md); the checks themselves
live in ``customer_state_checks`` and ``event_checks``. Everything a test or a deployment may
want to vary is a parameter here: the sync mapping (so a test can pass a bad one), the clock
and the tolerated clock skew, the days the flapping check looks back, the freshness deadline.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final

import dagster as dg

from asset_checks import names
from asset_checks.customer_state_checks import customer_state_checks
from asset_checks.event_checks import event_checks
from asset_checks.factory import Scope, WarehouseCheck, build_asset_check
from retention_assets.attributes import SYNC_MAPPING

DEFAULT_FUTURE_SKEW: Final = dt.timedelta(minutes=5)
DEFAULT_FLAPPING_PARTITIONS: Final = 7
# Yesterday's partition is expected by 06:00 UTC: the daily run starts after midnight UTC.
FRESHNESS_DEADLINE_CRON: Final = "0 6 * * *"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def model_checks(
    *,
    sync_mapping: Mapping[str, str] = SYNC_MAPPING,
    future_skew: dt.timedelta = DEFAULT_FUTURE_SKEW,
    flapping_partitions: int = DEFAULT_FLAPPING_PARTITIONS,
    clock: Callable[[], dt.datetime] = utc_now,
) -> list[WarehouseCheck]:
    """Every warehouse check of both models, as plain definitions (see ``build_asset_check``)."""

    def timestamp_params(scope: Scope | None) -> Mapping[str, Any]:
        return {
            "not_after": clock() + future_skew,
            "skew_seconds": int(future_skew.total_seconds()),
        }

    return [
        *customer_state_checks(sync_mapping, timestamp_params, future_skew, flapping_partitions),
        *event_checks(timestamp_params, future_skew),
    ]


def freshness_checks(
    deadline_cron: str = FRESHNESS_DEADLINE_CRON,
) -> list[dg.AssetChecksDefinition]:
    """WARN when a model's latest daily partition has not landed by ``deadline_cron`` (UTC).

    Dagster 1.13 marks freshness checks as superseded by ``FreshnessPolicy``, but the policy
    is asset-level (a backfill of an old day makes a daily asset look fresh), is a preview
    behind a ``dagster.yaml`` switch, and reports no check evaluation for the alert sensor to
    see. The time-partition check asks the right question: does yesterday's partition exist?
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return list(
            dg.build_time_partition_freshness_checks(
                assets=[names.CUSTOMER_STATE_ASSET, names.EVENTS_ASSET],
                deadline_cron=deadline_cron,
                timezone="UTC",
                severity=dg.AssetCheckSeverity.WARN,
            )
        )


def build_model_checks(
    *,
    sync_mapping: Mapping[str, str] = SYNC_MAPPING,
    future_skew: dt.timedelta = DEFAULT_FUTURE_SKEW,
    flapping_partitions: int = DEFAULT_FLAPPING_PARTITIONS,
    clock: Callable[[], dt.datetime] = utc_now,
    freshness_deadline_cron: str = FRESHNESS_DEADLINE_CRON,
) -> list[dg.AssetChecksDefinition]:
    """The Dagster definitions of every model check, freshness included."""
    checks = model_checks(
        sync_mapping=sync_mapping,
        future_skew=future_skew,
        flapping_partitions=flapping_partitions,
        clock=clock,
    )
    return [
        *(build_asset_check(check) for check in checks),
        *freshness_checks(freshness_deadline_cron),
    ]
