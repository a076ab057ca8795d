"""Fixtures shared by every test package: the warehouse kinds the SQL must run on.

A test (or fixture) that asks for ``make_warehouse`` runs once on the embedded DuckDB file and
once on Snowflake served by fakesnow (see ``tests/warehouses.py``). The kind is a
session-scoped parameter, so pytest runs each kind's tests together and module-scoped
warehouses are built once per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import fakesnow
import pytest

from resources.warehouse import WarehouseResource
from tests.warehouses import FAKESNOW, KINDS, arrow_fetches, new_warehouse


@pytest.fixture(scope="session", params=KINDS)
def warehouse_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def fakesnow_connector() -> Iterator[None]:
    """``snowflake.connector.connect`` served by fakesnow while a module's tests run."""
    with fakesnow.patch(), arrow_fetches():
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
