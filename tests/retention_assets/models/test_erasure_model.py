"""retention_erasure_requests, and the erasure requests the other models obey.

A customer who asked to be erased is in no day of the customer state (built in full or from
the day before) and has no events, whenever the request came; an access request erases
nobody; a request type in capitals still counts, a misspelt one counts for nobody and is
reported by the raw table's check. On DuckDB and on Snowflake (fakesnow).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import dagster as dg

from asset_checks.raw_checks import raw_checks
from retention_assets.models import (
    retention_customer_state,
    retention_erasure_requests,
    retention_events,
)
from retention_assets.tables import CUSTOMER_STATE_TABLE, ERASURE_REQUESTS_TABLE, EVENTS_TABLE

DAY_1, DAY_2 = "2025-06-01", "2025-06-02"
ERASED = 1  # asked to be erased before the first build
ERASED_IN_CAPITALS = 2  # request_type 'ERASURE'
ACCESS_ONLY = 3  # asked for a copy of their data: stays
MISSPELT = 4  # request_type 'erase': no erasure, reported
ERASED_ON_DAY_2 = 5  # synced on day 1, asked during day 2
CUSTOMERS = (ERASED, ERASED_IN_CAPITALS, ACCESS_ONLY, MISSPELT, ERASED_ON_DAY_2)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def request(request_id: int, customer_id: int, request_type: str, at: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "customer_id": customer_id,
        "request_type": request_type,
        "requested_at": ts(at),
        "_loaded_at": ts(at) + dt.timedelta(minutes=5),
    }


def load_shop(warehouse: Any) -> None:
    at = ts("2025-05-01 09:00")
    warehouse.insert(
        "customers",
        [
            {"customer_id": c, "email": f"c{c}@example.com", "created_at": at, "updated_at": at}
            for c in CUSTOMERS
        ],
    )
    warehouse.insert(
        "orders",
        [
            {
                "order_id": 100 + c,
                "customer_id": c,
                "placed_at": ts("2025-06-01 10:00"),
                "status": "placed",
                "currency": "USD",
                "total_amount": Decimal("40.00"),
                "discount_amount": Decimal("0"),
            }
            for c in CUSTOMERS
        ],
    )
    warehouse.insert("categories", [{"category": "coffee", "replenishment_days": 30}])
    warehouse.insert(
        "privacy_requests",
        [
            request(1, ERASED, "erasure", "2025-05-10 08:00"),
            request(2, ERASED, "erasure", "2025-05-12 08:00"),  # the form sent twice
            request(3, ERASED_IN_CAPITALS, " ERASURE", "2025-05-11 08:00"),
            request(4, ACCESS_ONLY, "access", "2025-05-11 08:00"),
            request(5, MISSPELT, "erase", "2025-05-11 08:00"),
        ],
    )


def ids(warehouse: Any, sql: str, **params: Any) -> set[int]:
    return {int(row["customer_id"]) for row in warehouse.rows(sql, params)}


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    (materialization, *_) = result.asset_materializations_for_node(asset)
    return {name: value.value for name, value in materialization.metadata.items()}


def test_erased_customers_are_in_no_model_whenever_they_asked(model_warehouse: Any) -> None:
    load_shop(model_warehouse)
    assets = [retention_erasure_requests, retention_customer_state, retention_events]
    day_1 = model_warehouse.materialize(assets, partition=DAY_1)

    erasures = model_warehouse.rows(f"SELECT * FROM {ERASURE_REQUESTS_TABLE} ORDER BY 1")
    assert [(row["customer_id"], row["requested_at"]) for row in erasures] == [
        ("1", dt.datetime(2025, 5, 10, 8, tzinfo=dt.UTC)),  # the first of two requests
        ("2", dt.datetime(2025, 5, 11, 8, tzinfo=dt.UTC)),
    ]
    built = metadata(day_1, "retention_erasure_requests")
    assert built["dagster/row_count"] == 2
    assert built["raw_rejected: status_unknown"] == 1
    assert built["raw_normalised: status_normalised"] == 1

    state_sql = f"SELECT customer_id FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $day"
    kept = {ACCESS_ONLY, MISSPELT, ERASED_ON_DAY_2}
    assert ids(model_warehouse, state_sql, day=dt.date(2025, 6, 1)) == kept
    assert ids(model_warehouse, f"SELECT customer_id FROM {EVENTS_TABLE}") == kept

    # A request during day 2 of a customer day 1 holds: day 2, built from day 1, leaves them
    # out although no raw row of theirs changed (their day-1 row is not carried).
    model_warehouse.insert(
        "privacy_requests", [request(6, ERASED_ON_DAY_2, "erasure", "2025-06-02 12:00")]
    )
    day_2 = model_warehouse.materialize(assets, partition=DAY_2)
    assert str(metadata(day_2, "retention_customer_state")["build_of_last_day"]).startswith(
        "incremental"
    )
    assert ids(model_warehouse, state_sql, day=dt.date(2025, 6, 2)) == {ACCESS_ONLY, MISSPELT}
    assert ERASED_ON_DAY_2 in ids(model_warehouse, f"SELECT * FROM {ERASURE_REQUESTS_TABLE}")
    # Rebuilding the events of day 1 drops theirs too: the request holds for every day.
    model_warehouse.materialize([retention_events], partition=DAY_1)
    assert ids(model_warehouse, f"SELECT customer_id FROM {EVENTS_TABLE}") == {
        ACCESS_ONLY,
        MISSPELT,
    }


def test_a_misspelt_or_anonymous_request_fails_the_privacy_requests_check(
    model_warehouse: Any,
) -> None:
    (check,) = [c for c in raw_checks() if c.asset.path == ["raw", "privacy_requests"]]
    model_warehouse.insert(
        "privacy_requests",
        [
            request(1, ERASED, "Erasure", "2025-05-10 08:00"),
            request(2, ACCESS_ONLY, "access", "2025-05-10 08:00"),
        ],
    )
    with model_warehouse.resource.session() as session:
        assert check.evaluate(session, None).passed

    model_warehouse.insert(
        "privacy_requests",
        [
            request(3, MISSPELT, "erase", "2025-05-11 08:00"),
            {**request(4, ERASED, "erasure", "2025-05-11 08:00"), "customer_id": None},
        ],
    )
    with model_warehouse.resource.session() as session:
        outcome = check.evaluate(session, None)
    assert {result.name: result.failing for result in outcome.failed} == {
        "status_unknown": 1,
        "customer_id_missing": 1,
    }
