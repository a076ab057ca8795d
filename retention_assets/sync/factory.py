"""From a sync spec to everything Dagster needs: assets, checks, a job, a schedule, a resource.

``sync_definitions(spec)`` is the whole engine as seen from outside: the ``CustomerIOSync``
component calls it for each ``defs.yaml``, and tests call it for a spec of their own. Each
sync yields the same things through the same builders; only the spec differs.

Resources: a sync names its Customer.io workspace by environment variables; syncs of one
workspace share one resource (Dagster merges definitions only when a key holds the same
object, so the resource of a workspace is built once per configuration). The warehouse
resource is the deployment's and is bound by ``retention_assets.definitions``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cache
from graphlib import CycleError, TopologicalSorter

import dagster as dg

from asset_checks.sync_checks import stream_checks
from resources.customerio import CustomerIOResource
from retention_assets.bindings import customerio_resource
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.settings import (
    CustomerIOSettings,
    WorkspaceEnv,
    warehouse_kind,
    workspace_settings,
)
from retention_assets.specs.model import SyncSpec
from retention_assets.sync.continuous import continuous_sensor
from retention_assets.sync.sends import stream_assets
from retention_assets.sync.stream import SyncStream

CUSTOMERIO_RUN_TAG = "retention/customerio"
# Every sync job sends to Customer.io: the run queue of a deployment (docs/deployment.md) lets
# one such run go at a time, so that runs never add up beyond the workspace's rate limit.
CUSTOMERIO_RUN_TAGS = {CUSTOMERIO_RUN_TAG: "sync"}
# The group of the relations sync specs declare as external sources.
EXTERNAL_GROUP = "external_sources"
# Metadata of such a source: the sync whose spec declares it.
DECLARED_BY = "retention/declared_by_sync"


def workspace_env(spec: SyncSpec) -> WorkspaceEnv:
    """The environment variables of the spec's workspace."""
    workspace = spec.workspace
    return WorkspaceEnv(
        site_id=workspace.site_id_env,
        api_key=workspace.track_key_env,
        app_api_key=workspace.app_key_env,
        region=workspace.region_env,
        track_url=workspace.track_url_env,
        app_url=workspace.app_url_env,
    )


@cache
def _resource(
    names: WorkspaceEnv, settings: CustomerIOSettings, max_rps: float, concurrency: int
) -> CustomerIOResource:
    # Keyed by the configuration read from the environment: a changed environment (a test,
    # a redeploy) gets a new resource, an unchanged one the same object.
    return customerio_resource(settings, names, max_rps=max_rps, concurrency=concurrency)


def workspace_resource(spec: SyncSpec) -> CustomerIOResource:
    """The Customer.io resource of the spec's workspace, one object per configuration."""
    names = workspace_env(spec)
    guards = spec.guards
    return _resource(names, workspace_settings(names), guards.max_rps, guards.concurrency)


def sync_job(stream: SyncStream) -> dg.UnresolvedAssetJobDefinition:
    """The source, its checks, the plan and the send of one sync (checks gate the send), and
    its identity plan and send when it reconciles identities."""
    identity = [stream.identity_plan_key, stream.identity_key] if stream.reconciles else []
    return dg.define_asset_job(
        name=f"retention_{stream.name}_sync_job",
        tags=CUSTOMERIO_RUN_TAGS,
        selection=dg.AssetSelection.assets(stream.plan_key, stream.send_key, *identity)
        | dg.AssetSelection.assets(stream.upstream).materializable(),
        description=(
            f"Sync {stream.name}: builds its source `{stream.upstream.to_user_string()}` when"
            " this project materialises it, runs the checks, plans and sends. A failed blocking"
            " check stops the send."
        ),
    )


def sync_schedule(
    stream: SyncStream, job: dg.UnresolvedAssetJobDefinition
) -> dg.ScheduleDefinition:
    """The spec's cadence: the closed day of profile state, a trailing window of event days."""
    cadence = stream.spec.cadence
    trailing = cadence.trailing_days

    def request(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time.astimezone(dt.UTC)
        if not stream.partitioned:
            return dg.RunRequest(run_key=tick.isoformat())
        if stream.kind != "events":
            day = tick.date() - dt.timedelta(days=1)
            return dg.RunRequest(run_key=day.isoformat(), partition_key=day.isoformat())
        end = tick.date()
        start = end - dt.timedelta(days=trailing - 1)
        return dg.RunRequest(
            run_key=tick.isoformat(),
            tags={RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()},
        )

    if stream.kind == "membership":
        what = "the membership as of the end of the previous UTC day"
    elif stream.kind == "profiles":
        what = "the profile state as of the end of the previous UTC day"
    else:
        what = f"events of the last {trailing} day(s), today included, so late rows are sent"
    return dg.ScheduleDefinition(
        name=f"{stream.name}_sync_schedule",
        job=job,
        cron_schedule=cadence.cron,
        execution_timezone="UTC",
        execution_fn=request,
        description=f"`{cadence.cron}` (UTC): {what}.",
    )


def external_source(stream: SyncStream) -> dg.AssetSpec:
    """The source asset of a relation nothing in the deployment builds (``source.external``).

    It is what a team would otherwise declare in Python: the key the spec names, the relation
    in its description and ``dagster/table_name``, the warehouse as its kind. The plan depends
    on it, so the relation and the sync sit in one lineage graph.
    """
    spec = stream.spec
    declared = f" (`source.external` in {spec.path.name})" if spec.path else ""
    return dg.AssetSpec(
        key=stream.upstream,
        group_name=EXTERNAL_GROUP,
        description=(
            f"The warehouse relation `{spec.source.relation}`, built outside this deployment;"
            f" the sync `{spec.name}` reads it. Declared by its sync spec{declared}."
        ),
        kinds={warehouse_kind()},
        metadata={"dagster/table_name": spec.source.relation, DECLARED_BY: spec.name},
    )


def sync_definitions(spec: SyncSpec, *, shards: int = 1) -> dg.Definitions:
    """Everything one declared sync adds to a deployment."""
    stream = SyncStream(spec)
    job = sync_job(stream)
    external = [external_source(stream)] if spec.source.external else []
    return dg.Definitions(
        assets=[*external, *stream_assets(stream, shards)],
        asset_checks=stream_checks(stream),
        jobs=[job],
        schedules=[sync_schedule(stream, job)],
        sensors=[continuous_sensor(stream, job)] if spec.cadence.continuous else [],
        resources={stream.resource_key: workspace_resource(spec)},
    )


def check_workspaces(specs: Sequence[SyncSpec]) -> None:
    """Syncs that name one workspace must configure it alike, and never share a ledger stream."""
    by_workspace: dict[str, SyncSpec] = {}
    by_ledger: dict[tuple[str, str], SyncSpec] = {}
    for spec in specs:
        first = by_workspace.setdefault(spec.workspace.name, spec)
        if workspace_env(first) != workspace_env(spec) or first.guards != spec.guards:
            raise ValueError(
                f"syncs {first.name!r} and {spec.name!r} both name workspace"
                f" {spec.workspace.name!r} but configure it differently (variables or guards):"
                " give one of them its own `workspace.name`, or make them equal"
            )
        owner = by_ledger.setdefault((spec.ledger, spec.stream), spec)
        if owner is not spec:
            raise ValueError(
                f"syncs {owner.name!r} and {spec.name!r} would share the {spec.stream} ledgers"
                f" of schema {spec.ledger!r}: give one of them its own `ledger_schema`"
            )
        if (spec.ledger, "workspace") in by_ledger and by_ledger[
            (spec.ledger, "workspace")
        ].workspace.name != spec.workspace.name:
            raise ValueError(
                f"schema {spec.ledger!r} holds the ledgers of two workspaces: give sync"
                f" {spec.name!r} its own `ledger_schema`"
            )
        by_ledger.setdefault((spec.ledger, "workspace"), spec)


def check_order(specs: Sequence[SyncSpec]) -> None:
    """Each `cadence.after` names a declared sync, and no syncs wait for each other in a ring."""
    after = {spec.name: spec.cadence.after for spec in specs}
    for spec in specs:
        unknown = [name for name in spec.cadence.after if name not in after]
        if unknown:
            raise ValueError(
                f"{_where(spec, 'cadence.after')}: cadence.after names"
                f" {', '.join(map(repr, unknown))}, which this deployment does not declare."
                f" Fix: name declared syncs ({', '.join(sorted(after))})"
            )
    try:
        TopologicalSorter(after).prepare()
    except CycleError as error:
        ring = error.args[1]
        spec = next(spec for spec in specs if spec.name == ring[0])
        raise ValueError(
            f"{_where(spec, 'cadence.after')}: cadence.after makes syncs wait for each other"
            f" in a ring ({' after '.join(reversed(ring))}). Fix: remove one of these `after`"
            " entries"
        ) from None
    _check_identity_first(specs, after)


def _waits_for(name: str, after: Mapping[str, Sequence[str]]) -> set[str]:
    """Every sync ``name`` comes after, directly or through others (``after`` has no ring)."""
    found: set[str] = set()
    pending = list(after[name])
    while pending:
        earlier = pending.pop()
        if earlier not in found:
            found.add(earlier)
            pending.extend(after[earlier])
    return found


def _check_identity_first(specs: Sequence[SyncSpec], after: Mapping[str, Sequence[str]]) -> None:
    """In a workspace whose profile sync reconciles identities, every other sync that can
    create a person comes after it: an event or a relationship of an id Customer.io does not
    know yet creates an id-only profile, and the email-only profile the identity plan meant
    to adopt could then only be merged (docs/identity.md). Of two reconciling syncs, either
    may come first."""
    waits_for = {name: _waits_for(name, after) for name in after}
    for reconciling in (spec for spec in specs if spec.reconciles_identity):
        for spec in specs:
            if (
                spec is reconciling
                or spec.workspace.name != reconciling.workspace.name
                or not spec.creates_people
                or reconciling.name in waits_for[spec.name]
                # Two reconciling syncs need an order, either one: the later one's plan
                # finds the earlier one's profiles by id.
                or (spec.reconciles_identity and spec.name in waits_for[reconciling.name])
            ):
                continue
            raise ValueError(
                f"{_where(spec, 'cadence.after')}: sync {spec.name!r} can create people in"
                f" workspace {spec.workspace.name!r}, whose sync {reconciling.name!r} reconciles"
                " identities before its first identify; sent first, it would create id-only"
                " profiles beside the email-only ones that sync adopts. Fix: add"
                f" {reconciling.name!r} to `cadence.after`"
            )


def check_external_sources(specs: Sequence[SyncSpec], defs: dg.Definitions) -> None:
    """Each external source is declared once, by one spec, and built by nothing else.

    Dagster accepts an external asset spec beside an asset that materialises the same key
    and keeps the latter without a word, so a spec saying `external: true` over a model of
    the deployment would silently mean something else than it says; two specs declaring one
    asset would each add a differing declaration. Both are refused here, by name.
    """
    declared: dict[dg.AssetKey, SyncSpec] = {}
    for spec in specs:
        if not spec.source.external:
            continue
        key = dg.AssetKey.from_user_string(spec.source.asset)
        first = declared.setdefault(key, spec)
        if first is not spec:
            raise ValueError(
                f"{_where(spec)}: source.external: syncs {first.name!r} and {spec.name!r} both"
                f" declare the external asset {spec.source.asset!r}. Fix: keep `external: true`"
                f" in one of them; the other names the same `asset` without it"
            )
    others: dict[dg.AssetKey, set[str]] = {key: set() for key in declared}
    for definition in defs.assets or ():
        if isinstance(definition, dg.AssetsDefinition):
            keys = set(definition.keys)
            name = (
                f"the asset definition {definition.node_def.name!r}"
                if definition.is_executable
                else "an external asset definition"
            )
        elif isinstance(definition, dg.AssetSpec):
            if definition.metadata.get(DECLARED_BY) is not None:
                continue  # a spec's own declaration
            keys, name = {definition.key}, "an asset spec"
        elif isinstance(definition, dg.SourceAsset):
            keys, name = {definition.key}, "a source asset"
        else:
            continue
        for key in keys & set(declared):
            others[key].add(name)
    for key, names in others.items():
        if names:
            spec = declared[key]
            raise ValueError(
                f"{_where(spec)}: source.external: asset {spec.source.asset!r} is also defined"
                f" elsewhere in this deployment, by {', '.join(sorted(names))}. Fix: remove"
                " `external: true`, so the sync reads that asset, or name another asset"
            )


def _where(spec: SyncSpec, field: str = "source.external") -> str:
    line = spec.lines.get(field)
    return f"{spec.path or spec.name}:{line}" if line else str(spec.path or spec.name)
