"""A sync's send asset: N shard steps that send, then one summary step that accounts.

Every send (profiles, events, memberships) is one graph-backed asset built here, whatever its
number of shards (``RETENTION_SYNC_SHARDS``, default 1; a segment stream always has one): one
send op per shard of customers (:mod:`retention_assets.sync.shards`), then a summary op whose
output is the asset's materialization. One shard is simply the case N=1 of the same graph, so
every guarantee is tested once for every shard count. Each send op is its own step: a
multiprocess, Celery or Kubernetes executor runs them side by side, each with its own warehouse
session, its own share of the Customer.io request rate and its own ledger writes, and a failed
shard is retried or re-executed alone. Shards split customers disjointly, so no row is sent
twice, and together they send and record exactly what one shard would.

The steps hand nothing to each other through Dagster's IO manager: each shard keeps its report
in the warehouse (:mod:`retention_assets.sync.send_reports`) and the summary op reads them, so
a send needs no shared storage on any executor. The summary completes the imports the send
finished and attaches each day's own numbers to that day's partition. For customer state it
also runs the delivery audit (:mod:`retention_assets.sync.delivery_audit`) once for all
shards, since the run started: the App API's 10 requests/s are not split.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from resources.customerio import TrackClient
from resources.warehouse import WarehouseResource, WarehouseSession
from retention_assets.sync import catalog, delivery_audit, imports, send_reports
from retention_assets.sync.assets import (
    OWNERS,
    about,
    as_of_day,
    customerio_of,
    event_window,
    events_plan_asset,
    events_send_policy,
    import_metadata,
    mark_planned_day,
    membership_plan_asset,
    partitioning,
    profile_plan_asset,
    record_per_day,
)
from retention_assets.sync.identity import held_profiles
from retention_assets.sync.identity_assets import identity_assets
from retention_assets.sync.segments import resolve_segment
from retention_assets.sync.send import (
    SegmentTarget,
    SyncReport,
    sync_events,
    sync_membership,
    sync_profiles,
    sync_removals,
)
from retention_assets.sync.send_reports import ShardReport
from retention_assets.sync.shards import Shard
from retention_assets.sync.stream import GROUP, SyncStream

_PLAN_INPUT = "plan"
# How Dagster stores an asset's kind (what `kinds=` declares on a decorated asset).
_KIND_TAG = "dagster/kind/customerio"


def _shard_input(index: int) -> str:
    return f"shard_{index + 1}"


def _shard_op_name(stream: SyncStream, shard: Shard) -> str:
    return f"{stream.name}_send_shard_{shard.index + 1}_of_{shard.count}"


def _send_profile_shard(
    context: dg.AssetExecutionContext,
    stream: SyncStream,
    shard: Shard,
    session: WarehouseSession,
    client: TrackClient,
) -> ShardReport:
    as_of = as_of_day(stream, context)
    arguments: dict[str, Any] = {
        "as_of": as_of,
        "run_id": context.run.run_id,
        "partition_key": as_of.isoformat(),
        "shard": shard,
        "log": context.log,
    }
    # The identifies first, then the removals of people who left the source (or erasures).
    report = SyncReport.in_sequence(
        [
            sync_profiles(session, stream, client, **arguments),
            sync_removals(session, stream, client, **arguments),
        ]
    )
    context.log.info(
        f"{stream.name} {as_of}, shard {shard.label}: {report.accepted:,} accepted"
        f" ({report.removals:,} removals sent), {report.rejected:,} rejected,"
        f" {report.requests:,} requests in {report.seconds:,.1f} s"
    )
    return ShardReport(shard, report)


def _send_events_shard(
    context: dg.AssetExecutionContext,
    stream: SyncStream,
    shard: Shard,
    session: WarehouseSession,
    client: TrackClient,
) -> ShardReport:
    start, end = event_window(stream, context)
    run_id = context.run.run_id
    policy, current = events_send_policy(session, stream, context.run.tags, run_id, start, end)
    if policy is not None:
        context.log.info(
            f"backfill policy for events in the trigger window: {policy}"
            + (f" (the {current.label})" if current else "")
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
    return ShardReport(shard, report, policy, import_metadata(current))


def _send_membership_shard(
    context: dg.AssetExecutionContext,
    stream: SyncStream,
    shard: Shard,
    session: WarehouseSession,
    client: TrackClient,
) -> ShardReport:
    as_of = as_of_day(stream, context)
    customerio = customerio_of(stream, context)
    with delivery_audit.app_client_if_configured(customerio) as app:
        segment = (
            SegmentTarget(lambda: resolve_segment(stream, app, context.log), app)
            if stream.membership == "segment"
            else None
        )
        report = sync_membership(
            session,
            stream,
            client,
            as_of=as_of,
            run_id=context.run.run_id,
            partition_key=as_of.isoformat(),
            shard=shard,
            segment=segment,
            log=context.log,
        )
    context.log.info(
        f"{stream.name} {as_of}, shard {shard.label}: {report.accepted:,} accepted,"
        f" {report.rejected:,} rejected, {report.requests:,} requests in"
        f" {report.seconds:,.1f} s"
    )
    return ShardReport(shard, report)


def _counts_metadata(report: SyncReport) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "planned": report.planned,
        "sent": report.sent,
        "removals_sent": report.removals,
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
        metadata["rejection_sample"] = dg.MetadataValue.table(
            records=[
                dg.TableRecord(
                    {"key": r.key, "reason": r.reason, "field": r.field or "", "message": r.message}
                )
                for r in report.rejection_sample
            ],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn(name, "string") for name in ("key", "reason", "field", "message")
                ]
            ),
        )
    return metadata


def _shard_table(results: Sequence[ShardReport]) -> dg.MetadataValue:
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


def _report_metadata(results: Sequence[ShardReport]) -> dict[str, Any]:
    metadata = _counts_metadata(SyncReport.combined([result.report for result in results]))
    metadata["shards"] = len(results)
    if len(results) > 1:
        metadata["shard_reports"] = _shard_table(results)
    return metadata


def _run_started(context: dg.AssetExecutionContext) -> dt.datetime:
    """When the run started: every shard's send began after it."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is None or record.start_time is None:
        raise RuntimeError(f"run {context.run.run_id} has no start time to audit from")
    return dt.datetime.fromtimestamp(record.start_time, dt.UTC)


def _summarize_profiles(
    context: dg.AssetExecutionContext, stream: SyncStream, results: Sequence[ShardReport]
) -> dict[str, Any]:
    warehouse: WarehouseResource = context.resources.warehouse
    as_of = as_of_day(stream, context)
    # A 200 is not a delivery: find the updates Customer.io dropped after accepting them.
    customerio = customerio_of(stream, context)
    with (
        warehouse.session(for_sync=True) as session,
        delivery_audit.app_client_if_configured(customerio) as app,
    ):
        audit = delivery_audit.audit_email_changes(
            session,
            stream,
            app,
            as_of=as_of,
            run_id=context.run.run_id,
            since=_run_started(context),
            log=context.log,
            app_key_variable=customerio.app_api_key_source,
        )
        completed = imports.settle(session, stream, dt.datetime.now(dt.UTC))
        held = held_profiles(session, stream, as_of)
    mark_planned_day(stream, context, as_of)
    context.log.info(f"{stream.name} {as_of}: {audit.status}, {audit.failed:,} dropped")
    return {
        **_report_metadata(results),
        "identity_held_profiles": held,
        **audit.metadata(),
        **imports.completed_metadata(completed),
    }


def _summarize_events(
    context: dg.AssetExecutionContext, stream: SyncStream, results: Sequence[ShardReport]
) -> dict[str, Any]:
    warehouse: WarehouseResource = context.resources.warehouse
    start, end = event_window(stream, context)
    with warehouse.session(for_sync=True) as session:
        acks = session.fetch_all(
            stream.sql("event_acks_by_day"),
            {"run_id": context.run.run_id, "start": start, "end": end},
        )
        completed = imports.settle(session, stream, dt.datetime.now(dt.UTC))
    per_day: dict[dt.date, dict[str, int]] = {}
    for day, disposition, count in acks:
        per_day.setdefault(day, {})[disposition] = count
    record_per_day(stream, context, "events_on_day", per_day, {})
    policies = {str(r.backfill_policy) if r.backfill_policy else "live" for r in results}
    part_of = next((r.import_metadata for r in results if r.import_metadata), import_metadata(None))
    return {
        **_report_metadata(results),
        "backfill_policy": ", ".join(sorted(policies)),
        **part_of,
        **imports.completed_metadata(completed),
    }


def _summarize_membership(
    context: dg.AssetExecutionContext, stream: SyncStream, results: Sequence[ShardReport]
) -> dict[str, Any]:
    warehouse: WarehouseResource = context.resources.warehouse
    as_of = as_of_day(stream, context)
    with warehouse.session(for_sync=True) as session:
        completed = imports.settle(session, stream, dt.datetime.now(dt.UTC))
    mark_planned_day(stream, context, as_of)
    return {**_report_metadata(results), **imports.completed_metadata(completed)}


@dataclass(frozen=True)
class _SendKind:
    """What differs between the sends of two stream kinds; the graph around them is shared."""

    send_shard: Callable[
        [dg.AssetExecutionContext, SyncStream, Shard, WarehouseSession, TrackClient], ShardReport
    ]
    summarize: Callable[
        [dg.AssetExecutionContext, SyncStream, Sequence[ShardReport]], dict[str, Any]
    ]
    description: Callable[[SyncStream], str]
    shard_does: str
    summary_does: str
    summary_needs_workspace: bool


def profile_send_description(stream: SyncStream) -> str:
    return (
        "Sends the planned attribute changes to Customer.io: one identify per changed profile,"
        " by its id, with only the changed attributes.\n\n"
        "For marketers: segments see the new values once this succeeds; an unchanged profile"
        " is not touched. Rows Customer.io refuses are shown in `rejection_sample`, retried on"
        " the next run, and the `no_open_rejections` check warns while any is open. Customer.io"
        " answers 200 even when it drops an update whose email belongs to another person: after"
        " the send, the profiles whose email changed are read back and such drops become"
        " rejected rows too (`delivery_audit`, `failed`). Profiles this sync wrote whose row"
        " left the source are then cleared, deleted or suppressed as the spec's `on_removed`"
        " says (`removals_sent`; an erasure stream suppresses every id it lists).\n\n"
        "For data engineers: Track API v2 batches, serialised in the warehouse, sent by one"
        " step per shard of customers and summed up by a summary step. Acknowledged"
        f" profiles are logged in `{stream.schema}.profile_acks` as Customer.io answers and"
        f" folded into `{stream.schema}.customer_ledger` and `{stream.schema}.attribute_ledger`"
        " when the send ends (or by the next run after a crash); refusals go to"
        f" `{stream.schema}.rejected_rows` with reason and field. Removals are logged in"
        f" `{stream.schema}.removal_acks` and folded the same way, leaving a tombstone in"
        f" `{stream.schema}.removal_ledger`. The columns are the profile"
        " fields written, each with the source column it comes from.\n\n" + about(stream)
    )


def events_send_description(stream: SyncStream) -> str:
    return (
        "Sends the planned events to Customer.io as track calls.\n\n"
        "For marketers: journeys start from these events. In a backfill run or the first sync,"
        " events within Customer.io's 72-hour trigger window follow the backfill policy"
        ' (default: renamed to "<name> (backfill)") so replayed history cannot start live'
        " journeys; older events keep their names.\n\n"
        "For data engineers: each event's id is a ULID assigned once, when the event is first"
        f" planned (`{stream.schema}.event_ids`), and reused for good, so retries, re-runs,"
        " overlapping backfills and corrected timestamps never duplicate an event. One step"
        " per shard of customers sends, a summary step sums up. Acknowledged"
        f" keys are logged in `{stream.schema}.event_acks` and folded into"
        f" `{stream.schema}.event_ledger` when the send ends (or by the next run after a crash),"
        f" refusals go to `{stream.schema}.rejected_rows`; `backfill_policy` says which policy"
        " the run applied and each day's partition shows `events_on_day`.\n\n" + about(stream)
    )


def membership_send_description(stream: SyncStream) -> str:
    if stream.membership == "segment":
        segment = stream.spec.segment
        assert segment is not None
        named = f"id {segment.id}" if segment.id is not None else f"named {segment.name!r}"
        what = (
            f"Keeps the manual segment ({named}) equal to the relation: adds the people who"
            " joined and removes those who left, by `add_customers` / `remove_customers`"
            " requests of up to 1,000 ids."
        )
        marketers = (
            "For marketers: the segment's members are the relation's rows. A person added to"
            " the segment by hand in Customer.io is never removed by this sync; only people"
            " it added leave when they leave the relation. An id Customer.io does not know is"
            " ignored by it: the send reads the segment back and records such ids as rejected"
            " rows (`unknown_person`), not as members."
        )
    else:
        relationships = stream.spec.relationships
        assert relationships is not None
        what = (
            "Keeps people's relationships to objects of type"
            f" {relationships.object_type.id} ({relationships.object_type.name or 'objects'})"
            " equal to the relation: `add_relationships` for new pairs and changed"
            " relationship attributes (only the changed ones), `delete_relationships` for"
            " pairs that left."
        )
        marketers = (
            "For marketers: a relationship someone added in Customer.io, and never by this"
            " sync, is left alone; only pairs this sync added are removed."
        )
    return (
        f"{what}\n\n{marketers} Removals count in the volume guard.\n\n"
        "For data engineers: acknowledged pairs are logged in"
        f" `{stream.schema}.membership_acks` and folded into `{stream.schema}.membership_ledger`"
        f" (and `{stream.schema}.membership_attribute_ledger`) when the send ends, or by the next"
        f" run after a crash; refusals go to `{stream.schema}.rejected_rows`.\n\n" + about(stream)
    )


_PROFILES = _SendKind(
    send_shard=_send_profile_shard,
    summarize=_summarize_profiles,
    description=profile_send_description,
    shard_does="Identify calls for the planned profiles of customer shard",
    summary_does=(
        "Adds up the shards' reports into the asset's materialization, then audits once"
        " for all shards which profiles Customer.io accepted and then dropped."
    ),
    summary_needs_workspace=True,
)
_EVENTS = _SendKind(
    send_shard=_send_events_shard,
    summarize=_summarize_events,
    description=events_send_description,
    shard_does="Track calls for the planned events of customer shard",
    summary_does=(
        "Adds up the shards' reports into the asset's materialization, records each day's"
        " acknowledgements on its partition, and completes the import the send finished."
    ),
    summary_needs_workspace=False,
)


_MEMBERSHIP = _SendKind(
    send_shard=_send_membership_shard,
    summarize=_summarize_membership,
    description=membership_send_description,
    shard_does="Membership adds, changes and removals of the pairs of customer shard",
    summary_does=(
        "Adds up the shards' reports into the asset's materialization and completes the"
        " import the send finished."
    ),
    summary_needs_workspace=False,
)
_KINDS = {"profiles": _PROFILES, "events": _EVENTS, "membership": _MEMBERSHIP}


def _shard_op(stream: SyncStream, kind: _SendKind, shard: Shard) -> dg.OpDefinition:
    @dg.op(
        name=_shard_op_name(stream, shard),
        ins={_PLAN_INPUT: dg.In(dg.Nothing)},
        out=dg.Out(dg.Nothing),
        required_resource_keys={"warehouse", stream.resource_key},
        description=f"{kind.shard_does} {shard.label}.",
    )
    def send(context: dg.AssetExecutionContext) -> None:
        warehouse: WarehouseResource = context.resources.warehouse
        with (
            warehouse.session(for_sync=True) as session,
            customerio_of(stream, context).track_client(parallel_senders=shard.count) as client,
        ):
            result = kind.send_shard(context, stream, shard, session, client)
            send_reports.record(session, stream, send_reports.run_group(context.run), result)

    return send


def _summary_op(stream: SyncStream, kind: _SendKind, shards: int) -> dg.OpDefinition:
    resources = {stream.resource_key} if kind.summary_needs_workspace else set()

    @dg.op(
        name=f"{stream.name}_send_summary",
        ins={_shard_input(index): dg.In(dg.Nothing) for index in range(shards)},
        out=dg.Out(dg.Nothing),
        required_resource_keys={"warehouse", *resources},
        description=kind.summary_does,
    )
    def summarize(context: dg.AssetExecutionContext) -> None:
        warehouse: WarehouseResource = context.resources.warehouse
        with warehouse.session(for_sync=True) as session:
            results = send_reports.reports(
                session, stream, send_reports.run_group(context.run), shards
            )
        context.add_output_metadata(kind.summarize(context, stream, results))

    return summarize


def send_asset(stream: SyncStream, shards: int = 1) -> dg.AssetsDefinition:
    """The send of a sync: ``shards`` send steps side by side, then the summary step."""
    if shards < 1:
        raise ValueError(f"a send needs at least one shard, not {shards}")
    if stream.membership == "segment":
        # One segment, 1,000 ids a request: one step sends it, and creates it at most once.
        shards = 1
    kind = _KINDS[stream.kind]
    summary = _summary_op(stream, kind, shards)

    @dg.graph(name=f"{stream.name}_send", ins={_PLAN_INPUT: dg.GraphIn()})
    def fan_out(plan: Any) -> Any:
        return summary(
            **{
                _shard_input(index): _shard_op(stream, kind, Shard(index, shards))(plan)
                for index in range(shards)
            }
        )

    partitions = partitioning(stream)
    return dg.AssetsDefinition.from_graph(
        fan_out,
        keys_by_input_name={_PLAN_INPUT: stream.plan_key},
        keys_by_output_name={"result": stream.send_key},
        partitions_def=partitions.get("partitions_def"),
        backfill_policy=partitions.get("backfill_policy"),
        group_name=GROUP,
        descriptions_by_output_name={"result": kind.description(stream)},
        metadata_by_output_name={"result": {**catalog.send_metadata(stream), "shards": shards}},
        tags_by_output_name={"result": {_KIND_TAG: ""}},
        owners_by_output_name={"result": OWNERS},
    )


def stream_assets(stream: SyncStream, shards: int = 1) -> list[dg.AssetsDefinition]:
    """A sync's plan and send, the send split into ``shards`` parallel steps, after its
    identity plan and send when it reconciles identities (docs/identity.md)."""
    plans = {
        "profiles": profile_plan_asset,
        "events": events_plan_asset,
        "membership": membership_plan_asset,
    }
    plan = plans[stream.kind](stream)
    return [*identity_assets(stream), plan, send_asset(stream, shards)]
