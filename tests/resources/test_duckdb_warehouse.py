"""The embedded warehouse bounds DuckDB's memory in the sync's sessions only.

A sync streams rows out and must stay small in memory; a model build needs DuckDB's memory for
its window functions. The bound is DuckDB's own setting, read back from the session.
"""

from __future__ import annotations

from pathlib import Path

from resources.warehouse import DEFAULT_DUCKDB_SYNC_MEMORY_LIMIT, DuckDBWarehouse


def _setting(warehouse: DuckDBWarehouse, name: str, for_sync: bool) -> str:
    with warehouse.session(for_sync=for_sync) as session:
        return str(session.fetch_all(f"SELECT current_setting('{name}')")[0][0])


def test_sync_sessions_have_the_memory_limit_and_others_do_not(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"), sync_memory_limit="200MB")

    assert _setting(warehouse, "memory_limit", for_sync=True) == "190.7 MiB"
    assert _setting(warehouse, "memory_limit", for_sync=False) != "190.7 MiB"
    assert _setting(warehouse, "preserve_insertion_order", for_sync=False) == "False"


def test_the_default_sync_limit_is_the_documented_one(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"))

    assert warehouse.sync_memory_limit == DEFAULT_DUCKDB_SYNC_MEMORY_LIMIT == "384MB"
    assert _setting(warehouse, "memory_limit", for_sync=True) == "366.2 MiB"
