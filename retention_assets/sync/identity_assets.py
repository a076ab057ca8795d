"""The identity plan and identity send assets of a person profile sync (docs/identity.md).

They sit between the sync's source and its profile plan: the identity plan (a reviewable dry
run, like the sync plan) looks the emails of customers this sync never wrote up in
Customer.io and decides adopt, merge or conflict per customer; the blocking ``merge_guard``
check judges its merges; the identity send sends them. The profile plan depends on the
identity send, so every identify by id happens after the adopt and merge decisions. The logic
is :mod:`retention_assets.sync.identity`; this module only makes Dagster assets of it.
"""

import datetime as dt

import dagster as dg

from resources.warehouse import WarehouseResource
from retention_assets.privacy import shown_text
from retention_assets.settings import warehouse_kind
from retention_assets.sync import identity, ledger
from retention_assets.sync.assets import (
    OWNERS,
    about,
    as_of_day,
    customerio_of,
    mark_planned_day,
    partitioning,
)
from retention_assets.sync.send import sync_merges
from retention_assets.sync.stream import GROUP, SyncStream

SAMPLE_ROWS = 20


def _sample(rows: list[tuple[str, str, str, str]]) -> dg.MetadataValue:
    columns = ("outcome", "customer_id", "email", "other_profile")
    return dg.MetadataValue.table(
        records=[
            # Emails masked unless RETENTION_FULL_SAMPLES is on (retention_assets.privacy).
            dg.TableRecord(dict(zip(columns, [shown_text(value) for value in row], strict=True)))
            for row in rows
        ],
        schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in columns]),
    )


def identity_plan_asset(stream: SyncStream) -> dg.AssetsDefinition:
    """The identity plan: per new customer, what Customer.io holds for its email."""
    limit = stream.spec.identity.max_merges

    @dg.asset(
        key=stream.identity_plan_key,
        deps=list(stream.first_deps),
        group_name=GROUP,
        owners=OWNERS,
        kinds={warehouse_kind(), "customerio"},
        metadata={"dagster/table_name": f"{stream.schema}.identity_plan"},
        required_resource_keys={"warehouse", stream.resource_key},
        description=(
            "Identity plan: for the customers this sync never wrote, whether Customer.io"
            " already holds a profile with their email (forms, older integrations), looked up"
            " through the App API at 10 requests/s. Nothing is written to Customer.io here.\n\n"
            "For marketers: `new` customers get a new profile; `known` ones already have"
            " theirs; `adopt`: an email-only profile takes the customer's id at the first"
            " identify (no duplicate); `merge`: an id profile and an email-only profile both"
            " exist, and the email-only one is merged into the id profile by the identity"
            " send (irreversible: the blocking `merge_guard` check stops more than"
            f" {limit:,} unless the run is tagged `{identity.ALLOW_MERGES_TAG}=true`);"
            " `conflict`: the email belongs to a profile with another id, reported as a"
            f" rejected row (`{identity.CONFLICT_REASON}`) and held back from the profile"
            " sync. The `sample` table lists merges and conflicts first, emails masked.\n\n"
            f"For data engineers: lookups are cached in `{stream.schema}.identity_lookups`"
            f" for {stream.spec.identity.lookup_ttl_hours} h (a re-run looks nobody up again"
            f" in that time), the plan is `{stream.schema}.identity_plan`.\n\n" + about(stream)
        ),
        **partitioning(stream),
    )
    def identity_plan(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        warehouse: WarehouseResource = context.resources.warehouse
        as_of = as_of_day(stream, context)
        now = dt.datetime.now(dt.UTC)
        customerio = customerio_of(stream, context)
        with warehouse.session(for_sync=True) as session, customerio.app_client() as app:
            ledger.ensure_sync_tables(session, stream)
            ledger.ensure_source_view(session, stream)
            # Merges a crashed send delivered are kept before the plan is rebuilt.
            ledger.fold_identity_acks(session, stream)
            looked_up = identity.look_up(
                session, stream, app, as_of=as_of, now=now, log=context.log
            )
            counts = identity.plan_identity(session, stream, as_of)
            identity.record_conflicts(session, stream, as_of, run_id=context.run.run_id, now=now)
            sample = identity.plan_sample(session, stream, as_of, SAMPLE_ROWS)
        mark_planned_day(stream, context, as_of)
        context.log.info(f"identity plan of {stream.name} for {as_of}: {counts}")
        return dg.MaterializeResult(
            metadata={
                **{f"{outcome}_profiles": count for outcome, count in counts.items()},
                "planned_merges": counts["merge"],
                "max_merges": limit,
                "looked_up": looked_up,
                "as_of_date": as_of.isoformat(),
                "sample": _sample(sample),
            }
        )

    return identity_plan


def identity_send_asset(stream: SyncStream) -> dg.AssetsDefinition:
    """The identity send: the planned merges, each sent once."""

    @dg.asset(
        key=stream.identity_key,
        deps=[stream.identity_plan_key],
        group_name=GROUP,
        owners=OWNERS,
        kinds={"customerio"},
        metadata={"dagster/table_name": f"{stream.schema}.identity_merges"},
        required_resource_keys={"warehouse", stream.resource_key},
        description=(
            "Sends the identity plan's merges: a Track API v2 `merge` per customer, primary"
            " the customer's id profile, secondary the email-only profile (by `cio_id`), which"
            " Customer.io deletes after moving its attributes, recent events, segments and"
            " relationships to the primary. Irreversible, so it runs only after the blocking"
            f" `merge_guard` check passes (and refuses itself over `identity.max_merges`"
            f" without run tag `{identity.ALLOW_MERGES_TAG}=true`, when run alone).\n\n"
            f"For data engineers: acknowledgements are logged in `{stream.schema}"
            f".identity_merge_acks` and folded into `{stream.schema}.identity_merges`; a merge"
            " in that ledger is never sent again, a killed send resumes with the rest. The"
            " profile plan runs after this asset.\n\n" + about(stream)
        ),
        **partitioning(stream),
    )
    def identity_send(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        warehouse: WarehouseResource = context.resources.warehouse
        as_of = as_of_day(stream, context)
        customerio = customerio_of(stream, context)
        with warehouse.session(for_sync=True) as session:
            ledger.ensure_sync_tables(session, stream)
            ledger.fold_identity_acks(session, stream)
            planned = int(
                session.fetch_all(stream.sql("merges_to_send_count"), {"as_of": as_of})[0][0]
            )
            refused = identity.merge_verdict(stream, planned, context.run.tags)
            if refused:
                raise dg.Failure(f"{stream.name}: no merge was sent: {refused}.")
            with customerio.track_client() as client:
                report = sync_merges(
                    session,
                    stream,
                    client,
                    as_of=as_of,
                    run_id=context.run.run_id,
                    partition_key=as_of.isoformat(),
                    log=context.log,
                )
            held = identity.held_profiles(session, stream, as_of)
        mark_planned_day(stream, context, as_of)
        return dg.MaterializeResult(
            metadata={
                "planned_merges": report.planned,
                "merges_accepted": report.accepted,
                "merges_rejected": report.rejected,
                "requests": report.requests,
                "held_profiles": held,
                "as_of_date": as_of.isoformat(),
            }
        )

    return identity_send


def identity_assets(stream: SyncStream) -> list[dg.AssetsDefinition]:
    """The identity plan and send of a reconciling stream; none for any other."""
    if not stream.reconciles:
        return []
    return [identity_plan_asset(stream), identity_send_asset(stream)]
