"""The models and their checks give identical results on DuckDB and on Snowflake (fakesnow).

The model tests already assert the same expected values on both warehouses; these compare the
two outright, every row and every check verdict, on the same fixture casts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson

from asset_checks.factory import RUN_PARTITION, Scope
from asset_checks.gates import source_checks
from asset_checks.model_checks import model_checks
from retention_assets.models.customer_state import retention_customer_state
from retention_assets.models.events import retention_events
from retention_assets.shop import CUSTOMER_STATE, EVENTS
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE
from tests.retention_assets.models import test_customer_state_model as state_cast
from tests.retention_assets.models import test_events_model as events_cast


def _verdicts(warehouse: Any, model: str, first: dt.date, last: dt.date) -> list[tuple]:
    """The rule results of every check of one model on the given days: its own and its spec's."""
    verdicts = []
    spec_checks = [check for stream in (CUSTOMER_STATE, EVENTS) for check in source_checks(stream)]
    with warehouse.resource.session() as session:
        for check in [*model_checks(), *spec_checks]:
            if check.asset.to_user_string() != model:
                continue
            if check.prepare is not None:
                check.prepare(session)
            outcome = check.evaluate(session, Scope(first, last, RUN_PARTITION))
            verdicts += [(check.name, r.name, r.failing, r.evaluated) for r in outcome.results]
    return verdicts


def test_customer_state_rows_and_checks_are_identical(
    model_warehouses_of_each_kind: Callable[[], dict[str, Any]],
) -> None:
    warehouses = model_warehouses_of_each_kind()
    for warehouse in warehouses.values():
        state_cast.load_cast(warehouse)
        warehouse.materialize([retention_customer_state], partition_range=state_cast.RANGE)

    rows = {
        kind: warehouse.rows(
            f"SELECT * FROM {CUSTOMER_STATE_TABLE} ORDER BY as_of_date, customer_id"
        )
        for kind, warehouse in warehouses.items()
    }
    assert len(rows["duckdb"]) > 400
    assert rows["fakesnow"] == rows["duckdb"]
    first, last = (dt.date.fromisoformat(day) for day in state_cast.RANGE)
    verdicts = {
        kind: _verdicts(w, "retention_customer_state", first, last)
        for kind, w in warehouses.items()
    }
    assert verdicts["fakesnow"] == verdicts["duckdb"]


def test_event_rows_and_checks_are_identical(
    model_warehouses_of_each_kind: Callable[[], dict[str, Any]],
) -> None:
    warehouses = model_warehouses_of_each_kind()
    for warehouse in warehouses.values():
        events_cast.load_cast(warehouse)
        warehouse.materialize([retention_events], partition_range=events_cast.RANGE)

    rows = {
        kind: [
            # Properties are JSON: Snowflake may order keys and write numbers its own way.
            {**row, "properties": orjson.loads(row["properties"])}
            for row in warehouse.rows(f"SELECT * FROM {EVENTS_TABLE} ORDER BY event_key")
        ]
        for kind, warehouse in warehouses.items()
    }
    assert len(rows["duckdb"]) > 10
    assert rows["fakesnow"] == rows["duckdb"]
    first, last = (dt.date.fromisoformat(day) for day in events_cast.RANGE)
    verdicts = {
        kind: _verdicts(w, "retention_events", first, last) for kind, w in warehouses.items()
    }
    assert verdicts["fakesnow"] == verdicts["duckdb"]
