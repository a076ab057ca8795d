"""Fixtures for the sync tests: one sandbox per module, a fresh warehouse per test and kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cio_sandbox.testing import SandboxHandle, running_sandbox
from resources.warehouse import WarehouseResource
from tests.retention_assets.sync.harness import NO_FAULTS, SyncHarness
from tests.retention_assets.sync.shapes import SHAPES, SourceShape


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(app_rate_limit=0) as handle:
        yield handle


@pytest.fixture
def shape(request: pytest.FixtureRequest) -> SourceShape:
    """The source shape of the test: the shop's, unless the module parametrizes ``shape``."""
    return SHAPES[getattr(request, "param", "shop")]


@pytest.fixture
def harness(
    make_warehouse: Callable[[], WarehouseResource], sandbox: SandboxHandle, shape: SourceShape
) -> SyncHarness:
    """A fresh warehouse of this run's kind wired to the module's sandbox, reset."""
    sandbox.reset()
    sandbox.configure(**NO_FAULTS)
    return SyncHarness(make_warehouse(), sandbox, shape)


@pytest.fixture
def membership(
    make_warehouse: Callable[[], WarehouseResource], sandbox: SandboxHandle
) -> SyncHarness:
    """A fresh warehouse wired to the module's sandbox, reset, for a membership spec's sync
    (the spec's own relation, no shop tables needed beyond the harness's)."""
    sandbox.reset()
    sandbox.configure(**NO_FAULTS)
    return SyncHarness(make_warehouse(), sandbox)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run on DuckDB only the custom source shape and the cases marked ``duckdb_only``: the
    shop's shape and other cases already send the same statements to Snowflake (fakesnow),
    and the suite must stay within its time budget. ``pytest -p tests.sql_coverage`` lists
    any statement that only DuckDB runs (tests/sql_coverage.py)."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_snowflake = params.get("warehouse_kind") == "fakesnow"
        duckdb_only = params.get("shape") == "custom" or item.get_closest_marker("duckdb_only")
        (dropped if on_snowflake and duckdb_only else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
