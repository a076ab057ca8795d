"""The sends of one partition as N parallel steps (``RETENTION_SYNC_SHARDS``).

With one shard (the default) a sync's send is the single-step asset of
:mod:`retention_assets.sync.assets`. With N shards, the send becomes a graph-backed asset
with the same key, description, metadata, owners and kinds: N send ops, one per shard of
customers (:mod:`retention_assets.sync.shards`),
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

from resources.warehouse import WarehouseResource
from retention_assets.sync import delivery_audit, imports
from retention_assets.sync.assets import (
    as_of_day,
    customerio_of,
    event_window,
    events_plan_asset,
    events_send_asset,
    events_send_policy,
    profile_plan_asset,
    profile_send_asset,
    report_metadata,
)
from retention_assets.sync.policies import BackfillPolicy
from retention_assets.sync.send import SyncReport, sync_events, sync_profiles
from retention_assets.sync.shards import Shard
from retention_assets.sync.stream import SyncStream

_PLAN_INPUT = "plan"


@dataclass(frozen=True)
class ShardResult:
    """What one shard's send did, handed to the summary step."""

    shard: Shard
    report: SyncReport
    backfill_policy: BackfillPolicy | None = None


def _op_name(stream: SyncStream, shard: Shard) -> str:
    return f"{stream.name}_send_shard_{shard.index + 1}_of_{shard.count}"


def _profile_send(stream: SyncStream, shard: Shard) -> dg.OpDefinition:
    @dg.op(
        name=_op_name(stream, shard),
        ins={_PLAN_INPUT: dg.In(dg.Nothing)},
        required_resource_keys={"warehouse", stream.resource_key},
        description=f"Identify calls for the planned profiles of customer shard {shard.label}.",
    )
    def send(context: dg.OpExecutionContext) -> ShardResult:
        warehouse: WarehouseResource = context.resources.warehouse
        as_of = as_of_day(stream, context)
        with (
            warehouse.session(for_sync=True) as session,
            customerio_of(stream, context).track_client(parallel_senders=shard.count) as client,
        ):
            report = sync_profiles(
                session,
                stream,
                client,
                as_of=as_of,
                run_id=context.run.run_id,
                partition_key=as_of.isoformat(),
                shard=shard,
                log=context.log,
            )
        context.log.info(
            f"{stream.name} {as_of}, shard {shard.label}: {report.accepted:,} accepted,"
            f" {report.rejected:,} rejected, {report.requests:,} requests"
        )
        return ShardResult(shard, report)

    return send


def _events_send(stream: SyncStream, shard: Shard) -> dg.OpDefinition:
    @dg.op(
        name=_op_name(stream, shard),
        ins={_PLAN_INPUT: dg.In(dg.Nothing)},
        required_resource_keys={"warehouse", stream.resource_key},
        description=f"Track calls for the planned events of customer shard {shard.label}.",
    )
    def send(context: dg.OpExecutionContext) -> ShardResult:
        warehouse: WarehouseResource = context.resources.warehouse
        start, end = event_window(stream, context)
        run_id = context.run.run_id
        with (
            warehouse.session(for_sync=True) as session,
            customerio_of(stream, context).track_client(parallel_senders=shard.count) as client,
        ):
            policy, _import = events_send_policy(
                session, stream, context.run.tags, run_id, start, end
            )
            report = sync_events(
                session,
                stream,
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
            f"{stream.name} {start}..{end}, shard {shard.label}: {report.accepted:,} accepted,"
            f" {report.rejected:,} rejected, policy {policy or 'live'}"
        )
        return ShardResult(shard, report, policy)

    return send


def _shard_table(results: Sequence[ShardResult]) -> dg.MetadataValue:
    columns = ("shard", "planned", "accepted", "rejected", "requests", "seconds")
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    "shard": r.shard.label,
                    "planned": r.report.planned,
                    "accepted": r.report.accepted,
                    "rejected": r.report.rejected,
                    "requests": r.report.requests,
                    "seconds": round(r.report.seconds, 1),
                }
            )
            for r in sorted(results, key=lambda result: result.shard.index)
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn(name, "string" if name == "shard" else "number") for name in columns
            ]
        ),
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


def _profile_summary(stream: SyncStream) -> dg.OpDefinition:
    @dg.op(
        name=f"{stream.name}_send_summary",
        out=dg.Out(dg.Nothing),
        required_resource_keys={"warehouse", stream.resource_key},
        description=(
            "Adds up the shards' reports into the asset's materialization, then audits once"
            " for all shards which profiles Customer.io accepted and then dropped."
        ),
    )
    def summarize(context: dg.OpExecutionContext, results: list[ShardResult]) -> None:
        warehouse: WarehouseResource = context.resources.warehouse
        metadata = _summary_metadata(results)
        with (
            warehouse.session(for_sync=True) as session,
            delivery_audit.app_client_if_configured(customerio_of(stream, context)) as app,
        ):
            audit = delivery_audit.audit_email_changes(
                session,
                stream,
                app,
                as_of=as_of_day(stream, context),
                run_id=context.run.run_id,
                since=_run_started(context),
                log=context.log,
            )
            completed = imports.settle(session, stream, dt.datetime.now(dt.UTC))
        context.add_output_metadata(
            {**metadata, **audit.metadata(), **imports.completed_metadata(completed)}
        )

    return summarize


def _events_summary(stream: SyncStream) -> dg.OpDefinition:
    @dg.op(
        name=f"{stream.name}_send_summary",
        out=dg.Out(dg.Nothing),
        required_resource_keys={"warehouse"},
        description=(
            "Adds up the shards' reports into the asset's materialization, and completes the"
            " import the send finished, if any."
        ),
    )
    def summarize(context: dg.OpExecutionContext, results: list[ShardResult]) -> None:
        warehouse: WarehouseResource = context.resources.warehouse
        metadata = _summary_metadata(results)
        policies = {str(r.backfill_policy) if r.backfill_policy else "live" for r in results}
        metadata["backfill_policy"] = ", ".join(sorted(policies))
        with warehouse.session(for_sync=True) as session:
            completed = imports.settle(session, stream, dt.datetime.now(dt.UTC))
        context.add_output_metadata({**metadata, **imports.completed_metadata(completed)})

    return summarize


def _sharded(
    stream: SyncStream,
    single_step: dg.AssetsDefinition,
    send: Callable[[SyncStream, Shard], dg.OpDefinition],
    summary: dg.OpDefinition,
    shards: int,
) -> dg.AssetsDefinition:
    """The graph-backed twin of a single-step send asset, keeping everything it declares."""
    key = stream.send_key
    spec = single_step.specs_by_key[key]

    @dg.graph(name=f"{stream.name}_sharded_send", ins={_PLAN_INPUT: dg.GraphIn()})
    def fan_out(plan: Any) -> Any:
        return summary([send(stream, Shard(index, shards))(plan) for index in range(shards)])

    return dg.AssetsDefinition.from_graph(
        fan_out,
        keys_by_input_name={_PLAN_INPUT: stream.plan_key},
        keys_by_output_name={"result": key},
        partitions_def=spec.partitions_def,
        backfill_policy=single_step.backfill_policy,
        group_name=spec.group_name,
        descriptions_by_output_name={"result": spec.description or ""},
        metadata_by_output_name={"result": {**spec.metadata, "shards": shards}},
        tags_by_output_name={"result": dict(spec.tags)},
        owners_by_output_name={"result": list(spec.owners)},
    )


def stream_assets(stream: SyncStream, shards: int = 1) -> list[dg.AssetsDefinition]:
    """A sync's plan and send, the send split into ``shards`` parallel steps when above one."""
    if stream.kind == "profiles":
        plan, send = profile_plan_asset(stream), profile_send_asset(stream)
        if shards > 1:
            send = _sharded(stream, send, _profile_send, _profile_summary(stream), shards)
    else:
        plan, send = events_plan_asset(stream), events_send_asset(stream)
        if shards > 1:
            send = _sharded(stream, send, _events_send, _events_summary(stream), shards)
    return [plan, send]
