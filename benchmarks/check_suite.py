"""How long the model check suite takes on 100k and 1M customers.

The checks promise to cost seconds on a million customers because they count in the warehouse
and only bring a bounded sample of failing rows to Python. This benchmark holds them to it:
it synthesises model-shaped tables directly in SQL (``--days`` daily partitions of customer
state, about ``EVENTS_PER_CUSTOMER_DAY`` events per customer per day, a few planted defects so
the failure paths run too), then evaluates every warehouse check of ``model_checks()`` on the
latest partition, exactly as a run would, and prints the time of each.

    .venv/bin/python -m benchmarks.check_suite                  # 100k and 1M customers
    .venv/bin/python -m benchmarks.check_suite --customers 50000 --days 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from asset_checks.factory import RUN_PARTITION, Scope
from asset_checks.model_checks import model_checks
from resources.warehouse import DuckDBWarehouse, WarehouseSession
from retention_assets.shop_specs import EVENT_NAMES
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE, MODEL_SCHEMA

DEFAULT_CUSTOMERS: Final = (100_000, 1_000_000)
DEFAULT_DAYS: Final = 7
EVENTS_PER_CUSTOMER_DAY: Final = 0.3

CREATE_SCHEMA: Final = f"CREATE SCHEMA IF NOT EXISTS {MODEL_SCHEMA}"

# One row per customer per day. Every 1000th customer's VIP tier alternates day by day
# (flapping); everything else is contract-clean.
SYNTHETIC_STATE: Final = f"""
CREATE TABLE {CUSTOMER_STATE_TABLE} AS
SELECT
    'cust_' || lpad(CAST(c AS VARCHAR), 8, '0') AS customer_id,
    CAST($first_day + CAST(d AS INTEGER) AS DATE) AS as_of_date,
    'c' || c || '@example.com' AS email,
    CAST(c % 7 AS BIGINT) AS lifetime_orders,
    CAST((c % 7) * 42.5 AS DECIMAL(18, 2)) AS lifetime_revenue,
    CASE WHEN c % 7 > 0 THEN TIMESTAMPTZ '2024-01-01 00:00:00+00'
        + to_seconds(CAST(c % 20000000 AS BIGINT)) END AS first_order_at,
    CASE WHEN c % 7 > 0 THEN TIMESTAMPTZ '2024-09-01 00:00:00+00'
        + to_seconds(CAST(c % 10000000 AS BIGINT)) END AS last_order_at,
    CASE WHEN c % 7 > 0 THEN 'category_' || (c % 12) END AS top_category,
    CASE WHEN c % 7 > 0 THEN TIMESTAMPTZ '2025-06-01 00:00:00+00'
        + to_seconds(CAST(c % 50000000 AS BIGINT)) END AS predicted_next_purchase_at,
    c % 3 = 0 AS needs_replenishment,
    CASE
        WHEN c % 1000 = 0 THEN CASE WHEN d % 2 = 0 THEN 'gold' ELSE 'silver' END
        WHEN c % 7 >= 6 THEN 'silver'
        ELSE 'none'
    END AS vip_tier,
    c % 1000 = 0 OR c % 7 >= 6 AS is_vip,
    CAST(1 AS INTEGER) AS vip_definition_version,
    CASE c % 4 WHEN 0 THEN 'active' WHEN 1 THEN 'paused' WHEN 2 THEN 'cancelled'
        ELSE 'none' END AS subscription_status,
    c % 4 = 0 AS has_active_subscription,
    CASE WHEN c % 11 = 0 THEN TIMESTAMPTZ '2024-10-01 00:00:00+00'
        + to_seconds(CAST(c % 5000000 AS BIGINT)) END AS last_refund_at,
    CASE c % 3 WHEN 0 THEN 'high' WHEN 1 THEN 'medium' ELSE 'low' END AS gross_margin_bucket,
    c % 3 < 2 AS discount_eligible,
    TIMESTAMPTZ '2024-09-01 00:00:00+00'
        + to_seconds(CAST(c % 10000000 AS BIGINT)) AS last_activity_at,
    c % 5 = 0 AS is_reactivation_eligible,
    CAST(c % 5000 AS BIGINT) AS loyalty_points,
    CASE WHEN c % 2 = 0 THEN 'member' END AS loyalty_tier
FROM range($customers) AS customers(c), range($days) AS days(d)
"""

# Planted defects on the last day: two duplicated customers and one null id.
STATE_DEFECTS: Final = f"""
INSERT INTO {CUSTOMER_STATE_TABLE}
SELECT * FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $last_day LIMIT 2;
INSERT INTO {CUSTOMER_STATE_TABLE} BY NAME
SELECT NULL AS customer_id, as_of_date, email, lifetime_orders, vip_tier, is_vip,
       vip_definition_version, subscription_status, has_active_subscription
FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $last_day LIMIT 1
"""

# Events spread over the days; every 100,000th is "order placed" (a near duplicate) and the
# next one "Page Viewed" (unknown).
SYNTHETIC_EVENTS: Final = f"""
CREATE TABLE {EVENTS_TABLE} AS
WITH numbered AS (
    SELECT e, CAST($first_day + CAST(e % $days AS INTEGER) AS DATE) AS event_date
    FROM range($events) AS events(e)
)
SELECT
    'evt_' || e AS event_key,
    CASE e % 100000
        WHEN 1 THEN 'order placed'
        WHEN 2 THEN 'Page Viewed'
        ELSE list_extract($event_names, CAST(e % 6 AS INTEGER) + 1)
    END AS event_name,
    'cust_' || lpad(CAST((e * 7919) % $customers AS VARCHAR), 8, '0') AS customer_id,
    CAST(event_date AS TIMESTAMPTZ) + to_seconds(CAST(e % 86400 AS BIGINT)) AS occurred_at,
    event_date,
    '{{"source_id": "' || e || '"}}' AS properties,
    CAST(event_date AS TIMESTAMPTZ) + INTERVAL 1 DAY + INTERVAL 2 HOUR AS loaded_at
FROM numbered
"""


def build_models(session: WarehouseSession, customers: int, days: int, last_day: dt.date) -> None:
    first_day = last_day - dt.timedelta(days=days - 1)
    session.execute(CREATE_SCHEMA)
    session.execute(SYNTHETIC_STATE, {"customers": customers, "days": days, "first_day": first_day})
    for statement in STATE_DEFECTS.split(";"):
        session.execute(statement, {"last_day": last_day})
    session.execute(
        SYNTHETIC_EVENTS,
        {
            "events": int(customers * days * EVENTS_PER_CUSTOMER_DAY),
            "customers": customers,
            "days": days,
            "first_day": first_day,
            "event_names": list(EVENT_NAMES),
        },
    )


def run_suite(session: WarehouseSession, scope: Scope) -> list[tuple[str, int, float]]:
    """(check name, failing rows, seconds) for every warehouse check."""
    timings = []
    for check in model_checks():
        started = time.perf_counter()
        outcome = check.evaluate(session, scope)
        timings.append((check.name, outcome.failing, time.perf_counter() - started))
    return timings


def benchmark(customers: int, days: int, directory: Path) -> None:
    last_day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    warehouse = DuckDBWarehouse(database=str(directory / f"checks_{customers}.duckdb"))
    with warehouse.session() as session:
        started = time.perf_counter()
        build_models(session, customers, days, last_day)
        built = time.perf_counter() - started
        state_rows = session.fetch_all(f"SELECT count(*) FROM {CUSTOMER_STATE_TABLE}")[0][0]
        event_rows = session.fetch_all(f"SELECT count(*) FROM {EVENTS_TABLE}")[0][0]
        timings = run_suite(session, Scope(last_day, last_day, RUN_PARTITION))
    total = sum(seconds for _, _, seconds in timings)
    print(
        f"\n{customers:,} customers: {state_rows:,} state rows over {days} days, "
        f"{event_rows:,} events (built in {built:.1f}s); checking partition {last_day}"
    )
    for name, failing, seconds in timings:
        print(f"  {name:<40} {failing:>8,} failing  {seconds:7.3f}s")
    print(f"  {'whole suite':<40} {'':>8}          {total:7.3f}s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=list(DEFAULT_CUSTOMERS))
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="check_suite_") as directory:
        for customers in args.customers:
            benchmark(customers, args.days, Path(directory))


if __name__ == "__main__":
    main()
