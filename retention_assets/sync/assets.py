"""The ``cio_sync`` assets: plan in the warehouse, then send to Customer.io and account.

Each stream (customer state as identify calls, events as track calls) is two assets: a plan
that is a reviewable dry run guarded by a blocking volume check, and a send that streams the
plan through the Customer.io resource and writes the ledgers. Both follow the daily
partitions of the models they read.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field

from resources.customerio import CustomerIOResource
from resources.warehouse import WarehouseResource, WarehouseSession
from retention_assets.partitions import DAILY_PARTITIONS, SINGLE_RUN_BACKFILL, partition_days
from retention_assets.privacy import shown_text
from retention_assets.settings import warehouse_kind
from retention_assets.sync import catalog, delivery_audit, gates, imports, ledger, plans
from retention_assets.sync.policies import (
    ALLOW_VOLUME_TAG,
    BACKFILL_POLICY_TAG,
    DAGSTER_BACKFILL_TAG,
    DEFAULT_BACKFILL_POLICY,
    BackfillPolicy,
    describe_policies,
)
from retention_assets.sync.send import SyncReport, sync_events, sync_profiles
from retention_assets.sync.sql_files import sql_file

GROUP = "cio_sync"
OWNERS = ["team:data-engineering", "team:retention-marketing"]
CUSTOMER_STATE_MODEL = dg.AssetKey("retention_customer_state")
EVENTS_MODEL = dg.AssetKey("retention_events")
CUSTOMER_STATE_PLAN = dg.AssetKey([GROUP, "customer_state_plan"])
CUSTOMER_STATE_SYNC = dg.AssetKey([GROUP, "customer_state"])
EVENTS_PLAN = dg.AssetKey([GROUP, "events_plan"])
EVENTS_SYNC = dg.AssetKey([GROUP, "events"])

_POLICIES = describe_policies()


class PlanConfig(dg.Config):
    """Run configuration of a plan: what a person decides for this one run."""

    allow_volume: bool = Field(
        default=False,
        description=(
            "Let this plan through the volume guard although it is larger than usual (same as"
            f" run tag {ALLOW_VOLUME_TAG}=true). A plan that is part of an approved import"
            " needs no override."
        ),
    )


def _is_backfill(context: dg.AssetExecutionContext) -> bool:
    return DAGSTER_BACKFILL_TAG in context.run.tags


def _tagged_policy(tags: Mapping[str, str]) -> BackfillPolicy:
    value = tags.get(BACKFILL_POLICY_TAG, DEFAULT_BACKFILL_POLICY)
    try:
        return BackfillPolicy(value)
    except ValueError:
        allowed = " | ".join(policy.value for policy in BackfillPolicy)
        raise dg.Failure(
            f"Run tag {BACKFILL_POLICY_TAG}={value!r} is not a backfill policy: use {allowed}."
        ) from None


def _import_metadata(current: imports.SyncImport | None) -> dict[str, Any]:
    if current is None:
        return {"import": "none: live sync"}
    return {"import": current.label, "import_approval": current.approval or "not yet approved"}


def _window(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    days = partition_days(context)
    return days[0], days[-1] + dt.timedelta(days=1)


def _mark_planned_day(context: dg.AssetExecutionContext, as_of: dt.date) -> None:
    """Per partition of a range: only the last day is planned and sent, say so on the others.

    Without this every day of a range backfill would show the last day's counts, and the
    numbers would look as if they had been sent once per day.
    """
    for day in partition_days(context):
        outcome = "planned" if day == as_of else f"superseded by {as_of.isoformat()}"
        context.add_asset_metadata({"partition_outcome": outcome}, partition_key=day.isoformat())


def _record_per_day(
    context: dg.AssetExecutionContext, name: str, values: dict[dt.date, Any], default: Any
) -> None:
    """Attach each day's own numbers to that day's partition (a range is one run)."""
    for day in partition_days(context):
        context.add_asset_metadata({name: values.get(day, default)}, partition_key=day.isoformat())


def report_metadata(report: SyncReport) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "planned": report.planned,
        "sent": report.sent,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "skipped": report.skipped,
        "requests": report.requests,
        "bytes_sent": report.bytes_sent,
        "retries": report.retries,
        "duration_seconds": round(report.seconds, 3),
        "rows_per_second": round(report.rows_per_second, 1),
    }
    if report.rejection_sample:
        rows = "\n".join(
            f"| {r.key} | {r.reason} | {r.field or ''} | {r.message} |"
            for r in report.rejection_sample
        )
        metadata["rejection_sample"] = dg.MetadataValue.md(
            "| key | reason | field | message |\n|---|---|---|---|\n" + rows
        )
    return metadata


@dg.asset(
    key=CUSTOMER_STATE_PLAN,
    deps=[CUSTOMER_STATE_MODEL],
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    group_name=GROUP,
    owners=OWNERS,
    kinds={warehouse_kind(), "customerio"},
    metadata=catalog.CUSTOMER_STATE_PLAN_METADATA,
    description=(
        "Dry run of the profile sync: for the partition's customer state, which Customer.io"
        " profiles are new, which attributes changed and which are cleared, compared with what"
        " Customer.io acknowledged (the ledger). Nothing is sent here.\n\n"
        "For marketers: review the counts and sample payloads of the latest materialization"
        " before anything reaches Customer.io; the volume guard check stops a send far larger"
        " than usual. `attribute_ownership` lists the attributes this sync may write and who"
        " owns the others.\n\n"
        "For data engineers: computed in SQL into `cio_sync.customer_state_plan` (one row per"
        " changed attribute) and `cio_sync.customer_state_plan_profiles`; rows leave the plan"
        " once Customer.io acknowledges them, so between runs it holds what is still to send."
        " For a range, the last day is planned: older snapshots never overwrite newer ones.\n\n"
        + _POLICIES
    ),
)
def customer_state_plan(
    context: dg.AssetExecutionContext, config: PlanConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    as_of = partition_days(context)[-1]
    now = dt.datetime.now(dt.UTC)
    with warehouse.session(for_sync=True) as session:
        ledger.ensure_sync_tables(session)
        # Acknowledgements first: a refused plan must not lose what a crashed send delivered.
        ledger.fold_profile_acks(session)
        imports.settle(session, ledger.PROFILE_STREAM, now)
        refused = gates.refusals(session, CUSTOMER_STATE_MODEL, as_of, as_of)
        if refused:
            session.execute(sql_file("discard_customer_state_plan"), {"as_of": as_of})
            raise gates.refusal_failure(
                CUSTOMER_STATE_MODEL, f"customer state {as_of.isoformat()}", refused
            )
        summary = plans.plan_customer_state(session, as_of)
        current = imports.import_for_plan(
            session,
            run_id=context.run.run_id,
            stream=ledger.PROFILE_STREAM,
            start=as_of,
            end=as_of + dt.timedelta(days=1),
            is_backfill=_is_backfill(context),
            backfill_policy=None,
            now=now,
        )
        sample = plans.customer_state_plan_sample(session, as_of)
    _mark_planned_day(context, as_of)
    unchanged = summary["customers"] - summary["planned_profiles"]
    context.log.info(f"plan for {as_of}: {summary}")
    payloads = "\n".join(
        f"{'new ' if is_new else ''}{customer_id}: {attributes}"
        for customer_id, is_new, attributes in sample
    )
    return dg.MaterializeResult(
        metadata={
            **summary,
            **_import_metadata(current),
            "unchanged_customers": unchanged,
            "as_of_date": as_of.isoformat(),
            # Emails masked unless RETENTION_FULL_SAMPLES is on (retention_assets.privacy).
            "sample_payloads": dg.MetadataValue.md(
                f"```\n{shown_text(payloads) or '(nothing to send)'}\n```"
            ),
        }
    )


@dg.asset(
    key=CUSTOMER_STATE_SYNC,
    deps=[CUSTOMER_STATE_PLAN],
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"customerio"},
    metadata=catalog.CUSTOMER_STATE_SYNC_METADATA,
    description=(
        "Sends the planned attribute changes to Customer.io: one identify per changed profile,"
        " by customer id, with only the changed attributes.\n\n"
        "For marketers: segments see the new values once this succeeds; an unchanged customer"
        " is not touched. Rows Customer.io refuses are shown in `rejection_sample`, retried on"
        " the next run, and the `no_open_rejections` check warns while any is open. Customer.io"
        " answers 200 even when it drops an update whose email belongs to another person: after"
        " the send, the profiles whose email changed are read back and such drops become"
        " rejected rows too (`delivery_audit`, `failed`).\n\n"
        "For data engineers: Track API v2 batches, serialised in the warehouse. Acknowledged"
        " profiles are logged in `cio_sync.profile_acks` as Customer.io answers and folded into"
        " `cio_sync.customer_ledger` and `cio_sync.attribute_ledger` when the send ends (or by"
        " the next run after a crash); refusals go to"
        " `cio_sync.rejected_rows` with reason and field. The columns are the profile fields"
        " written, each with the customer-state column it comes from."
    ),
)
def customer_state_sync(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    customerio: CustomerIOResource,
) -> dg.MaterializeResult:
    as_of = partition_days(context)[-1]
    started = dt.datetime.now(dt.UTC)
    with warehouse.session(for_sync=True) as session:
        with customerio.track_client() as client:
            report = sync_profiles(
                session,
                client,
                as_of=as_of,
                run_id=context.run.run_id,
                partition_key=as_of.isoformat(),
                log=context.log,
            )
        # A 200 is not a delivery: find the updates Customer.io dropped after accepting them.
        with delivery_audit.app_client_if_configured(customerio) as app:
            audit = delivery_audit.audit_email_changes(
                session, app, as_of=as_of, run_id=context.run.run_id, since=started, log=context.log
            )
        completed = imports.settle(session, ledger.PROFILE_STREAM, dt.datetime.now(dt.UTC))
    _mark_planned_day(context, as_of)
    context.log.info(
        f"customer state {as_of}: {report.accepted:,} accepted, {report.rejected:,} rejected,"
        f" {report.requests:,} requests in {report.seconds:,.1f} s; {audit.status},"
        f" {audit.failed:,} dropped by Customer.io"
    )
    metadata = {**report_metadata(report), **audit.metadata()}
    metadata.update(imports.completed_metadata(completed))
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=EVENTS_PLAN,
    deps=[EVENTS_MODEL],
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    group_name=GROUP,
    owners=OWNERS,
    kinds={warehouse_kind(), "customerio"},
    metadata=catalog.EVENTS_PLAN_METADATA,
    description=(
        "Dry run of the event sync: events of the partition(s) that Customer.io has not"
        " acknowledged yet (late-arriving rows included). Nothing is sent here.\n\n"
        "For marketers: only names of the locked vocabulary (`event_vocabulary`) are sent;"
        " the volume guard check stops a send far larger than usual.\n\n"
        "For data engineers: `cio_sync.events_plan`, rebuilt for the run's days from"
        " `retention.events` minus `cio_sync.event_ledger`, and emptied of what Customer.io"
        " acknowledges; each day's partition shows its own"
        " `planned_events_on_day`.\n\n" + _POLICIES
    ),
)
def events_plan(
    context: dg.AssetExecutionContext, config: PlanConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    start, end = _window(context)
    window = f"[{start.isoformat()}, {end.isoformat()})"
    now = dt.datetime.now(dt.UTC)
    policy = _tagged_policy(context.run.tags)
    with warehouse.session(for_sync=True) as session:
        ledger.ensure_sync_tables(session)
        # Acknowledgements first: a refused plan must not lose what a crashed send delivered.
        ledger.fold_event_acks(session)
        imports.settle(session, ledger.EVENT_STREAM, now)
        refused = gates.refusals(session, EVENTS_MODEL, start, end - dt.timedelta(days=1))
        if refused:
            session.execute(sql_file("discard_events_plan"), {"start": start, "end": end})
            raise gates.refusal_failure(EVENTS_MODEL, f"events {window}", refused)
        summary = plans.plan_events(session, start, end, run_id=context.run.run_id, log=context.log)
        current = imports.import_for_plan(
            session,
            run_id=context.run.run_id,
            stream=ledger.EVENT_STREAM,
            start=start,
            end=end,
            is_backfill=_is_backfill(context),
            backfill_policy=policy,
            now=now,
        )
        by_day = session.fetch_all(sql_file("events_plan_by_day"), {"start": start, "end": end})
    _record_per_day(context, "planned_events_on_day", dict(by_day), 0)
    return dg.MaterializeResult(metadata={**summary, **_import_metadata(current), "window": window})


def backfill_policy_for_run(tags: Mapping[str, str], first_sync: bool) -> BackfillPolicy | None:
    """The policy for trigger-window events of a run that is not part of an open import."""
    if DAGSTER_BACKFILL_TAG not in tags and not first_sync:
        return None
    return _tagged_policy(tags)


def events_send_policy(
    session: WarehouseSession, tags: Mapping[str, str], run_id: str, start: dt.date, end: dt.date
) -> tuple[BackfillPolicy | None, imports.SyncImport | None]:
    """The backfill policy of an events send of ``[start, end)``, and the import it is part of.

    A send that belongs to an open import applies the import's policy, whatever this run's
    tags say: a resumed initial import or backfill stays one until it completes. Otherwise a
    backfill run, or a first sync that no plan recorded as an import, applies the tagged one.
    """
    current = imports.open_import(session, ledger.EVENT_STREAM, start, end)
    if current is not None and current.backfill_policy is not None:
        return current.backfill_policy, current
    first_sync = plans.events_synced_by_other_runs(session, run_id) == 0
    return backfill_policy_for_run(tags, first_sync), current


@dg.asset(
    key=EVENTS_SYNC,
    deps=[EVENTS_PLAN],
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN_BACKFILL,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"customerio"},
    metadata=catalog.EVENTS_SYNC_METADATA,
    description=(
        "Sends the planned events to Customer.io as track calls.\n\n"
        "For marketers: journeys start from these events. In a backfill run or the first sync,"
        " events within Customer.io's 72-hour trigger window follow the backfill policy"
        ' (default: renamed to "<name> (backfill)") so replayed history cannot start live'
        " journeys; older events keep their names.\n\n"
        "For data engineers: each event's id is a ULID assigned once, when the event is first"
        " planned (`cio_sync.event_ids`), and reused for good, so retries, re-runs, overlapping"
        " backfills and corrected timestamps never duplicate an event. Acknowledged keys are"
        " logged in `cio_sync.event_acks` and folded into `cio_sync.event_ledger` when the send"
        " ends (or by the next run after a crash), refusals go to `cio_sync.rejected_rows`;"
        " `backfill_policy` says which policy the run applied and each day's partition shows"
        " `events_on_day`."
    ),
)
def events_sync(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    customerio: CustomerIOResource,
) -> dg.MaterializeResult:
    start, end = _window(context)
    with warehouse.session(for_sync=True) as session, customerio.track_client() as client:
        policy, current = events_send_policy(
            session, context.run.tags, context.run.run_id, start, end
        )
        if policy is not None:
            context.log.info(
                f"backfill policy for events in the trigger window: {policy}"
                + (f" (the {current.label})" if current else "")
            )
        report = sync_events(
            session,
            client,
            start=start,
            end=end,
            run_id=context.run.run_id,
            partition_key=f"{start.isoformat()}...{end.isoformat()}",
            backfill_policy=policy,
            now=dt.datetime.now(dt.UTC),
            log=context.log,
        )
        acks = session.fetch_all(
            sql_file("event_acks_by_day"),
            {"run_id": context.run.run_id, "start": start, "end": end},
        )
        completed = imports.settle(session, ledger.EVENT_STREAM, dt.datetime.now(dt.UTC))
    per_day: dict[dt.date, dict[str, int]] = {}
    for day, disposition, count in acks:
        per_day.setdefault(day, {})[disposition] = count
    _record_per_day(context, "events_on_day", per_day, {})
    metadata = report_metadata(report)
    metadata["backfill_policy"] = str(policy) if policy else "live"
    metadata.update(_import_metadata(current))
    metadata.update(imports.completed_metadata(completed))
    return dg.MaterializeResult(metadata=metadata)


SYNC_ASSETS = [customer_state_plan, customer_state_sync, events_plan, events_sync]
