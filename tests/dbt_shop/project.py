"""The dbt shop as Dagster assets: the dbt project of these tests, loaded with dagster-dbt.

The dbt project beside this module has models shaped unlike the example shop; its sync specs
in ``syncs/`` map them. This module parses the project into a folder the caller gives (tests
never write into the repository), loads its models as ``@dbt_assets`` with their dbt tests as
asset checks, and resolves a spec's ``source.asset`` to a dbt asset's key.

Each model's asset key is ``<schema>/<model>`` (``analytics/dim_users``), the relation's
own path, so a spec's ``source.asset`` and ``source.relation`` read alike.
"""

import difflib
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import dagster as dg
import pyarrow as pa
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from resources.warehouse import WarehouseSession
from retention_assets.specs import SyncSpec, load_spec

PROJECT_DIR: Final = Path(__file__).resolve().parent
SYNCS_DIR: Final = PROJECT_DIR / "syncs"
# The dbt shop's sync specs, by name.
SPECS: Final = {
    name: load_spec(SYNCS_DIR / f"{name}.yaml") for name in ("app_users", "app_actions")
}
RAW_TABLES_SQL: Final = (PROJECT_DIR / "raw_app.sql").read_text(encoding="utf-8")
DBT_EXECUTABLE: Final = Path(sys.executable).with_name("dbt")
PARTIAL_PARSE: Final = "partial_parse.msgpack"
# dbt resources that write a relation, and so become assets keyed by it.
_RELATION_TYPES: Final = frozenset({"model", "seed", "snapshot"})


class ShopTranslator(DagsterDbtTranslator):
    """dagster-dbt's translation, with relation-shaped keys and dbt tests as asset checks.

    A dbt test of severity ``error`` (dbt's default) becomes a blocking asset check, so its
    failure skips every downstream asset of the run.
    """

    def __init__(self) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] not in _RELATION_TYPES:
            return spec
        return spec.replace_attributes(key=dg.AssetKey([props["schema"], props["name"]]))


def prepare_project(target_dir: Path) -> DbtProject:
    """The dbt project, parsed into ``target_dir`` (its manifest, artifacts and logs).

    ``dbt parse`` reads the profile, so ``RETENTION_DUCKDB_PATH`` must be set.
    """
    project = DbtProject(project_dir=PROJECT_DIR, target_path=target_dir, profiles_dir=PROJECT_DIR)
    # What DbtProject.prepare does, with this environment's dbt (prepare_if_dev would parse
    # only under `dagster dev`, and the preparer runs the `dbt` found on PATH).
    dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


def shop_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """Every model of the project as one dbt multi-asset, built with ``dbt build``."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ShopTranslator(),
        name="dbt_shop",
    )
    def dbt_shop(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        # Each invocation's artifacts and logs in a folder of its own beside the manifest;
        # dagster-dbt's default would be a folder in the project directory.
        target = project.target_path / f"{context.run.run_id[:8]}-{uuid.uuid4().hex[:6]}"
        # With the parse's state, dbt re-parses only what changed since (dagster-dbt copies
        # it only from its default target folder).
        target.mkdir(parents=True)
        shutil.copy(project.target_path / PARTIAL_PARSE, target / PARTIAL_PARSE)
        yield from dbt.cli(["build"], context=context, target_path=target).stream()

    return dbt_shop


def dbt_resource(project: DbtProject) -> DbtCliResource:
    """The dbt CLI resource of the project; its profile reads ``RETENTION_DUCKDB_PATH``."""
    # The dbt of this interpreter's environment, which need not be on PATH.
    return DbtCliResource(project_dir=project, dbt_executable=str(DBT_EXECUTABLE))


def resolve_source_asset(spec: SyncSpec, keys: Iterable[dg.AssetKey]) -> dg.AssetKey:
    """The key among ``keys`` that the spec's ``source.asset`` names; raises if none does.

    ``source.asset`` is slash-separated, as Dagster's UI and CLI write a key.
    """
    key = dg.AssetKey.from_user_string(spec.source.asset)
    known = {k.to_user_string(): k for k in keys}
    if key.to_user_string() in known:
        return key
    close = difflib.get_close_matches(spec.source.asset, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"{spec.path or spec.name}: source.asset {spec.source.asset!r} is no asset of the"
        f" definitions{hint}"
    )


def load_raw(
    session: WarehouseSession, users: list[dict[str, Any]], actions: list[dict[str, Any]]
) -> None:
    """(Re)create the raw tables the dbt project reads and fill them, as the loader would."""
    session.execute(RAW_TABLES_SQL)
    session.insert_arrow("raw_app.users", pa.Table.from_pylist(users))
    session.insert_arrow("raw_app.actions", pa.Table.from_pylist(actions))
