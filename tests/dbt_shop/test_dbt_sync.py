"""dbt -> Customer.io end to end: dbt build, then the dbt shop's two syncs into the sandbox.

Real dbt (dbt-duckdb), DuckDB, Dagster and the Customer.io sandbox over HTTP: the sync specs
in ``tests/dbt_shop/syncs/`` map the dbt models' own names onto Customer.io's, and the sandbox
must end up holding exactly the people and events the raw rows describe, times in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import dagster as dg
import pytest

from cio_sandbox.testing import SandboxHandle, running_sandbox
from resources.warehouse import WarehouseResource
from retention_assets.bindings import warehouse_from_settings
from retention_assets.settings import DUCKDB_PATH, load_settings
from retention_assets.sync.factory import sync_definitions
from retention_assets.sync.ledger import ensure_sync_tables
from retention_assets.sync.stream import SyncStream
from tests.dbt_shop.project import SPECS, dbt_resource, load_raw, prepare_project, shop_dbt_assets
from tests.dbt_shop.rows import ACTIONS, ADA, BOB, CYD, USERS

EXPECTED_PEOPLE: Final = {
    ADA: {
        "email": "ada@example.com",
        "lifetime_value": 123.45,
        "signed_up": 1768465800,  # 2026-01-15 09:30 Berlin (UTC+1)
        "plan": "pro",
        "newsletter": True,
        "seats": 1,
    },
    BOB: {
        "email": "bob@example.com",
        "lifetime_value": 0,
        "signed_up": 1782857700,  # 2026-07-01 00:15 Berlin (UTC+2)
        "plan": "team",
        "newsletter": False,
        "seats": 5,
    },
    CYD: {
        "email": "cyd@example.com",
        "signed_up": 1796058000,  # 2026-11-30 18:00 Berlin (UTC+1)
        "plan": "free",
        "newsletter": True,
        "seats": 1,
    },
}
# A property column that is null on a row is sent as null: the spec lists columns, not
# per-row presence.
EXPECTED_EVENTS: Final = [
    # 2026-03-29 01:30 Berlin, before the clocks go forward: UTC+1.
    ("Checkout Completed", ADA, 1774744200, {"order_total": 49.99, "plan": None}),
    # 2026-03-29 03:30 Berlin, after: UTC+2.
    ("Plan Upgraded", BOB, 1774747800, {"order_total": None, "plan": "team"}),
    ("Checkout Completed", ADA, 1785620700, {"order_total": 12.5, "plan": None}),
]

# The second day's raw rows: Bob moved to pro; Ada checked out again.
CHANGED_USERS: Final = [USERS[0], {**USERS[1], "plan": "pro"}, *USERS[2:]]
# 2026-11-01 10:00 Berlin: winter time again, UTC+1.
LATER_ACTION: Final = {**ACTIONS[2], "id": "a-0004", "happened_local": "2026-11-01 10:00:00"}
LATER_ACTION_AT: Final = 1793523600


@dataclass
class Deployment:
    """The dbt shop and its two syncs in one set of definitions, over one warehouse file."""

    definitions: dg.Definitions
    warehouse: WarehouseResource
    sandbox: SandboxHandle
    instance: dg.DagsterInstance

    def run(self) -> dg.ExecuteInProcessResult:
        """dbt build, then both syncs' plan and send with their checks: one run, one dbt step."""
        job = self.definitions.resolve_implicit_global_asset_job_def()
        return job.execute_in_process(instance=self.instance, raise_on_error=False)

    def load(self, users: list[dict[str, Any]], actions: list[dict[str, Any]]) -> None:
        with self.warehouse.session() as session:
            load_raw(session, users, actions)

    def track_writes(self) -> int:
        """Requests that write to the workspace (the Track API's PUT, POST and DELETE)."""
        return sum(
            1
            for request in self.sandbox.requests()
            if request["path"].startswith("/api/") and request["method"] != "GET"
        )

    def materialized(self, result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
        return {
            event.asset_key
            for event in result.get_asset_materialization_events()
            if event.asset_key is not None
        }


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("dbt_sync")
    with running_sandbox(app_rate_limit=0) as sandbox, pytest.MonkeyPatch.context() as patch:
        patch.setenv(DUCKDB_PATH, str(folder / "shop.duckdb"))
        for name, value in {
            "CUSTOMERIO_SITE_ID": sandbox.site_id,
            "CUSTOMERIO_API_KEY": sandbox.api_key,
            "CUSTOMERIO_APP_API_KEY": sandbox.app_api_key,
            "CUSTOMERIO_REGION": "us",
            "CUSTOMERIO_TRACK_URL": sandbox.url,
            "CUSTOMERIO_APP_URL": sandbox.url,
        }.items():
            patch.setenv(name, value)
        project = prepare_project(folder / "target")
        warehouse = warehouse_from_settings(load_settings())
        # The spec checks that gate a plan create its source view before the plan creates the
        # sync's schema; on a fresh warehouse the schema must exist first (engine gap, noted
        # for the engine's owner).
        with warehouse.session() as session:
            for spec in SPECS.values():
                ensure_sync_tables(session, SyncStream(spec))
        dbt = dg.Definitions(
            assets=[shop_dbt_assets(project)],
            resources={"dbt": dbt_resource(project), "warehouse": warehouse},
        )
        definitions = dg.Definitions.merge(
            dbt, *(sync_definitions(spec) for spec in SPECS.values())
        )
        with dg.DagsterInstance.ephemeral() as instance:
            yield Deployment(definitions, warehouse, sandbox, instance)


@pytest.fixture(scope="module")
def first_sync(deployment: Deployment) -> dg.ExecuteInProcessResult:
    deployment.load(USERS, ACTIONS)
    return deployment.run()


def test_the_first_sync_sends_exactly_the_dbt_models_rows(
    deployment: Deployment, first_sync: dg.ExecuteInProcessResult
) -> None:
    assert first_sync.success
    assert deployment.sandbox.people() == EXPECTED_PEOPLE
    events = [
        (event["name"], event["person_id"], event["timestamp"], event["data"])
        for event in deployment.sandbox.events()
    ]
    assert sorted(events, key=lambda event: event[2]) == EXPECTED_EVENTS


@pytest.fixture(scope="module")
def writes_after_first_sync(deployment: Deployment, first_sync: dg.ExecuteInProcessResult) -> int:
    return deployment.track_writes()


@pytest.fixture(scope="module")
def rerun(deployment: Deployment, writes_after_first_sync: int) -> dg.ExecuteInProcessResult:
    return deployment.run()


def test_the_first_sync_writes_to_customerio(writes_after_first_sync: int) -> None:
    assert writes_after_first_sync > 0


def test_a_rerun_over_unchanged_models_sends_nothing(
    deployment: Deployment, rerun: dg.ExecuteInProcessResult, writes_after_first_sync: int
) -> None:
    assert rerun.success
    # dbt rebuilt the models and both syncs planned them again ...
    assert {stream_plan(name) for name in SPECS} <= deployment.materialized(rerun)
    # ... and found nothing to send.
    assert deployment.track_writes() == writes_after_first_sync
    assert deployment.sandbox.people() == EXPECTED_PEOPLE
    assert len(deployment.sandbox.events()) == len(EXPECTED_EVENTS)


@pytest.fixture(scope="module")
def duplicate_user_sync(
    deployment: Deployment, rerun: dg.ExecuteInProcessResult
) -> tuple[dg.ExecuteInProcessResult, int]:
    writes_before = deployment.track_writes()
    # Bob moved to pro and Ada acted again, but the loader also landed Ada twice.
    deployment.load([*CHANGED_USERS, USERS[0]], [*ACTIONS, LATER_ACTION])
    return deployment.run(), writes_before


def test_a_failing_dbt_test_blocks_the_sync(
    deployment: Deployment, duplicate_user_sync: tuple[dg.ExecuteInProcessResult, int]
) -> None:
    result, writes_before = duplicate_user_sync
    assert not result.success
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert "unique_dim_users_user_uuid" in failed
    materialized = deployment.materialized(result)
    for name in SPECS:
        assert stream_plan(name) not in materialized
        assert stream_send(name) not in materialized
    # Neither Bob's new plan nor Ada's new action reached Customer.io.
    assert deployment.track_writes() == writes_before
    assert deployment.sandbox.people() == EXPECTED_PEOPLE
    assert len(deployment.sandbox.events()) == len(EXPECTED_EVENTS)


def stream_plan(name: str) -> dg.AssetKey:
    return SyncStream(SPECS[name]).plan_key


def stream_send(name: str) -> dg.AssetKey:
    return SyncStream(SPECS[name]).send_key


@pytest.fixture(scope="module")
def repaired_sync(
    deployment: Deployment, duplicate_user_sync: tuple[dg.ExecuteInProcessResult, int]
) -> dg.ExecuteInProcessResult:
    deployment.load(CHANGED_USERS, [*ACTIONS, LATER_ACTION])
    return deployment.run()


def test_once_repaired_the_sync_sends_what_was_held_back(
    deployment: Deployment, repaired_sync: dg.ExecuteInProcessResult
) -> None:
    assert repaired_sync.success
    assert deployment.sandbox.people() == {
        **EXPECTED_PEOPLE,
        BOB: {**EXPECTED_PEOPLE[BOB], "plan": "pro"},
    }
    events = deployment.sandbox.events()
    assert len(events) == len(EXPECTED_EVENTS) + 1
    [new] = [event for event in events if event["timestamp"] == LATER_ACTION_AT]
    assert (new["name"], new["person_id"], new["data"]) == (
        "Checkout Completed",
        ADA,
        {"order_total": 12.5, "plan": None},
    )


@pytest.fixture(scope="module")
def broken_model_sync(
    deployment: Deployment, repaired_sync: dg.ExecuteInProcessResult
) -> tuple[dg.ExecuteInProcessResult, int]:
    writes_before = deployment.track_writes()
    # Cyd upgraded, and the loader landed an action whose time the model cannot cast.
    cyd = {**USERS[2], "plan": "pro"}
    broken = {**ACTIONS[0], "id": "a-0099", "happened_local": "yesterday-ish"}
    deployment.load([*CHANGED_USERS[:2], cyd], [*ACTIONS, LATER_ACTION, broken])
    return deployment.run(), writes_before


def test_a_failing_model_blocks_the_sync(
    deployment: Deployment, broken_model_sync: tuple[dg.ExecuteInProcessResult, int]
) -> None:
    result, writes_before = broken_model_sync
    assert not result.success
    materialized = deployment.materialized(result)
    assert dg.AssetKey(["analytics", "fct_user_actions"]) not in materialized
    for name in SPECS:
        assert stream_send(name) not in materialized
    # Cyd's upgrade waits too: the dbt step failed, so no sync of this run sends.
    assert deployment.track_writes() == writes_before
    assert deployment.sandbox.people()[CYD]["plan"] == "free"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_sync_job_builds_its_own_dbt_model_first(deployment: Deployment, name: str) -> None:
    stream = SyncStream(SPECS[name])
    job = deployment.definitions.resolve_job_def(f"retention_{name}_sync_job")
    selected = job.asset_layer.selected_asset_keys
    assert {stream.upstream, stream.plan_key, stream.send_key} <= selected
    others = {SyncStream(spec).upstream for spec in SPECS.values()} - {stream.upstream}
    assert not others & selected
