"""Checks on each declared sync: the volume guard before sending; rejected rows, delivery and
the test cohort (:mod:`asset_checks.cohort_check`) after.

The volume guard is blocking: a plan far larger than usual (a broken join, a mass null, a
changed definition) stops the send of that partition until a person looks, or re-runs with
the allow tag. Rejected rows and the cohort's differences are warnings: the sync itself worked
(a spec may make the cohort's an error). A sync that reconciles identities also has the
blocking ``merge_guard`` on its identity plan: merges are irreversible (docs/identity.md).
"""

import datetime as dt
from typing import Any

import dagster as dg
import pyarrow as pa

from asset_checks import gates
from asset_checks.cohort_check import cohort_check
from asset_checks.factory import build_asset_check
from resources.customerio import Reason
from resources.warehouse import WarehouseResource, WarehouseSession
from retention_assets.partitions import partition_days
from retention_assets.sync import identity, imports, ledger, plans
from retention_assets.sync.policies import ALLOW_VOLUME_TAG, VolumeGuard
from retention_assets.sync.stream import SyncStream

VOLUME_GUARD_CHECK = "volume_guard"
REJECTED_ROWS_CHECK = "no_open_rejections"
DELIVERY_CHECK = "delivery_complete"
MERGE_GUARD_CHECK = "merge_guard"

SAMPLE_ROWS = 10


def _run_days(context: dg.AssetCheckExecutionContext) -> list[dt.date] | None:
    """The partition days of the run, or None when the check runs on its own from the UI."""
    if context.has_partition_key or context.has_partition_key_range:
        return partition_days(context)
    return None


def _allowed(context: dg.AssetCheckExecutionContext, plan: dg.AssetKey) -> bool:
    """Whether the run allows a plan over the guard: by run tag, or by the plan's run config."""
    if context.run.tags.get(ALLOW_VOLUME_TAG, "").lower() in {"1", "true", "yes"}:
        return True
    run_config: dict[str, Any] = dict(context.run.run_config or {})
    ops: dict[str, Any] = run_config.get("ops", {})
    config = ops.get(plan.to_python_identifier(), {}).get("config", {})
    return bool(config.get("allow_volume", False))


def _how_to_allow(plan: dg.AssetKey) -> str:
    op = plan.to_python_identifier()
    return (
        f"review the plan, then re-run it with run tag {ALLOW_VOLUME_TAG}=true, or from the"
        f' CLI with --config-json \'{{"ops": {{"{op}": {{"config":'
        ' {"allow_volume": true}}}}\''
    )


def _guard_result(
    context: dg.AssetCheckExecutionContext,
    session: WarehouseSession,
    stream: SyncStream,
    *,
    window: tuple[dt.date, dt.date],
    measured: dict[str, tuple[int, int]],
    summary: dict[str, int],
) -> dg.AssetCheckResult:
    """The guard's verdict, persisted on the import it concerns so a resume needs no override.

    Passes without judging the size: the resume of an approved import, and the initial import
    into an empty ledger. Otherwise a plan over a limit fails, unless the run allows it, which
    approves it as an import. A refused plan is emptied, so no later send can read it.
    """
    start, end = window
    now = dt.datetime.now(dt.UTC)
    over = {name: pair for name, pair in measured.items() if pair[0] > pair[1]}
    metadata: dict[str, Any] = {**summary}
    metadata.update({f"{name}_limit": limit for name, (_, limit) in measured.items()})
    current = imports.open_import(session, stream, start, end)
    if current is not None:
        metadata["import"] = current.label
    if current is not None and current.approval is not None and current.covers(start, end):
        metadata["verdict"] = f"part of the {current.label} ({current.approval}): passes"
        return dg.AssetCheckResult(passed=True, metadata=metadata)
    if (
        current is not None
        and current.kind == imports.ImportKind.INITIAL
        and current.approval is None
    ):
        approval = "initial import into an empty ledger"
        imports.approve(session, stream, current, approval, now)
        metadata["verdict"] = f"{approval}: passes"
        return dg.AssetCheckResult(passed=True, metadata=metadata)
    described = ", ".join(f"{name} {value:,} > {limit:,}" for name, (value, limit) in over.items())
    if not over:
        if current is not None and current.approval is None:
            imports.approve(session, stream, current, "within the volume guard", now)
        return dg.AssetCheckResult(passed=True, metadata=metadata)
    plan = stream.plan_key
    if _allowed(context, plan):
        approval = f"allowed by run {context.run.run_id}: {described}"
        if current is None:
            imports.begin_import(
                session,
                import_id=context.run.run_id,
                stream=stream,
                start=start,
                end=end,
                kind=imports.ImportKind.ALLOWED,
                backfill_policy=None,
                now=now,
                approval=approval,
            )
        else:
            imports.approve(session, stream, current, approval, now)
        metadata["verdict"] = f"over the guard but allowed: {described}"
        return dg.AssetCheckResult(
            passed=True, severity=dg.AssetCheckSeverity.WARN, metadata=metadata
        )
    plans.discard_plan(session, stream, start, end)
    metadata["verdict"] = (
        f"abnormal plan: {described}. The plan was emptied, nothing will be sent. To send it,"
        f" {_how_to_allow(plan)}."
    )
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata
    )


def _profile_measures(guard: VolumeGuard, summary: dict[str, int]) -> dict[str, tuple[int, int]]:
    profiles, attributes = summary["synced_profiles"], summary["synced_attributes"]
    return {
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
        # Profiles cleared, deleted or suppressed because they left the source (or erased).
        "planned_removals": (
            summary["planned_removals"],
            guard.limit(guard.removals_share, guard.removals_floor, profiles),
        ),
    }


def _profile_guard(stream: SyncStream) -> dg.AssetChecksDefinition:
    guard = stream.spec.guards.volume.to_policy()

    @dg.asset_check(
        asset=stream.plan_key,
        name=VOLUME_GUARD_CHECK,
        blocking=True,
        description=(
            "Stops the profile send when the plan creates, changes, clears or removes far more"
            " than usual compared with what Customer.io already holds (limits: the spec's"
            " `guards.volume`; removals are profiles that left the source under `on_removed`,"
            " or an erasure stream's suppresses). The first sync passes (initial import; never"
            " for an erasure stream). To let a reviewed large"
            f" change through, re-run with tag {ALLOW_VOLUME_TAG}=true."
        ),
    )
    def volume_guard(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        days = _run_days(context)
        with warehouse.session() as session:
            as_of = days[-1] if days else plans.latest_customer_state_plan(session, stream)
            if as_of is None:
                return dg.AssetCheckResult(passed=True, metadata={"verdict": "no plan yet"})
            summary = plans.customer_state_plan_summary(session, stream, as_of)
            return _guard_result(
                context,
                session,
                stream,
                window=(as_of, as_of + dt.timedelta(days=1)),
                measured=_profile_measures(guard, summary),
                summary=summary,
            )

    return volume_guard


def _events_guard(stream: SyncStream) -> dg.AssetChecksDefinition:
    guard = stream.spec.guards.volume.to_policy()

    @dg.asset_check(
        asset=stream.plan_key,
        name=VOLUME_GUARD_CHECK,
        blocking=True,
        description=(
            "Stops the event send when the plan holds far more events than usual compared"
            " with what Customer.io already holds (limits: the spec's `guards.volume`). The"
            " first sync passes (initial import, protected by the backfill policy). Re-run"
            f" with tag {ALLOW_VOLUME_TAG}=true to allow a reviewed one."
        ),
    )
    def volume_guard(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        # Run alone from the UI, the check judges every planned event still in the plan table.
        days = _run_days(context) or [dt.date.min, dt.date.max - dt.timedelta(days=1)]
        start, end = days[0], days[-1] + dt.timedelta(days=1)
        with warehouse.session() as session:
            summary = plans.events_plan_summary(session, stream, start, end)
            measured = {
                "planned_events": (
                    summary["planned_events"],
                    guard.limit(guard.events_share, guard.events_floor, summary["synced_events"]),
                )
            }
            return _guard_result(
                context, session, stream, window=(start, end), measured=measured, summary=summary
            )

    return volume_guard


def _membership_measures(guard: VolumeGuard, summary: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Adds are judged like new profiles, removals by the shared removals limit; both are
    relative to the pairs this pipeline added (the ledger's present pairs)."""
    pairs, attributes = summary["synced_pairs"], summary["synced_attributes"]
    return {
        "adds": (
            summary["adds"],
            guard.limit(guard.new_profiles_share, guard.new_profiles_floor, pairs),
        ),
        "removals": (
            summary["removals"],
            guard.limit(guard.removals_share, guard.removals_floor, pairs),
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


def _membership_guard(stream: SyncStream) -> dg.AssetChecksDefinition:
    guard = stream.spec.guards.volume.to_policy()

    @dg.asset_check(
        asset=stream.plan_key,
        name=VOLUME_GUARD_CHECK,
        blocking=True,
        description=(
            "Stops the membership send when the plan removes or adds far more pairs (or"
            " changes far more relationship attributes) than usual, compared with what this"
            " sync added before (limits: the spec's `guards.volume`, `removals_*` for removals,"
            " `new_profiles_*` for adds). A relation that came out empty would otherwise remove"
            " every member. The first sync passes (initial import). To let a reviewed large"
            f" change through, re-run with tag {ALLOW_VOLUME_TAG}=true."
        ),
    )
    def volume_guard(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        days = _run_days(context)
        with warehouse.session() as session:
            as_of = days[-1] if days else plans.latest_membership_plan(session, stream)
            if as_of is None:
                return dg.AssetCheckResult(passed=True, metadata={"verdict": "no plan yet"})
            summary = plans.membership_plan_summary(session, stream, as_of)
            return _guard_result(
                context,
                session,
                stream,
                window=(as_of, as_of + dt.timedelta(days=1)),
                measured=_membership_measures(guard, summary),
                summary=summary,
            )

    return volume_guard


def _what(stream: SyncStream) -> str:
    if stream.kind == "membership":
        return "members" if stream.membership == "segment" else "relationships"
    return "profiles" if stream.kind == "profiles" else "events"


def _rejections(stream: SyncStream) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=stream.send_key,
        name=REJECTED_ROWS_CHECK,
        description=(
            f"Warns while Customer.io has rejected {_what(stream)} that no later run delivered."
            f" Each is in {stream.schema}.rejected_rows with its reason and is retried"
            " automatically on the next run."
        ),
    )
    def no_open_rejections(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.session() as session:
            ledger.ensure_sync_tables(session, stream)
            rows = session.fetch_arrow(stream.sql("open_rejections"), {"stream": stream.name})
        if rows.num_rows == 0:
            return dg.AssetCheckResult(passed=True, metadata={"open_rejections": 0})
        sample = rows.slice(0, SAMPLE_ROWS).select(["row_key", "reason", "field", "attempts"])
        reasons = rows.group_by("reason").aggregate([("row_key", "count")]).to_pylist()
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "open_rejections": rows.num_rows,
                "by_reason": {r["reason"]: r["row_key_count"] for r in reasons},
                "sample": _table(sample),
            },
        )

    return no_open_rejections


def _table(rows: pa.Table) -> dg.TableMetadataValue:
    """A sample as a table the Dagster UI renders with its column names."""
    return dg.MetadataValue.table(
        records=[dg.TableRecord(row) for row in rows.to_pylist()],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn(name, str(rows.schema.field(name).type))
                for name in rows.column_names
            ]
        ),
    )


def _delivery(stream: SyncStream) -> dg.AssetChecksDefinition:
    what = _what(stream)

    @dg.asset_check(
        asset=stream.send_key,
        name=DELIVERY_CHECK,
        description=(
            f"Fails (ERROR, alerting) while {what} stay undelivered because Customer.io could"
            " not be reached within the send's retry budget. Nothing is lost: they are queued"
            " for the next run, which this check then sees deliver them."
        ),
    )
    def delivery_complete(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.session() as session:
            ledger.ensure_sync_tables(session, stream)
            by_partition = session.fetch_all(
                stream.sql("undelivered_rows"),
                {
                    "stream": stream.name,
                    "retry_reason": Reason.RETRY_BUDGET_EXHAUSTED,
                    "ambiguous_reason": Reason.AMBIGUOUS_RESPONSE,
                },
            )
        undelivered = sum(int(count) for _partition, count in by_partition)
        metadata: dict[str, Any] = {"undelivered_rows": undelivered}
        if not undelivered:
            return dg.AssetCheckResult(passed=True, metadata=metadata)
        metadata["partitions"] = ", ".join(str(partition) for partition, _count in by_partition)
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=(
                f"{undelivered:,} rows were not delivered: Customer.io kept failing (429/5xx or"
                " timeouts) until the send's retry budget ran out. They are queued in"
                f" {stream.schema}.rejected_rows and the next run sends them; nothing is lost."
                " If this repeats, lower the request rate or concurrency of the workspace"
                " (`guards` in the spec) or check Customer.io's status, then re-run the send."
            ),
        )

    return delivery_complete


def _merge_guard(stream: SyncStream) -> dg.AssetChecksDefinition:
    limit = stream.spec.identity.max_merges

    @dg.asset_check(
        asset=stream.identity_plan_key,
        name=MERGE_GUARD_CHECK,
        blocking=True,
        description=(
            "Stops the identity send, and the profile sync after it, when the identity plan"
            f" holds more than {limit:,} merges (`identity.max_merges`). A merge folds an"
            " email-only profile into the customer's id profile and deletes it: it cannot be"
            " undone. When this fails, nothing was merged or identified: open the identity"
            " plan's `sample`, and if the merges are right re-run the sync with run tag"
            f" `{identity.ALLOW_MERGES_TAG}=true` (docs/identity.md)."
        ),
    )
    def merge_guard(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        days = _run_days(context)
        as_of = days[-1] if days else dt.datetime.now(dt.UTC).date()
        with warehouse.session() as session:
            ledger.ensure_sync_tables(session, stream)
            planned = int(
                session.fetch_all(stream.sql("merges_to_send_count"), {"as_of": as_of})[0][0]
            )
        refused = identity.merge_verdict(stream, planned, context.run.tags)
        allowed = identity.merges_allowed(context.run.tags)
        metadata: dict[str, Any] = {
            "planned_merges": planned,
            "max_merges": limit,
            "allowed_by_tag": allowed,
            "verdict": refused or "the merges may be sent",
        }
        return dg.AssetCheckResult(
            passed=refused is None,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=f"No merge was sent: {refused}." if refused else None,
        )

    return merge_guard


def stream_checks(stream: SyncStream) -> list[dg.AssetChecksDefinition]:
    """The checks of one sync: on its source (from the spec), then its volume guard, open
    rejections, delivery and (people's profiles and events) the test-cohort read-back.
    """
    on_source = [build_asset_check(check) for check in gates.source_checks(stream)]
    if stream.kind == "membership":
        return [*on_source, _membership_guard(stream), _rejections(stream), _delivery(stream)]
    guard = _profile_guard(stream) if stream.kind == "profiles" else _events_guard(stream)
    people = stream.entity == "person" and not stream.is_erasure
    cohort = [cohort_check(stream)] if people else []
    merges = [_merge_guard(stream)] if stream.reconciles else []
    return [*on_source, guard, _rejections(stream), _delivery(stream), *cohort, *merges]
