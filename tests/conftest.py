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
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

from resources.warehouse import WarehouseResource
from tests.warehouses import FAKESNOW, KINDS, connector_behaviour, new_warehouse

# The end-to-end sync files hold most of the suite's time in a few long files, so their tests
# are spread one by one over the xdist workers (their module fixtures, a sandbox and a
# warehouse factory, are cheap to build twice). Every other file stays whole on one worker, so
# its expensive module fixtures (the UI's dagster dev, the dbt build) are built once.
# xdist's own ``xdist_group`` marks cannot say this under pytest 9.2: xdist 3.8 renames the
# item through ``item._nodeid``, which pytest no longer reads, so every group was ignored and
# each file was spread test by test. A scheduler of our own states the grouping directly.
_SPREAD_ONE_BY_ONE = "tests/retention_assets/sync/"


class _FilesExceptTheSyncSuite(LoadScopeScheduling):
    """xdist work units: one per test under the sync suite, one per file everywhere else."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(_SPREAD_ONE_BY_ONE):
            return nodeid
        return nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadScopeScheduling:
    return _FilesExceptTheSyncSuite(config, log)


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
