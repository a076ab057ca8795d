"""The sends of one partition as N parallel steps (``RETENTION_SYNC_SHARDS``).

With one shard (the default) the sync assets are the single-step assets of
:mod:`retention_assets.sync.assets`. With N shards, ``cio_sync/customer_state`` and
``cio_sync/events`` become graph-backed assets with the same key, description, metadata,
owners and kinds: N send ops, one per shard of customers (:mod:`retention_assets.sync.shards`),
then a summary op whose output is the materialization. Each send op is its own step, so a
multiprocess, Celery or Kubernetes executor runs them side by side, each with its own
warehouse session, its own share of the Customer.io request rate and its own ledger writes;
a failed shard is retried or re-executed alone. Shards split customers disjointly, so no row
is sent twice, and together they send and record exactly what one step would.

The summary op receives the shards' reports through the IO manager: a deployment whose steps
run in separate pods needs an IO manager on shared storage (see docs/deployment.md). For
customer state it also runs the delivery audit (:mod:`retention_assets.sync.delivery_audit`)
once for all shards, since the run started: the App API's 10 requests/s are not split.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from resources.customerio import CustomerIOResource
from resources.warehouse import WarehouseResource
from retention_assets.partitions import partition_days
from retention_assets.sync import delivery_audit, imports, ledger
from retention_assets.sync.assets import (
    CUSTOMER_STATE_PLAN,
    CUSTOMER_STATE_SYNC,
    EVENTS_PLAN,
    EVENTS_SYNC,
    customer_state_plan,
    customer_state_sync,
    events_plan,
    events_send_policy,
    events_sync,
    report_metadata,
)
from retention_assets.sync.policies import BackfillPolicy
from retention_assets.sync.send import SyncReport, sync_events, sync_profiles
from retention_assets.sync.shards import Shard

_PLAN_INPUT = "plan"


@dataclass(frozen=True)
class ShardResult:
    """What one shard's send did, handed to the summary step."""

    shard: Shard
    report: SyncReport
    backfill_policy: BackfillPolicy | None = None


def _op_name(stream: str, shard: Shard) -> str:
    return f"{stream}_send_shard_{shard.index + 1}_of_{shard.count}"


def _customer_state_send(shard: Shard) -> dg.OpDefinition:
    @dg.op(
        name=_op_name("customer_state", shard),
        ins={_PLAN_INPUT: dg.In(dg.Nothing)},
        description=f"Identify calls for the planned profiles of customer shard {shard.label}.",
    )
    def send(
        context: dg.OpExecutionContext,
        warehouse: WarehouseResource,
        customerio: CustomerIOResource,
    ) -> ShardResult:
        as_of = partition_days(context)[-1]
        with (
            warehouse.session(for_sync=True) as session,
            customerio.track_client(parallel_senders=shard.count) as client,
        ):
            report = sync_profiles(
                session,
                client,
                as_of=as_of,
                run_id=context.run.run_id,
                partition_key=as_of.isoformat(),
                shard=shard,
                log=context.log,
            )
        context.log.info(
            f"customer state {as_of}, shard {shard.label}: {report.accepted:,} accepted,"
            f" {report.rejected:,} rejected, {report.requests:,} requests"
        )
        return ShardResult(shard, report)

    return send


def _events_send(shard: Shard) -> dg.OpDefinition:
    @dg.op(
        name=_op_name("events", shard),
        ins={_PLAN_INPUT: dg.In(dg.Nothing)},
        description=f"Track calls for the planned events of customer shard {shard.label}.",
    )
    def send(
        context: dg.OpExecutionContext,
        warehouse: WarehouseResource,
        customerio: CustomerIOResource,
    ) -> ShardResult:
        days = partition_days(context)
        start, end = days[0], days[-1] + dt.timedelta(days=1)
        run_id = context.run.run_id
        with (
            warehouse.session(for_sync=True) as session,
            customerio.track_client(parallel_senders=shard.count) as client,
        ):
            policy, _import = events_send_policy(session, context.run.tags, run_id, start, end)
            report = sync_events(
                session,
                client,
                start=start,
                end=end,
                run_id=run_id,
                partition_key=f"{start.isoformat()}...{end.isoformat()}",
                backfill_policy=policy,
                now=dt.datetime.now(dt.UTC),
                shard=shard,
                log=context.log,
            )
        context.log.info(
            f"events {start}..{end}, shard {shard.label}: {report.accepted:,} accepted,"
            f" {report.rejected:,} rejected, policy {policy or 'live'}"
        )
        return ShardResult(shard, report, policy)

    return send


def _shard_table(results: Sequence[ShardResult]) -> dg.MetadataValue:
    rows = "\n".join(
        f"| {r.shard.label} | {r.report.planned:,} | {r.report.accepted:,}"
        f" | {r.report.rejected:,} | {r.report.requests:,} | {r.report.seconds:,.1f} |"
        for r in sorted(results, key=lambda result: result.shard.index)
    )
    return dg.MetadataValue.md(
        "| shard | planned | accepted | rejected | requests | seconds |\n"
        "|---|---|---|---|---|---|\n" + rows
    )


def _summary_metadata(results: Sequence[ShardResult]) -> dict[str, Any]:
    metadata: dict[str, Any] = report_metadata(
        SyncReport.combined([result.report for result in results])
    )
    metadata["shards"] = len(results)
    metadata["shard_reports"] = _shard_table(results)
    return metadata


def _run_started(context: dg.OpExecutionContext) -> dt.datetime:
    """When the run started: every shard's send began after it."""
    record = context.instance.get_run_record_by_id(context.run_id)
    if record is None or record.start_time is None:
        raise RuntimeError(f"run {context.run_id} has no start time to audit from")
    return dt.datetime.fromtimestamp(record.start_time, dt.UTC)


def _customer_state_summary() -> dg.OpDefinition:
    @dg.op(
        name="customer_state_send_summary",
        out=dg.Out(dg.Nothing),
        description=(
            "Adds up the shards' reports into the asset's materialization, then audits once"
            " for all shards which profiles Customer.io accepted and then dropped."
        ),
    )
    def summarize(
        context: dg.OpExecutionContext,
        results: list[ShardResult],
        warehouse: WarehouseResource,
        customerio: CustomerIOResource,
    ) -> None:
        metadata = _summary_metadata(results)
        with (
            warehouse.session(for_sync=True) as session,
            delivery_audit.app_client_if_configured(customerio) as app,
        ):
            audit = delivery_audit.audit_email_changes(
                session,
                app,
                as_of=partition_days(context)[-1],
                run_id=context.run.run_id,
                since=_run_started(context),
                log=context.log,
            )
            completed = imports.settle(session, ledger.PROFILE_STREAM, dt.datetime.now(dt.UTC))
        context.add_output_metadata(
            {**metadata, **audit.metadata(), **imports.completed_metadata(completed)}
        )

    return summarize


def _events_summary() -> dg.OpDefinition:
    @dg.op(
        name="events_send_summary",
        out=dg.Out(dg.Nothing),
        description=(
            "Adds up the shards' reports into the asset's materialization, and completes the"
            " import the send finished, if any."
        ),
    )
    def summarize(
        context: dg.OpExecutionContext, results: list[ShardResult], warehouse: WarehouseResource
    ) -> None:
        metadata = _summary_metadata(results)
        policies = {str(r.backfill_policy) if r.backfill_policy else "live" for r in results}
        metadata["backfill_policy"] = ", ".join(sorted(policies))
        with warehouse.session(for_sync=True) as session:
            completed = imports.settle(session, ledger.EVENT_STREAM, dt.datetime.now(dt.UTC))
        context.add_output_metadata({**metadata, **imports.completed_metadata(completed)})

    return summarize


def _sharded(
    single_step: dg.AssetsDefinition,
    key: dg.AssetKey,
    plan: dg.AssetKey,
    send: Callable[[Shard], dg.OpDefinition],
    summary: dg.OpDefinition,
    shards: int,
) -> dg.AssetsDefinition:
    """The graph-backed twin of a single-step send asset, keeping everything it declares."""
    spec = single_step.specs_by_key[key]

    @dg.graph(name=f"{key.path[-1]}_sharded_send", ins={_PLAN_INPUT: dg.GraphIn()})
    def fan_out(plan: Any) -> Any:
        return summary([send(Shard(index, shards))(plan) for index in range(shards)])

    return dg.AssetsDefinition.from_graph(
        fan_out,
        keys_by_input_name={_PLAN_INPUT: plan},
        keys_by_output_name={"result": key},
        partitions_def=spec.partitions_def,
        backfill_policy=single_step.backfill_policy,
        group_name=spec.group_name,
        descriptions_by_output_name={"result": spec.description or ""},
        metadata_by_output_name={"result": {**spec.metadata, "shards": shards}},
        tags_by_output_name={"result": dict(spec.tags)},
        owners_by_output_name={"result": list(spec.owners)},
    )


def sync_assets(shards: int) -> list[dg.AssetsDefinition]:
    """The cio_sync assets, their sends split into ``shards`` parallel steps when above one."""
    if shards == 1:
        return [customer_state_plan, customer_state_sync, events_plan, events_sync]
    return [
        customer_state_plan,
        _sharded(
            customer_state_sync,
            CUSTOMER_STATE_SYNC,
            CUSTOMER_STATE_PLAN,
            _customer_state_send,
            _customer_state_summary(),
            shards,
        ),
        events_plan,
        _sharded(
            events_sync,
            EVENTS_SYNC,
            EVENTS_PLAN,
            _events_send,
            _events_summary(),
            shards,
        ),
    ]
