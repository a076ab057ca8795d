"""The model check suite: the checks of both models their specs do not make, and freshness.

Each check protects one promise the sync relies on (shared/design.md); the checks themselves
live in ``customer_state_checks`` and ``event_checks``, beside the checks each model gets from
its sync spec (``asset_checks.spec_checks``). Everything a test or a deployment may want to
vary is a parameter here: the sync mapping (the shop's profile spec's by default), the days
the flapping check looks back, the freshness deadline and its clock. The tolerated clock
skew and the clock of the spec checks' timestamp rules are declared here too.
"""

# No ``from __future__ import annotations``: Dagster compares the freshness check's context
# annotation with its context class at definition time, and a string would not match.
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Final

import dagster as dg

from asset_checks import names
from asset_checks.customer_state_checks import customer_state_checks
from asset_checks.event_checks import event_checks
from asset_checks.factory import WarehouseCheck, build_asset_check
from retention_assets.shop_specs import SYNC_MAPPING

DEFAULT_FUTURE_SKEW: Final = dt.timedelta(minutes=5)
DEFAULT_FLAPPING_PARTITIONS: Final = 7
# A day's partition is expected by 06:00 UTC the next day: the daily run starts after midnight.
FRESHNESS_DEADLINE: Final = dt.time(6, 0)
FRESHNESS_CHECK_NAME: Final = "retention_model_freshness"
DUE_PARTITION: Final = "due partition"
DUE_BY: Final = "due by"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def model_checks(
    *,
    sync_mapping: Mapping[str, str] = SYNC_MAPPING,
    flapping_partitions: int = DEFAULT_FLAPPING_PARTITIONS,
) -> list[WarehouseCheck]:
    """Every warehouse check of both models, as plain definitions (see ``build_asset_check``)."""
    return [*customer_state_checks(sync_mapping, flapping_partitions), *event_checks()]


def due_partition(now: dt.datetime, deadline: dt.time = FRESHNESS_DEADLINE) -> dt.date:
    """The last complete UTC day whose partition must exist at ``now``.

    A day's partition is due at ``deadline`` the next day. Today's partition is never due: it
    is still filling (the hourly event sync materialises it as the day goes on).
    """
    now = now.astimezone(dt.UTC)
    latest_deadline_day = now.date() if now.time() >= deadline else now.date() - dt.timedelta(1)
    return latest_deadline_day - dt.timedelta(days=1)


def freshness_checks(
    deadline: dt.time = FRESHNESS_DEADLINE, clock: Callable[[], dt.datetime] = utc_now
) -> list[dg.AssetChecksDefinition]:
    """WARN when a model's last complete day has not landed by ``deadline`` (UTC) the day after.

    Dagster's ``build_time_partition_freshness_checks`` expects the partitions definition's
    last partition, which with ``end_offset=1`` is today's, still filling: it warned every day
    on a healthy pipeline. ``FreshnessPolicy`` is asset-level (a backfill of an old day makes a
    daily asset look fresh) and reports no check evaluation for the alert sensor to see. This
    check asks the right question: does the last complete day's partition exist?
    """
    assets = (names.CUSTOMER_STATE_ASSET, names.EVENTS_ASSET)

    @dg.multi_asset_check(
        name=FRESHNESS_CHECK_NAME,
        specs=[
            dg.AssetCheckSpec(
                names.FRESHNESS,
                asset=asset,
                description=(
                    "The last complete UTC day's partition has been materialised by "
                    f"{deadline:%H:%M} UTC the next day. Today's partition, still filling, is "
                    "not expected. Warns only; evaluated by the retention_freshness_checks "
                    "sensor after each deadline."
                ),
            )
            for asset in assets
        ],
        can_subset=True,
    )
    def model_freshness(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        due = due_partition(clock(), deadline)
        due_by = dt.datetime.combine(due + dt.timedelta(days=1), deadline, tzinfo=dt.UTC)
        for key in context.selected_asset_check_keys:
            records = context.instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key.asset_key, asset_partitions=[due.isoformat()]),
                limit=1,
            ).records
            passed = bool(records)
            description = (
                f"Partition {due} was materialised."
                if passed
                else f"Partition {due} was due by {due_by:%Y-%m-%d %H:%M} UTC and has not been "
                "materialised."
            )
            yield dg.AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=passed,
                severity=dg.AssetCheckSeverity.WARN,
                description=description,
                metadata={DUE_PARTITION: due.isoformat(), DUE_BY: due_by.isoformat()},
            )

    return [model_freshness]


def build_model_checks(
    *,
    sync_mapping: Mapping[str, str] = SYNC_MAPPING,
    flapping_partitions: int = DEFAULT_FLAPPING_PARTITIONS,
    clock: Callable[[], dt.datetime] = utc_now,
    freshness_deadline: dt.time = FRESHNESS_DEADLINE,
) -> list[dg.AssetChecksDefinition]:
    """The Dagster definitions of every model check, freshness included."""
    checks = model_checks(sync_mapping=sync_mapping, flapping_partitions=flapping_partitions)
    return [
        *(build_asset_check(check) for check in checks),
        *freshness_checks(freshness_deadline, clock),
    ]
