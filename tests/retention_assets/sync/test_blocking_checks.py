"""A bad model row never reaches Customer.io: the real checks of its spec block the real sync."""

from __future__ import annotations

import dagster as dg

from asset_checks import build_asset_check, model_checks
from resources.warehouse import WarehouseResource
from retention_assets.partitions import DAILY_PARTITIONS, SINGLE_RUN_BACKFILL
from retention_assets.shop import shop_sync_assets, shop_sync_checks
from retention_assets.tables import CUSTOMER_STATE_TABLE
from tests.retention_assets.sync.harness import AS_OF, SyncHarness, state_row


def test_duplicate_customer_blocks_the_profile_sync(harness: SyncHarness) -> None:
    # The duplicate customer: two rows for c1 on one day, as a broken join would produce.

    @dg.asset(
        name="retention_customer_state",
        partitions_def=DAILY_PARTITIONS,
        backfill_policy=SINGLE_RUN_BACKFILL,
    )
    def broken_customer_state(warehouse: WarehouseResource) -> None:
        with warehouse.session() as session:
            session.execute(f"DELETE FROM {CUSTOMER_STATE_TABLE}")
        harness.put_state([state_row("c1")])
        with warehouse.session() as session:
            session.execute(
                f"INSERT INTO {CUSTOMER_STATE_TABLE} SELECT * FROM {CUSTOMER_STATE_TABLE}"
            )
        harness.put_state([state_row("c2")])

    state_checks = [
        build_asset_check(check)
        for check in model_checks()
        if check.asset.to_user_string() == "retention_customer_state"
    ]

    result = dg.materialize(
        [broken_customer_state, *state_checks, *shop_sync_assets(), *shop_sync_checks()],
        selection=[broken_customer_state.key, *(a.key for a in shop_sync_assets()[:2])],
        resources={"warehouse": harness.warehouse, "customerio": harness.customerio},
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=AS_OF.isoformat(),
        raise_on_error=False,
    )

    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert "customer_state__unique_id" in failed
    materialized = {
        e.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    }
    assert "cio_sync/customer_state_plan" not in materialized
    assert "cio_sync/customer_state" not in materialized
    assert harness.sandbox.people() == {}
