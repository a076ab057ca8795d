"""The project's single Dagster entry point (``dagster dev``, ``dagster asset materialize``, dg).

Two parts: the core written in Python (raw sources, models and their checks, the whole-pipeline
job, alert sensors, the warehouse and alert resources, the executor), and the defs folder
(``retention_assets/defs``), where each sync is a ``CustomerIOSync`` ``defs.yaml``. The syncs
are checked together: before anything is built, two that name one workspace must configure it
alike, no two share a ledger, and ``cadence.after`` names declared syncs without a ring; once
built, an asset a sync declares external (its relation is built outside the deployment) must be
defined by nothing else.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

import retention_assets.defs
from asset_checks import MODEL_CHECKS, RAW_CHECKS
from retention_assets.bindings import resources_from_env
from retention_assets.components import CustomerIOSync
from retention_assets.jobs import JOBS
from retention_assets.models import MODEL_ASSETS
from retention_assets.sensors import ALERT_RESOURCES, ALERT_SENSORS
from retention_assets.settings import PROJECT_ROOT, Settings, load_settings
from retention_assets.source_links import with_source_links
from retention_assets.sources.assets import RAW_SOURCE_ASSETS
from retention_assets.specs.load import defs_yaml_syntax_error
from retention_assets.sync.factory import check_external_sources, check_order, check_workspaces


def core_definitions(settings: Settings) -> dg.Definitions:
    """Everything of the deployment that is not a declared sync."""
    return dg.Definitions(
        assets=with_source_links([*RAW_SOURCE_ASSETS, *MODEL_ASSETS], settings),
        asset_checks=[*MODEL_CHECKS, *RAW_CHECKS],
        jobs=JOBS,
        sensors=ALERT_SENSORS,
        resources={**resources_from_env(settings), **ALERT_RESOURCES},
        # One embedded DuckDB file takes one writer at a time: run a job's steps in one process.
        executor=dg.in_process_executor if settings.warehouse == "duckdb" else None,
    )


def sync_tree() -> dg.ComponentTree:
    """The defs folder's components; from the module, so an installed package finds it too."""
    return dg.ComponentTree.from_module(
        defs_module=retention_assets.defs, project_root=PROJECT_ROOT
    )


def _sync_definitions(tree: dg.ComponentTree) -> dg.Definitions:
    """The definitions of every component of the defs folder.

    Neither ``tree.build_defs()`` nor ``Definitions(component_tree=tree)``: either makes every
    load of the code location (``dagster dev``, each ``dagster`` CLI command, a code server)
    import every installed Dagster integration (dagster-dbt, dagster-snowflake with Snowpark:
    about 7 s) only to name their component types in the UI's component tree.
    """
    root = tree.find_root_decl()
    return dg.Definitions.merge(
        *(tree.build_defs_at_path(child.loc) for child in root.iterate_child_component_decls())
    )


@contextmanager
def _known_dagster_notices() -> Iterator[None]:
    """Silence Dagster's notices about the features this module uses on purpose.

    Source links (code references) are beta and the defs folder loads its modules through a
    preview loader; the notices would print on every load of the code location, for every
    asset, while saying nothing a person can act on.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*CodeReference", category=dg.BetaWarning)
        warnings.filterwarnings(
            "ignore", message=r"Function `with_source_code_references`", category=dg.BetaWarning
        )
        warnings.filterwarnings(
            "ignore", message=r"Function `load_definitions_from_module", category=dg.PreviewWarning
        )
        yield


def build_definitions(settings: Settings) -> dg.Definitions:
    """The core and every sync of the defs folder, the syncs checked together first."""
    with _known_dagster_notices():
        tree = sync_tree()
        try:
            specs = [sync.spec for sync in tree.get_all_components(of_type=CustomerIOSync)]
        except Exception as error:
            # A defs.yaml that is not YAML fails in Dagster's loader, in Dagster's words.
            invalid = defs_yaml_syntax_error(error)
            if invalid is None:
                raise
            raise invalid from None
        check_workspaces(specs)
        check_order(specs)
        defs = dg.Definitions.merge(core_definitions(settings), _sync_definitions(tree))
        check_external_sources(specs, defs)
        return defs


defs = build_definitions(load_settings())
