"""A sync's plan assets, and what its plan and send steps share.

Every declared sync (a :class:`SyncStream`) is two assets: a plan, built here, that is a
reviewable dry run guarded by the source's blocking checks and the volume guard, and a send
(:mod:`retention_assets.sync.sends`) that streams the plan through the sync's Customer.io
resource and writes the ledgers. Profiles are identify calls, events track calls, memberships
(relationships, a manual segment's members) adds and removals against a membership ledger;
all follow the daily partitions of the source they read (or none, for a snapshot source). The
helpers here (the run's day or window, its backfill policy, the report's metadata) are shared.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field

from asset_checks import gates
from resources.customerio import CustomerIOResource
from resources.warehouse import WarehouseResource, WarehouseSession
from retention_assets.partitions import DAILY_PARTITIONS, SINGLE_RUN_BACKFILL, partition_days
from retention_assets.privacy import shown_text
from retention_assets.settings import warehouse_kind
from retention_assets.sync import catalog, imports, ledger, plans
from retention_assets.sync.identity import held_profiles
from retention_assets.sync.policies import (
    ALLOW_VOLUME_TAG,
    BACKFILL_POLICY_TAG,
    DAGSTER_BACKFILL_TAG,
    BackfillPolicy,
    describe_policies,
)
from retention_assets.sync.stream import GROUP, SyncStream

OWNERS = ["team:data-engineering", "team:retention-marketing"]
_REMOVAL_ACTIONS = ("clear", "delete", "suppress")
# The window of an unpartitioned (snapshot) event source: every event it holds.
_SNAPSHOT_START = dt.date(1970, 1, 1)


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


def tagged_policy(stream: SyncStream, tags: Mapping[str, str]) -> BackfillPolicy:
    """The run's backfill policy: its tag, else the one the spec declares."""
    events = stream.spec.events
    default = events.backfill_policy if events else BackfillPolicy.RENAME
    value = tags.get(BACKFILL_POLICY_TAG, str(default))
    try:
        return BackfillPolicy(value)
    except ValueError:
        allowed = " | ".join(policy.value for policy in BackfillPolicy)
        raise dg.Failure(
            f"Run tag {BACKFILL_POLICY_TAG}={value!r} is not a backfill policy: use {allowed}."
        ) from None


def import_metadata(current: imports.SyncImport | None) -> dict[str, Any]:
    if current is None:
        return {"import": "none: live sync"}
    return {"import": current.label, "import_approval": current.approval or "not yet approved"}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def as_of_day(
    stream: SyncStream, context: dg.AssetExecutionContext | dg.OpExecutionContext
) -> dt.date:
    """The profile partition a run plans and sends: the last day of its range, or today."""
    return partition_days(context)[-1] if stream.partitioned else _today()


def event_window(
    stream: SyncStream, context: dg.AssetExecutionContext | dg.OpExecutionContext
) -> tuple[dt.date, dt.date]:
    """The half-open day window ``[start, end)`` of an events run."""
    if not stream.partitioned:
        return _SNAPSHOT_START, _today() + dt.timedelta(days=2)
    days = partition_days(context)
    return days[0], days[-1] + dt.timedelta(days=1)


def mark_planned_day(stream: SyncStream, context: dg.AssetExecutionContext, as_of: dt.date) -> None:
    """Per partition of a range: only the last day is planned and sent, say so on the others.

    Without this every day of a range backfill would show the last day's counts, and the
    numbers would look as if they had been sent once per day.
    """
    if not stream.partitioned:
        return
    for day in partition_days(context):
        outcome = "planned" if day == as_of else f"superseded by {as_of.isoformat()}"
        context.add_asset_metadata({"partition_outcome": outcome}, partition_key=day.isoformat())


def record_per_day(
    stream: SyncStream,
    context: dg.AssetExecutionContext,
    name: str,
    values: dict[dt.date, Any],
    default: Any,
) -> None:
    """Attach each day's own numbers to that day's partition (a range is one run)."""
    if not stream.partitioned:
        return
    for day in partition_days(context):
        context.add_asset_metadata({name: values.get(day, default)}, partition_key=day.isoformat())


def partitioning(stream: SyncStream) -> dict[str, Any]:
    if not stream.partitioned:
        return {}
    return {"partitions_def": DAILY_PARTITIONS, "backfill_policy": SINGLE_RUN_BACKFILL}


def _plan_args(stream: SyncStream, description: str) -> dict[str, Any]:
    """What every plan asset declares: a dry run in the warehouse, downstream of the source."""
    # A reconciling stream's identifies follow its identity decisions (docs/identity.md).
    identity = [stream.identity_key] if stream.reconciles else []
    return {
        "key": stream.plan_key,
        "deps": [*stream.first_deps, *identity],
        "group_name": GROUP,
        "owners": OWNERS,
        "kinds": {warehouse_kind(), "customerio"},
        "metadata": catalog.plan_metadata(stream),
        "required_resource_keys": {"warehouse"},
        "description": description,
        **partitioning(stream),
    }


def _policies(stream: SyncStream) -> str:
    events = stream.spec.events
    return describe_policies(
        stream.spec.guards.volume.to_policy(),
        events.backfill_policy if events else BackfillPolicy.RENAME,
        stream.spec.cadence.trailing_days,
        stream.spec.on_removed if stream.kind == "profiles" else None,
    )


def about(stream: SyncStream) -> str:
    source = stream.spec.source
    intro = f"{stream.spec.description}\n\n" if stream.spec.description else ""
    return (
        f"{intro}Sync `{stream.name}` reads `{source.relation}` (asset"
        f" `{stream.upstream.to_user_string()}`) through the view `{stream.source_view}`;"
        f" plans and ledgers live in schema `{stream.schema}`.\n\n"
    )


def customerio_of(
    stream: SyncStream, context: dg.AssetExecutionContext | dg.OpExecutionContext
) -> CustomerIOResource:
    """The Customer.io resource of the stream's workspace."""
    resource: CustomerIOResource = getattr(context.resources, stream.resource_key)
    return resource


def profile_plan_asset(stream: SyncStream) -> dg.AssetsDefinition:
    """The dry run of a profile sync."""

    @dg.asset(
        **_plan_args(
            stream,
            (
                "Dry run of the profile sync: for the partition's rows, which Customer.io profiles"
                " are new, which attributes changed and which are cleared, compared with what"
                " Customer.io acknowledged (the ledger). Nothing is sent here.\n\n"
                "For marketers: review the counts and sample payloads of the latest"
                " materialization before anything reaches Customer.io; the volume guard check"
                " stops a send far larger than usual. `attribute_ownership` lists the attributes"
                " this sync may write and who owns the others.\n\n"
                "For data engineers: computed in SQL into"
                f" `{stream.schema}.customer_state_plan` (one row per changed attribute) and"
                f" `{stream.schema}.customer_state_plan_profiles`, and the profiles that left"
                f" the source (`on_removed`) in `{stream.schema}.removals_plan`"
                " (`planned_removals`, `removals_<action>`, `removal_sample`);"
                " rows leave the plan once Customer.io acknowledges them, so between runs it holds"
                " what is still to send. For a range, the last day is planned: older snapshots"
                " never overwrite newer ones. The source's blocking checks run here too, on exactly"
                " the rows planned.\n\n" + about(stream) + _policies(stream)
            ),
        )
    )
    def plan(context: dg.AssetExecutionContext, config: PlanConfig) -> dg.MaterializeResult:
        warehouse: WarehouseResource = context.resources.warehouse
        as_of = as_of_day(stream, context)
        now = dt.datetime.now(dt.UTC)
        with warehouse.session(for_sync=True) as session:
            ledger.ensure_sync_tables(session, stream)
            ledger.ensure_source_view(session, stream)
            # Acknowledgements first: a refused plan must not lose what a crashed send delivered.
            ledger.fold_profile_acks(session, stream)
            imports.settle(session, stream, now)
            refused = gates.refusals(session, stream, as_of, as_of)
            if refused:
                plans.discard_plan(session, stream, as_of, as_of + dt.timedelta(days=1))
                raise gates.refusal_failure(
                    stream.upstream, f"{stream.name} {as_of.isoformat()}", refused
                )
            summary = plans.plan_customer_state(session, stream, as_of)
            ledger.record_blocked_rows(
                session,
                stream,
                {"as_of": as_of},
                partition_key=as_of.isoformat(),
                run_id=context.run.run_id,
                now=now,
            )
            removals = plans.removals_by_action(session, stream, as_of)
            removal_sample = plans.removals_sample(session, stream, as_of)
            current = imports.import_for_plan(
                session,
                run_id=context.run.run_id,
                stream=stream,
                start=as_of,
                end=as_of + dt.timedelta(days=1),
                is_backfill=_is_backfill(context),
                backfill_policy=None,
                now=now,
            )
            sample = plans.customer_state_plan_sample(session, stream, as_of)
            held = held_profiles(session, stream, as_of)
        mark_planned_day(stream, context, as_of)
        unchanged = summary["customers"] - summary["planned_profiles"]
        context.log.info(f"plan of {stream.name} for {as_of}: {summary}")
        payloads = "\n".join(
            f"{'new ' if is_new else ''}{customer_id}: {attributes}"
            for customer_id, is_new, attributes in sample
        )
        return dg.MaterializeResult(
            metadata={
                **summary,
                **import_metadata(current),
                **removal_metadata(stream, removals, removal_sample),
                "unchanged_customers": unchanged,
                # Conflicts and unsent merges of the identity plan: not sent by this run.
                "identity_held_profiles": held,
                "as_of_date": as_of.isoformat(),
                # Emails masked unless RETENTION_FULL_SAMPLES is on (retention_assets.privacy).
                "sample_payloads": dg.MetadataValue.md(
                    f"```\n{shown_text(payloads) or '(nothing to send)'}\n```"
                ),
            }
        )

    return plan


def _membership_what(stream: SyncStream) -> str:
    if stream.membership == "segment":
        segment = stream.spec.segment
        assert segment is not None
        named = f"id {segment.id}" if segment.id is not None else f"named {segment.name!r}"
        return f"the members of the manual segment ({named})"
    relationships = stream.spec.relationships
    assert relationships is not None
    kind = relationships.object_type.name or f"type {relationships.object_type.id}"
    return f"people's relationships to objects ({kind})"


# Characters of a sample's relationship attributes shown in the UI (values may be 100 KB).
_SAMPLE_CHARS = 300


def _shown(text: str) -> str:
    cut = text if len(text) <= _SAMPLE_CHARS else f"{text[:_SAMPLE_CHARS]}..."
    return shown_text(cut)


def _sample_table(stream: SyncStream, rows: list[tuple[str, str, str, str]]) -> dg.MetadataValue:
    relationships = stream.membership == "relationships"
    columns = ["action", "person_id", *(["object_id", "attributes"] if relationships else [])]
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                dict(
                    zip(
                        columns,
                        # Emails masked unless RETENTION_FULL_SAMPLES is on (privacy).
                        [action, _shown(person), _shown(target), _shown(attributes)],
                        strict=False,
                    )
                )
            )
            for action, person, target, attributes in rows
        ],
        schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in columns]),
    )


def membership_plan_asset(stream: SyncStream) -> dg.AssetsDefinition:
    """The dry run of a membership sync (relationships, or a manual segment's members)."""
    what = _membership_what(stream)

    @dg.asset(
        **_plan_args(
            stream,
            (
                f"Dry run of the membership sync of {what}: which pairs of the relation are"
                " new, which changed their relationship attributes, and which left the relation"
                " since this sync added them (the ledger). Nothing is sent here.\n\n"
                "For marketers: review `adds`, `changes`, `removals` and the `sample` table"
                " before anything reaches Customer.io. Only what this sync added is ever"
                " removed: a member or relationship added by hand in Customer.io stays. The"
                " volume guard check stops a plan that removes (or adds) far more than usual.\n\n"
                f"For data engineers: computed in SQL into `{stream.schema}.membership_plan`"
                f" and `{stream.schema}.membership_attribute_plan` against"
                f" `{stream.schema}.membership_ledger`; pairs leave the plan once Customer.io"
                " acknowledges them. A pair acknowledged from a newer partition is never"
                " changed or removed by an older one. A relation with rows lacking an id, or"
                " listing a pair twice, is refused by the source's blocking checks.\n\n"
                + about(stream)
                + _policies(stream)
            ),
        )
    )
    def plan(context: dg.AssetExecutionContext, config: PlanConfig) -> dg.MaterializeResult:
        warehouse: WarehouseResource = context.resources.warehouse
        as_of = as_of_day(stream, context)
        now = dt.datetime.now(dt.UTC)
        with warehouse.session(for_sync=True) as session:
            ledger.ensure_sync_tables(session, stream)
            ledger.ensure_source_view(session, stream)
            # Acknowledgements first: a refused plan must not lose what a crashed send delivered.
            ledger.fold_membership_acks(session, stream)
            imports.settle(session, stream, now)
            refused = gates.refusals(session, stream, as_of, as_of)
            if refused:
                plans.discard_plan(session, stream, as_of, as_of + dt.timedelta(days=1))
                raise gates.refusal_failure(
                    stream.upstream, f"{stream.name} {as_of.isoformat()}", refused
                )
            summary = plans.plan_membership(session, stream, as_of)
            current = imports.import_for_plan(
                session,
                run_id=context.run.run_id,
                stream=stream,
                start=as_of,
                end=as_of + dt.timedelta(days=1),
                is_backfill=_is_backfill(context),
                backfill_policy=None,
                now=now,
            )
            sample = plans.membership_plan_sample(session, stream, as_of)
        mark_planned_day(stream, context, as_of)
        context.log.info(f"plan of {stream.name} for {as_of}: {summary}")
        return dg.MaterializeResult(
            metadata={
                **summary,
                **import_metadata(current),
                "as_of_date": as_of.isoformat(),
                "sample": _sample_table(stream, sample),
            }
        )

    return plan


def removal_metadata(
    stream: SyncStream, by_action: dict[str, int], sample: list[tuple[str, str]]
) -> dict[str, Any]:
    """What the plan removes: counts per action, and a few of them (emails masked)."""
    metadata: dict[str, Any] = {
        "on_removed": stream.removal_action,
        **{f"removals_{action}": by_action.get(action, 0) for action in _REMOVAL_ACTIONS},
    }
    metadata["removals_by_action"] = dg.MetadataValue.table(
        records=[
            dg.TableRecord({"action": action, "profiles": by_action.get(action, 0)})
            for action in _REMOVAL_ACTIONS
        ],
        schema=dg.TableSchema(
            columns=[dg.TableColumn("action", "string"), dg.TableColumn("profiles", "number")]
        ),
    )
    listed = "\n".join(f"{action} {customer_id}" for customer_id, action in sample)
    metadata["removal_sample"] = dg.MetadataValue.md(
        f"```\n{shown_text(listed) or '(nobody to remove)'}\n```"
    )
    return metadata


def events_plan_asset(stream: SyncStream) -> dg.AssetsDefinition:
    """The dry run of an event sync."""

    @dg.asset(
        **_plan_args(
            stream,
            (
                "Dry run of the event sync: events of the partition(s) that Customer.io has not"
                " acknowledged yet (late-arriving rows included). Nothing is sent here.\n\n"
                "For marketers: only names of the locked vocabulary (`event_vocabulary`) are sent;"
                " the volume guard check stops a send far larger than usual.\n\n"
                f"For data engineers: `{stream.schema}.events_plan`, rebuilt for the run's days"
                f" from the source minus `{stream.schema}.event_ledger`, and emptied of what"
                " Customer.io acknowledges; each day's partition shows its own"
                " `planned_events_on_day`. The source's blocking checks run here too, on exactly"
                " the days planned.\n\n" + about(stream) + _policies(stream)
            ),
        )
    )
    def plan(context: dg.AssetExecutionContext, config: PlanConfig) -> dg.MaterializeResult:
        warehouse: WarehouseResource = context.resources.warehouse
        start, end = event_window(stream, context)
        window = f"[{start.isoformat()}, {end.isoformat()})"
        now = dt.datetime.now(dt.UTC)
        policy = tagged_policy(stream, context.run.tags)
        with warehouse.session(for_sync=True) as session:
            ledger.ensure_sync_tables(session, stream)
            ledger.ensure_source_view(session, stream)
            # Acknowledgements first: a refused plan must not lose what a crashed send delivered.
            ledger.fold_event_acks(session, stream)
            imports.settle(session, stream, now)
            refused = gates.refusals(session, stream, start, end - dt.timedelta(days=1))
            if refused:
                plans.discard_plan(session, stream, start, end)
                raise gates.refusal_failure(stream.upstream, f"{stream.name} {window}", refused)
            summary = plans.plan_events(
                session, stream, start, end, run_id=context.run.run_id, log=context.log
            )
            ledger.record_blocked_rows(
                session,
                stream,
                {"start": start, "end": end},
                partition_key=f"{start.isoformat()}...{end.isoformat()}",
                run_id=context.run.run_id,
                now=now,
            )
            current = imports.import_for_plan(
                session,
                run_id=context.run.run_id,
                stream=stream,
                start=start,
                end=end,
                is_backfill=_is_backfill(context),
                backfill_policy=policy,
                now=now,
            )
            by_day = session.fetch_all(
                stream.sql("events_plan_by_day"), {"start": start, "end": end}
            )
        record_per_day(stream, context, "planned_events_on_day", dict(by_day), 0)
        return dg.MaterializeResult(
            metadata={**summary, **import_metadata(current), "window": window}
        )

    return plan


def backfill_policy_for_run(
    stream: SyncStream, tags: Mapping[str, str], first_sync: bool
) -> BackfillPolicy | None:
    """The policy for trigger-window events of a run that is not part of an open import."""
    if DAGSTER_BACKFILL_TAG not in tags and not first_sync:
        return None
    return tagged_policy(stream, tags)


def events_send_policy(
    session: WarehouseSession,
    stream: SyncStream,
    tags: Mapping[str, str],
    run_id: str,
    start: dt.date,
    end: dt.date,
) -> tuple[BackfillPolicy | None, imports.SyncImport | None]:
    """The backfill policy of an events send of ``[start, end)``, and the import it is part of.

    A send that belongs to an open import applies the import's policy, whatever this run's
    tags say: a resumed initial import or backfill stays one until it completes. Otherwise a
    backfill run, or a first sync that no plan recorded as an import, applies the tagged one.
    """
    current = imports.open_import(session, stream, start, end)
    if current is not None and current.backfill_policy is not None:
        return current.backfill_policy, current
    first_sync = plans.events_synced_by_other_runs(session, stream, run_id) == 0
    return backfill_policy_for_run(stream, tags, first_sync), current
