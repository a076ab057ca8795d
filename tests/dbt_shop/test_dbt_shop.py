"""A dbt project as the source of syncs: real dbt (dbt-duckdb), real DuckDB, real Dagster.

The dbt shop's models (``tests/dbt_shop/``) have names, an id column, a time zone and event
names unlike the example shop. These tests build them with dagster-dbt into the DuckDB file
the project's warehouse resource reads, and show that the sync specs in ``syncs/`` fit the
built relations, that dbt tests become blocking asset checks, and that a failing dbt test or
a failing model keeps the asset downstream of it (standing in for a sync's plan) from running.

dbt is slow to start (a parse is seconds), so each scenario's run happens once per module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import dagster as dg
import pytest
import yaml
from dagster_dbt import DbtProject
from sqlglot import exp

from resources.warehouse import DuckDBWarehouse, WarehouseResource
from retention_assets.bindings import warehouse_from_settings
from retention_assets.settings import DUCKDB_PATH, load_settings
from retention_assets.specs import SyncSpec, check_spec_against_relation, parse_spec
from retention_assets.specs.relation import relation_columns
from tests.dbt_shop.project import (
    PROJECT_DIR,
    SPECS,
    SYNCS_DIR,
    dbt_resource,
    load_raw,
    prepare_project,
    resolve_source_asset,
    shop_dbt_assets,
)
from tests.dbt_shop.rows import ACTIONS, ADA, BOB, CYD, USERS

DIM_USERS: Final = dg.AssetKey(["analytics", "dim_users"])
FCT_USER_ACTIONS: Final = dg.AssetKey(["analytics", "fct_user_actions"])


@dataclass(frozen=True)
class ShopRun:
    """One materialization of the dbt shop and the stand-in plans, and its warehouse."""

    result: dg.ExecuteInProcessResult
    warehouse: WarehouseResource

    def materialized(self) -> set[dg.AssetKey]:
        return {
            event.asset_key
            for event in self.result.get_asset_materialization_events()
            if event.asset_key is not None
        }

    def check_outcomes(self) -> dict[str, bool]:
        return {
            evaluation.check_name: evaluation.passed
            for evaluation in self.result.get_asset_check_evaluations()
        }


def plan_key(spec: SyncSpec) -> dg.AssetKey:
    return dg.AssetKey(["cio_sync", f"{spec.name}_plan"])


def stand_in_plan(spec: SyncSpec, upstream: set[dg.AssetKey]) -> dg.AssetsDefinition:
    """An asset downstream of the spec's source, standing in for the sync's plan.

    It reads its relation as a plan would, so it shows the dbt model's rows are there.
    """
    schema, name = spec.source.relation.split(".")
    count_sql = exp.select(exp.Count(this=exp.Star())).from_(
        exp.table_(name, db=schema, quoted=True)
    )

    @dg.asset(key=plan_key(spec), deps=[resolve_source_asset(spec, upstream)])
    def plan(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.session() as session:
            [(rows,)] = session.fetch_all(count_sql.sql("duckdb"))
        return dg.MaterializeResult(metadata={"rows": rows})

    return plan


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtProject]:
    folder = tmp_path_factory.mktemp("dbt_shop")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DUCKDB_PATH, str(folder / "parse.duckdb"))
        yield prepare_project(folder / "target")


@pytest.fixture(scope="module")
def shop_assets(project: DbtProject) -> dg.AssetsDefinition:
    return shop_dbt_assets(project)


@pytest.fixture(scope="module")
def run_shop(
    project: DbtProject,
    shop_assets: dg.AssetsDefinition,
    tmp_path_factory: pytest.TempPathFactory,
) -> Any:
    """Runs dbt build and the stand-in plans over raw tables holding the given rows."""

    def run(users: list[dict[str, Any]], actions: list[dict[str, Any]]) -> ShopRun:
        with pytest.MonkeyPatch.context() as patch:
            # dbt's profile and the warehouse resource read the same variable.
            patch.setenv(DUCKDB_PATH, str(tmp_path_factory.mktemp("shop") / "shop.duckdb"))
            warehouse = warehouse_from_settings(load_settings())
            with warehouse.session() as session:
                load_raw(session, users, actions)
            plans = [stand_in_plan(spec, set(shop_assets.keys)) for spec in SPECS.values()]
            result = dg.materialize(
                [shop_assets, *plans],
                resources={"dbt": dbt_resource(project), "warehouse": warehouse},
                raise_on_error=False,
            )
        return ShopRun(result, warehouse)

    return run


@pytest.fixture(scope="module")
def good_run(run_shop: Any) -> ShopRun:
    return run_shop(USERS, ACTIONS)


@pytest.fixture(scope="module")
def duplicate_user_run(run_shop: Any) -> ShopRun:
    # The loader landed Ada twice: dim_users builds, its unique test fails.
    return run_shop([*USERS, USERS[0]], ACTIONS)


@pytest.fixture(scope="module")
def broken_model_run(run_shop: Any) -> ShopRun:
    # A time the model cannot cast: fct_user_actions fails with a conversion error.
    broken = {**ACTIONS[0], "id": "a-0099", "happened_local": "yesterday-ish"}
    return run_shop(USERS, [*ACTIONS, broken])


def test_the_profile_reads_the_warehouse_path_variable() -> None:
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    path = profile["dbt_shop"]["outputs"]["dev"]["path"]
    assert path == f"{{{{ env_var('{DUCKDB_PATH}') }}}}"


def test_the_models_build_and_the_plans_run(good_run: ShopRun) -> None:
    assert good_run.result.success
    assert {DIM_USERS, FCT_USER_ACTIONS} <= good_run.materialized()
    assert _plan_rows(good_run) == {
        plan_key(SPECS["app_users"]): 3,
        plan_key(SPECS["app_actions"]): 3,
    }


def test_every_dbt_test_runs_as_an_asset_check(good_run: ShopRun) -> None:
    outcomes = good_run.check_outcomes()
    assert len(outcomes) == 11
    # Cyd never paid: the warn-level test fails, and being a warning it blocks nothing.
    assert {name for name, passed in outcomes.items() if not passed} == {
        "not_null_dim_users_ltv_usd"
    }
    [warned] = [
        evaluation
        for evaluation in good_run.result.get_asset_check_evaluations()
        if not evaluation.passed
    ]
    assert warned.severity == dg.AssetCheckSeverity.WARN


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_specs_fit_the_built_relations(good_run: ShopRun, name: str) -> None:
    spec = SPECS[name]
    with good_run.warehouse.session() as session:
        columns = relation_columns(session, spec.source.relation)
    assert check_spec_against_relation(spec, columns) == []


def test_a_spec_that_misnames_a_model_column_does_not_fit(good_run: ShopRun) -> None:
    path = SYNCS_DIR / "app_users.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["attributes"][1]["column"] = "ltv"
    spec = parse_spec(data, path)
    with good_run.warehouse.session() as session:
        columns = relation_columns(session, spec.source.relation)
    [error] = check_spec_against_relation(spec, columns)
    assert error.field == "attributes[1].column"
    assert "ltv_usd" in error.fix


def test_the_model_keeps_berlin_wall_clock_times_for_the_spec_to_convert(
    good_run: ShopRun,
) -> None:
    with good_run.warehouse.session() as session:
        users = dict(
            session.fetch_all("SELECT user_uuid, signed_up_local FROM analytics.dim_users")
        )
        emails = {
            row[0] for row in session.fetch_all("SELECT email_address FROM analytics.dim_users")
        }
    # Naive: the model does no time zone arithmetic; the spec's `time_zone` does it.
    assert users == {
        ADA: dt.datetime(2026, 1, 15, 9, 30),
        BOB: dt.datetime(2026, 7, 1, 0, 15),
        CYD: dt.datetime(2026, 11, 30, 18, 0),
    }
    (signed_up,) = [m for m in SPECS["app_users"].attributes if m.column == "signed_up_local"]
    assert signed_up.time_zone == "Europe/Berlin"
    assert "ada@example.com" in emails


def test_dbt_tests_are_blocking_asset_checks_on_the_models(
    shop_assets: dg.AssetsDefinition,
) -> None:
    checks = {(spec.asset_key, spec.name): spec.blocking for spec in shop_assets.check_specs}
    assert checks == {
        (DIM_USERS, "unique_dim_users_user_uuid"): True,
        (DIM_USERS, "not_null_dim_users_user_uuid"): True,
        (DIM_USERS, "not_null_dim_users_email_address"): True,
        (DIM_USERS, "not_null_dim_users_ltv_usd"): False,
        (DIM_USERS, "accepted_values_dim_users_plan_tier__free__pro__team"): True,
        (FCT_USER_ACTIONS, "unique_fct_user_actions_action_uuid"): True,
        (FCT_USER_ACTIONS, "not_null_fct_user_actions_action_uuid"): True,
        (FCT_USER_ACTIONS, "not_null_fct_user_actions_user_uuid"): True,
        (FCT_USER_ACTIONS, "not_null_fct_user_actions_happened_at_local"): True,
        (
            FCT_USER_ACTIONS,
            "relationships_fct_user_actions_user_uuid__user_uuid__ref_dim_users_",
        ): True,
        (
            FCT_USER_ACTIONS,
            "accepted_values_fct_user_actions_action__Checkout_Completed__Plan_Upgraded",
        ): True,
    }


def test_a_failing_dbt_test_blocks_the_downstream_plans(duplicate_user_run: ShopRun) -> None:
    outcomes = duplicate_user_run.check_outcomes()
    assert {name for name, passed in outcomes.items() if not passed} == {
        "unique_dim_users_user_uuid",
        "not_null_dim_users_ltv_usd",
    }
    assert not duplicate_user_run.result.success
    materialized = duplicate_user_run.materialized()
    assert {DIM_USERS, FCT_USER_ACTIONS} <= materialized
    # `dbt build` exits non-zero, so the one dbt step fails and no asset downstream of any of
    # its models runs in this run, not only the plan of the model whose test failed.
    assert plan_key(SPECS["app_users"]) not in materialized
    assert plan_key(SPECS["app_actions"]) not in materialized


def test_a_failing_model_blocks_the_downstream_plans(broken_model_run: ShopRun) -> None:
    assert not broken_model_run.result.success
    materialized = broken_model_run.materialized()
    assert FCT_USER_ACTIONS not in materialized
    # The other model built and its blocking tests passed, yet its plan waits too (the
    # step failed).
    assert DIM_USERS in materialized
    failed = {name for name, passed in broken_model_run.check_outcomes().items() if not passed}
    assert failed == {"not_null_dim_users_ltv_usd"}
    assert plan_key(SPECS["app_actions"]) not in materialized
    assert plan_key(SPECS["app_users"]) not in materialized


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_spec_source_resolves_to_its_dbt_asset(
    shop_assets: dg.AssetsDefinition, name: str
) -> None:
    spec = SPECS[name]
    key = resolve_source_asset(spec, set(shop_assets.keys))
    assert key in shop_assets.keys
    assert key == dg.AssetKey(spec.source.relation.split("."))


def test_a_spec_naming_no_asset_says_which_was_meant(shop_assets: dg.AssetsDefinition) -> None:
    path = SYNCS_DIR / "app_users.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["source"]["asset"] = "dim_users"
    spec = parse_spec(data, path)
    with pytest.raises(ValueError, match="did you mean 'analytics/dim_users'"):
        resolve_source_asset(spec, set(shop_assets.keys))


def test_nothing_is_written_into_the_project(good_run: ShopRun) -> None:
    leftovers = {"target", "logs", "dbt_packages", "package-lock.yml"}
    assert not leftovers & {path.name for path in PROJECT_DIR.iterdir()}


def _plan_rows(run: ShopRun) -> dict[dg.AssetKey, int]:
    rows: dict[dg.AssetKey, int] = {}
    for event in run.result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key.path[0] == "cio_sync":
            rows[materialization.asset_key] = materialization.metadata["rows"].value
    return rows


def test_raw_tables_models_and_plans_form_one_lineage_graph(
    project: DbtProject, shop_assets: dg.AssetsDefinition, tmp_path: Path
) -> None:
    plans = [stand_in_plan(spec, set(shop_assets.keys)) for spec in SPECS.values()]
    warehouse = DuckDBWarehouse(database=str(tmp_path / "shop.duckdb"))
    definitions = dg.Definitions(
        assets=[shop_assets, *plans],
        resources={"dbt": dbt_resource(project), "warehouse": warehouse},
    )
    graph = definitions.resolve_asset_graph()
    assert graph.get(plan_key(SPECS["app_users"])).parent_keys == {DIM_USERS}
    assert graph.get(plan_key(SPECS["app_actions"])).parent_keys == {FCT_USER_ACTIONS}
    assert graph.get(DIM_USERS).parent_keys == {dg.AssetKey(["raw_app", "users"])}
    assert graph.get(FCT_USER_ACTIONS).parent_keys == {dg.AssetKey(["raw_app", "actions"])}
