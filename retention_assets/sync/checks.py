"""Checks on the sync: the volume guard before sending, rejected rows and drift after.

The volume guard is blocking: a plan far larger than usual (a broken join, a mass null, a
changed definition) stops the send of that partition until a person looks, or re-runs with
the allow tag. Rejected rows and read-back drift are warnings: the sync itself worked.
"""

import datetime as dt
import hashlib
from typing import Any

import dagster as dg
import pyarrow as pa

from resources.customerio import CustomerIOResource
from resources.warehouse import WarehouseResource
from retention_assets.attributes import ATTRIBUTE_REGISTRY
from retention_assets.partitions import partition_days
from retention_assets.sync import ledger, plans
from retention_assets.sync.assets import (
    CUSTOMER_STATE_PLAN,
    CUSTOMER_STATE_SYNC,
    EVENTS_PLAN,
    EVENTS_SYNC,
)
from retention_assets.sync.encoding import encode_value
from retention_assets.sync.policies import ALLOW_VOLUME_TAG, DEFAULT_VOLUME_GUARD
from retention_assets.sync.sql_files import sql_file

VOLUME_GUARD_CHECK = "volume_guard"
REJECTED_ROWS_CHECK = "no_open_rejections"
DRIFT_CHECK = "read_back_drift"

DRIFT_SAMPLE_SIZE = 50
SAMPLE_ROWS = 10


def _run_days(context: dg.AssetCheckExecutionContext) -> list[dt.date] | None:
    """The partition days of the run, or None when the check runs on its own from the UI."""
    if context.has_partition_key or context.has_partition_key_range:
        return partition_days(context)
    return None


def _allowed(context: dg.AssetCheckExecutionContext) -> bool:
    return context.run.tags.get(ALLOW_VOLUME_TAG, "").lower() in {"1", "true", "yes"}


def _guard_result(
    context: dg.AssetCheckExecutionContext,
    measured: dict[str, tuple[int, int]],
    initial_import: bool,
    summary: dict[str, int],
) -> dg.AssetCheckResult:
    over = {name: pair for name, pair in measured.items() if pair[0] > pair[1]}
    metadata: dict[str, Any] = {**summary}
    metadata.update({f"{name}_limit": limit for name, (_, limit) in measured.items()})
    if initial_import:
        metadata["verdict"] = "initial import into an empty ledger: passes"
        return dg.AssetCheckResult(passed=True, metadata=metadata)
    if not over:
        return dg.AssetCheckResult(passed=True, metadata=metadata)
    described = ", ".join(f"{name} {value:,} > {limit:,}" for name, (value, limit) in over.items())
    if _allowed(context):
        metadata["verdict"] = f"over the guard but allowed by run tag: {described}"
        return dg.AssetCheckResult(
            passed=True, severity=dg.AssetCheckSeverity.WARN, metadata=metadata
        )
    metadata["verdict"] = f"abnormal plan: {described}; re-run with tag {ALLOW_VOLUME_TAG}=true"
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata
    )


@dg.asset_check(
    asset=CUSTOMER_STATE_PLAN,
    name=VOLUME_GUARD_CHECK,
    blocking=True,
    description=(
        "Stops the profile send when the plan creates, changes or clears far more than usual"
        " compared with what Customer.io already holds. The first sync passes (initial"
        f" import). To let a reviewed large change through, re-run with tag {ALLOW_VOLUME_TAG}"
        "=true."
    ),
)
def customer_state_volume_guard(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    guard = DEFAULT_VOLUME_GUARD
    days = _run_days(context)
    with warehouse.session() as session:
        as_of = days[-1] if days else plans.latest_customer_state_plan(session)
        if as_of is None:
            return dg.AssetCheckResult(passed=True, metadata={"verdict": "no plan yet"})
        summary = plans.customer_state_plan_summary(session, as_of)
    profiles, attributes = summary["synced_profiles"], summary["synced_attributes"]
    measured = {
        "new_profiles": (
            summary["new_profiles"],
            guard.limit(guard.new_profiles_share, guard.new_profiles_floor, profiles),
        ),
        "changed_attributes": (
            summary["changed_attributes"],
            guard.limit(guard.changed_attributes_share, guard.changed_attributes_floor, attributes),
        ),
        "cleared_attributes": (
            summary["cleared_attributes"],
            guard.limit(guard.cleared_attributes_share, guard.cleared_attributes_floor, attributes),
        ),
    }
    return _guard_result(context, measured, profiles == 0, summary)


@dg.asset_check(
    asset=EVENTS_PLAN,
    name=VOLUME_GUARD_CHECK,
    blocking=True,
    description=(
        "Stops the event send when the plan holds far more events than usual compared with"
        " what Customer.io already holds. The first sync passes (initial import, protected by"
        f" the backfill policy). Re-run with tag {ALLOW_VOLUME_TAG}=true to allow a reviewed one."
    ),
)
def events_volume_guard(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    guard = DEFAULT_VOLUME_GUARD
    # Run alone from the UI, the check judges every planned event still in the plan table.
    days = _run_days(context) or [dt.date.min, dt.date.max - dt.timedelta(days=1)]
    with warehouse.session() as session:
        summary = plans.events_plan_summary(session, days[0], days[-1] + dt.timedelta(days=1))
    synced = summary["synced_events"]
    measured = {
        "planned_events": (
            summary["planned_events"],
            guard.limit(guard.events_share, guard.events_floor, synced),
        )
    }
    return _guard_result(context, measured, synced == 0, summary)


def _open_rejections(warehouse: WarehouseResource, stream: str) -> dg.AssetCheckResult:
    with warehouse.session() as session:
        ledger.ensure_sync_tables(session)
        rows = session.fetch_arrow(sql_file("open_rejections"), {"stream": stream})
    if rows.num_rows == 0:
        return dg.AssetCheckResult(passed=True, metadata={"open_rejections": 0})
    sample = rows.slice(0, SAMPLE_ROWS).to_pylist()
    table = "\n".join(
        f"| {r['row_key']} | {r['reason']} | {r['field'] or ''} | {r['attempts']} |" for r in sample
    )
    reasons = rows.group_by("reason").aggregate([("row_key", "count")]).to_pylist()
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "open_rejections": rows.num_rows,
            "by_reason": {r["reason"]: r["row_key_count"] for r in reasons},
            "sample": dg.MetadataValue.md(
                "| key | reason | field | attempts |\n|---|---|---|---|\n" + table
            ),
        },
    )


@dg.asset_check(
    asset=CUSTOMER_STATE_SYNC,
    name=REJECTED_ROWS_CHECK,
    description=(
        "Warns while Customer.io has rejected profiles that no later run delivered. Each is in"
        " cio_sync.rejected_rows with its reason and is retried automatically on the next run."
    ),
)
def customer_state_rejections(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _open_rejections(warehouse, ledger.PROFILE_STREAM)


@dg.asset_check(
    asset=EVENTS_SYNC,
    name=REJECTED_ROWS_CHECK,
    description=(
        "Warns while Customer.io has rejected events that no later run delivered. Each is in"
        " cio_sync.rejected_rows with its reason and is retried automatically on the next run."
    ),
)
def events_rejections(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _open_rejections(warehouse, ledger.EVENT_STREAM)


def _value_hash(attribute: str, value: object) -> str | None:
    encoded = encode_value(ATTRIBUTE_REGISTRY[attribute], value)
    return None if encoded is None else hashlib.md5(encoded.encode()).hexdigest()


@dg.asset_check(
    asset=CUSTOMER_STATE_SYNC,
    name=DRIFT_CHECK,
    description=(
        "Reads a cohort of profiles back through the App API (the customers listed in"
        f" cio_sync.test_cohort plus a sample of {DRIFT_SAMPLE_SIZE} synced profiles) and warns"
        " about attributes whose value in Customer.io differs from what the ledger says was"
        " acknowledged: another writer, a manual edit, or a lost update."
    ),
)
def customer_state_drift(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    customerio: CustomerIOResource,
) -> dg.AssetCheckResult:
    with warehouse.session() as session:
        ledger.ensure_sync_tables(session)
        cohort = [
            str(row[0])
            for row in session.fetch_all(
                sql_file("drift_cohort"),
                {"salt": context.run.run_id, "sample_size": DRIFT_SAMPLE_SIZE},
            )
        ]
        session.execute("DELETE FROM selected_keys")
        session.insert_arrow("selected_keys", pa.table({"row_key": pa.array(cohort, pa.string())}))
        expected = session.fetch_all(sql_file("ledger_values"))
    if not cohort:
        return dg.AssetCheckResult(passed=True, metadata={"profiles_read": 0})
    with customerio.app_client() as app:
        actual = app.customer_attributes(cohort)
    drifted: list[tuple[str, str, str]] = []
    for customer_id, attribute, value_hash in expected:
        attributes = actual.get(customer_id)
        if attributes is None:
            drifted.append((customer_id, attribute, "profile missing"))
        elif _value_hash(attribute, attributes.get(attribute)) != value_hash:
            drifted.append((customer_id, attribute, "value differs"))
    profiles = len({customer_id for customer_id, _, _ in drifted})
    metadata: dict[str, Any] = {
        "profiles_read": len(cohort),
        "drifted_profiles": profiles,
        "drifted_attributes": len(drifted),
    }
    if drifted:
        rows = "\n".join(f"| {c} | {a} | {why} |" for c, a, why in drifted[:SAMPLE_ROWS])
        metadata["sample"] = dg.MetadataValue.md(
            "| customer_id | attribute | problem |\n|---|---|---|\n" + rows
        )
    return dg.AssetCheckResult(
        passed=not drifted, severity=dg.AssetCheckSeverity.WARN, metadata=metadata
    )


SYNC_CHECKS = [
    customer_state_volume_guard,
    events_volume_guard,
    customer_state_rejections,
    events_rejections,
    customer_state_drift,
]
