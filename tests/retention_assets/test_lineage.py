"""Column lineage names real columns of real upstream assets, and covers what it should."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retention_assets.definitions import defs
from retention_assets.lineage import CUSTOMER_STATE_LINEAGE, EVENTS_LINEAGE, PROFILE_LINEAGE
from retention_assets.models.customer_state import CUSTOMER_STATE_COLUMNS
from retention_assets.models.events import EVENT_COLUMNS
from retention_assets.shop_specs import SYNC_MAPPING


def _columns(metadata: Mapping[str, Any]) -> set[str]:
    schema = metadata.get("dagster/column_schema")
    return {column.name for column in schema.columns} if schema else set()


def test_model_lineage_covers_every_column_computed_from_raw_data() -> None:
    state_columns = {column.name for column in CUSTOMER_STATE_COLUMNS}
    # The partition day and the VIP rule version are not read from any raw column.
    assert set(CUSTOMER_STATE_LINEAGE) == state_columns - {"as_of_date", "vip_definition_version"}
    assert set(EVENTS_LINEAGE) == {column.name for column in EVENT_COLUMNS}


def test_every_synced_attribute_traces_back_to_a_customer_state_column() -> None:
    assert set(PROFILE_LINEAGE) == {"id", *SYNC_MAPPING.values()}
    state_columns = {column.name for column in CUSTOMER_STATE_COLUMNS}
    assert {name for refs in PROFILE_LINEAGE.values() for _, name in refs} <= state_columns


def test_declared_lineage_points_at_existing_columns_of_upstream_assets() -> None:
    graph = defs.resolve_asset_graph()
    with_lineage = 0
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        lineage = node.metadata.get("dagster/column_lineage")
        if lineage is None:
            continue
        with_lineage += 1
        own_columns = _columns(node.metadata)
        upstream = graph.get_ancestor_asset_keys(key)
        for column, deps in lineage.deps_by_column.items():
            assert column in own_columns, (key, column)
            for dep in deps:
                assert dep.asset_key in upstream, (key, column, dep.asset_key)
                upstream_columns = _columns(graph.get(dep.asset_key).metadata)
                assert dep.column_name in upstream_columns, (key, column, dep)
    # The six models and the twelve cio_sync assets (six syncs) declare their lineage.
    assert with_lineage == 18
