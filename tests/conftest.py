"""Fixtures shared by every test package: the warehouse kinds the SQL must run on.

A test (or fixture) that asks for ``make_warehouse`` runs once on the embedded DuckDB file and
once on Snowflake served by fakesnow (see ``tests/warehouses.py``). The kind is a
session-scoped parameter, so pytest runs each kind's tests together and module-scoped
warehouses are built once per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import fakesnow
import pytest

from resources.warehouse import WarehouseResource
from tests.warehouses import FAKESNOW, KINDS, connector_behaviour, new_warehouse

# The end-to-end sync files hold most of the suite's time in a few long files, so their tests
# are spread one by one over the xdist workers (their module fixtures, a sandbox and a
# warehouse factory, are cheap to build twice). Every other file stays whole on one worker, so
# its expensive module fixtures (the UI's dagster dev, the dbt build) are built once.
_SPREAD_ONE_BY_ONE = Path(__file__).parent / "retention_assets" / "sync"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SPREAD_ONE_BY_ONE not in item.path.parents:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.fixture(scope="session", params=KINDS)
def warehouse_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def fakesnow_connector() -> Iterator[None]:
    """``snowflake.connector.connect`` served by fakesnow while a module's tests run."""
    with fakesnow.patch(), connector_behaviour():
        yield


@pytest.fixture(scope="module")
def make_warehouse(
    warehouse_kind: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[], WarehouseResource]:
    """A factory of fresh, empty warehouses of this run's kind."""
    if warehouse_kind == FAKESNOW:
        request.getfixturevalue("fakesnow_connector")

    def make() -> WarehouseResource:
        return new_warehouse(warehouse_kind, tmp_path_factory.mktemp("warehouse"))

    return make
