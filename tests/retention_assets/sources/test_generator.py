"""The synthetic source generator fills the raw contract with every messy case, countably.

Counts in the generator's summary come from its own staging flags; these tests recount each
case from the raw tables alone, with the definitions the models will use, so the summary is
a claim about the data that the data confirms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest

from retention_assets.sources import generator
from retention_assets.sources.generator import GenerationSummary, generate_sources
from retention_assets.sources.raw_schema import LOADED_AT, RAW_TABLES, create_raw_schema_sql

CUSTOMERS = 2_000
DAYS = 260
# The window 2025-02-28 .. 2025-11-15 covers both US DST changes (2025-03-09, 2025-11-02).
END_DATE = dt.date(2025, 11, 15)
SHOP_TZ = "America/New_York"

# Each raw table once per key: re-load copies differ only in _loaded_at, so grouping on
# every other column collapses them (the earliest landing is kept).
DEDUPED_VIEW = """
CREATE OR REPLACE TEMP VIEW d_{name} AS
SELECT * EXCLUDE ({loaded_at}), min({loaded_at}) AS {loaded_at}
FROM raw.{name}
GROUP BY ALL
"""

SHOP_UTC = "timezone('UTC', timezone($tz, {column}))"

CUSTOMER_STATE = f"""
WITH customers AS (
    SELECT DISTINCT customer_id FROM d_customers WHERE customer_id IS NOT NULL
),
placed AS (
    SELECT order_id, customer_id, total_amount, {SHOP_UTC.format(column="placed_at")} AS occurred_at
    FROM d_orders
    WHERE lower(status) = 'placed'
),
revenue AS (
    SELECT
        p.customer_id,
        sum(p.total_amount) - coalesce(sum(r.amount), 0) AS lifetime_revenue
    FROM placed AS p
    LEFT JOIN d_refunds AS r USING (order_id)
    GROUP BY p.customer_id
),
margins AS (
    SELECT
        p.customer_id,
        sum(i.quantity * (i.unit_price - i.unit_cost)) / sum(i.quantity * i.unit_price)
            AS margin
    FROM d_order_items AS i
    JOIN placed AS p USING (order_id)
    GROUP BY p.customer_id
),
activity AS (
    SELECT customer_id, max(occurred_at) AS occurred_at FROM (
        SELECT customer_id, occurred_at FROM placed
        UNION ALL SELECT customer_id, started_at FROM d_web_sessions
        UNION ALL SELECT customer_id, opened_at FROM d_support_tickets
    )
    GROUP BY customer_id
)
SELECT
    c.customer_id,
    coalesce(v.lifetime_revenue, 0) AS lifetime_revenue,
    m.margin,
    v.customer_id IS NOT NULL AND a.occurred_at < $window_end - INTERVAL 60 DAY AS reactivation
FROM customers AS c
LEFT JOIN revenue AS v USING (customer_id)
LEFT JOIN margins AS m USING (customer_id)
LEFT JOIN activity AS a USING (customer_id)
"""

SUBSCRIPTION_CHANGES = """
SELECT
    *,
    lag(status) OVER (PARTITION BY subscription_id ORDER BY updated_at) AS previous_status
FROM d_subscriptions
"""

DST_DAYS = """
SELECT d::DATE AS day
FROM range($window_start::TIMESTAMP, $window_end::TIMESTAMP, INTERVAL 1 DAY) AS t(d)
WHERE epoch(timezone($tz, d + INTERVAL 1 DAY)) - epoch(timezone($tz, d)) <> 86400
"""

# Every summary case, recounted from the raw tables with the definition the models use.
# The models' reading of an email (retention_assets/models/staging.sql): no whitespace, lower.
NORMALISED_EMAIL = "lower(translate(email, ' ' || chr(9) || chr(10), ''))"

RECOUNTS: dict[str, str] = {
    "null_customer_id_rows": "SELECT count(*) FROM d_customers WHERE customer_id IS NULL",
    "cdc_extra_rows": """
        SELECT count(*) - count(DISTINCT customer_id)
        FROM d_customers WHERE customer_id IS NOT NULL""",
    "null_email_updates": """
        SELECT count(*) FROM d_customers WHERE customer_id IS NOT NULL AND email IS NULL""",
    "latest_email_null_customers": """
        SELECT count(*) FROM (
            SELECT email FROM d_customers WHERE customer_id IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC) = 1
        ) WHERE email IS NULL""",
    "email_changes": f"""
        SELECT count(*) FROM (
            SELECT customer_id FROM d_customers WHERE customer_id IS NOT NULL
            GROUP BY customer_id HAVING count(DISTINCT {NORMALISED_EMAIL}) > 1
        )""",
    "emails_with_stray_case_or_whitespace": f"""
        SELECT count(*) FROM d_customers WHERE email <> {NORMALISED_EMAIL}""",
    "dst_day_orders": f"""
        SELECT count(*) FROM d_orders WHERE placed_at::DATE IN ({DST_DAYS})""",
    # A wall-clock time that does not exist in the zone does not survive a round trip.
    "dst_gap_orders": """
        SELECT count(*) FROM d_orders
        WHERE timezone($tz, timezone($tz, placed_at)) <> placed_at""",
    # A wall-clock time that exists twice is also an hour before or after itself.
    "dst_fold_orders": """
        SELECT count(*) FROM d_orders
        WHERE timezone($tz, timezone($tz, placed_at) + INTERVAL 1 HOUR) = placed_at
            OR timezone($tz, timezone($tz, placed_at) - INTERVAL 1 HOUR) = placed_at""",
    "cancelled_orders": "SELECT count(*) FROM d_orders WHERE lower(status) = 'cancelled'",
    "orders_with_status_spelling": "SELECT count(*) FROM d_orders WHERE status <> lower(status)",
    "discounted_orders": "SELECT count(*) FROM d_orders WHERE discount_amount > 0",
    "multi_category_orders": """
        SELECT count(*) FROM (
            SELECT order_id FROM d_order_items
            GROUP BY order_id HAVING count(DISTINCT category) > 1
        )""",
    "non_usd_orders": "SELECT count(*) FROM d_orders WHERE currency <> 'USD'",
    "late_refunds": f"""
        SELECT count(*) FROM d_refunds
        WHERE epoch({LOADED_AT}) - epoch({SHOP_UTC.format(column="refunded_at")}) > 86400""",
    "subscription_starts": "SELECT count(DISTINCT subscription_id) FROM d_subscriptions",
    "subscription_pauses": f"""
        SELECT count(*) FROM ({SUBSCRIPTION_CHANGES})
        WHERE status = 'paused' AND previous_status = 'active'""",
    "subscription_resumes": f"""
        SELECT count(*) FROM ({SUBSCRIPTION_CHANGES})
        WHERE status = 'active' AND previous_status = 'paused'""",
    "subscription_cancellations": f"""
        SELECT count(*) FROM ({SUBSCRIPTION_CHANGES}) WHERE status = 'cancelled'""",
    "subscription_noop_updates": f"""
        SELECT count(*) FROM ({SUBSCRIPTION_CHANGES}) WHERE status = previous_status""",
    "late_subscription_changes": f"""
        SELECT count(*) FROM ({SUBSCRIPTION_CHANGES})
        WHERE previous_status IS NOT NULL
            AND epoch({LOADED_AT}) - epoch(updated_at) > 86400""",
    "open_tickets": "SELECT count(*) FROM d_support_tickets WHERE status = 'open'",
    "anonymous_sessions": "SELECT count(*) FROM d_web_sessions WHERE customer_id IS NULL",
    "loyalty_multi_update_accounts": """
        SELECT count(*) FROM (
            SELECT customer_id FROM d_loyalty_accounts
            GROUP BY customer_id HAVING count(*) > 1
        )""",
    "erasure_requested_customers": """
        SELECT count(DISTINCT customer_id) FROM d_privacy_requests
        WHERE lower(request_type) = 'erasure'""",
    "repeated_privacy_requests": """
        SELECT count(*) - count(DISTINCT customer_id) FROM d_privacy_requests""",
    "privacy_requests_in_capitals": """
        SELECT count(*) FROM d_privacy_requests WHERE request_type <> lower(request_type)""",
    "customers_without_orders": """
        SELECT count(DISTINCT customer_id) FROM d_customers
        WHERE customer_id IS NOT NULL
            AND customer_id NOT IN (SELECT customer_id FROM d_orders)""",
    "reactivation_eligible_customers": f"""
        SELECT count(*) FROM ({CUSTOMER_STATE}) WHERE reactivation""",
    "vip_gold_customers": f"""
        SELECT count(*) FROM ({CUSTOMER_STATE}) WHERE lifetime_revenue >= 1000""",
    "vip_silver_customers": f"""
        SELECT count(*) FROM ({CUSTOMER_STATE})
        WHERE lifetime_revenue >= 300 AND lifetime_revenue < 1000""",
    "vip_none_customers": f"""
        SELECT count(*) FROM ({CUSTOMER_STATE}) WHERE lifetime_revenue < 300""",
    "margin_high_customers": f"SELECT count(*) FROM ({CUSTOMER_STATE}) WHERE margin >= 0.5",
    "margin_medium_customers": f"""
        SELECT count(*) FROM ({CUSTOMER_STATE}) WHERE margin >= 0.3 AND margin < 0.5""",
    "margin_low_customers": f"SELECT count(*) FROM ({CUSTOMER_STATE}) WHERE margin < 0.3",
    **{
        f"duplicate_reload_rows_{name}": f"""
            SELECT (SELECT count(*) FROM raw.{name}) - (SELECT count(*) FROM d_{name})"""
        for name in RAW_TABLES
        if name != "categories"
    },
    "duplicate_reload_rows": "SELECT "
    + " + ".join(
        f"(SELECT count(*) FROM raw.{name}) - (SELECT count(*) FROM d_{name})"
        for name in RAW_TABLES
    ),
}


def _query(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> list[tuple]:
    # DuckDB rejects parameters a statement does not use.
    used = {name: value for name, value in params.items() if f"${name}" in sql}
    return con.execute(sql, used).fetchall()


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        name: con.execute(f"SELECT * FROM raw.{name} ORDER BY ALL").fetchall()
        for name in RAW_TABLES
    }


@pytest.fixture(scope="module")
def generated() -> Iterator[tuple[duckdb.DuckDBPyConnection, GenerationSummary]]:
    con = duckdb.connect()
    summary = generate_sources(
        con, customers=CUSTOMERS, days=DAYS, end_date=END_DATE, seed=7, shop_timezone=SHOP_TZ
    )
    for name, table in RAW_TABLES.items():
        if LOADED_AT in table.column_names:
            con.execute(DEDUPED_VIEW.format(name=name, loaded_at=LOADED_AT))
        else:
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW d_{name} AS SELECT DISTINCT * FROM raw.{name}"
            )
    yield con, summary
    con.close()


@pytest.fixture(scope="module")
def window(generated: tuple[duckdb.DuckDBPyConnection, GenerationSummary]) -> dict[str, object]:
    _, summary = generated
    return {
        "tz": SHOP_TZ,
        "window_start": summary.window_start,
        "window_end": summary.window_end,
    }


def test_tables_have_exactly_the_contract_columns(generated) -> None:
    con, _ = generated
    tables = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
    }
    assert tables == set(RAW_TABLES)
    for name, table in RAW_TABLES.items():
        columns = con.execute(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'raw' AND table_name = $name ORDER BY ordinal_position
            """,
            {"name": name},
        ).fetchall()
        assert columns == [(column.name, column.type) for column in table.columns], name


def test_schema_ddl_is_idempotent() -> None:
    con = duckdb.connect()
    con.execute(create_raw_schema_sql())
    con.execute(create_raw_schema_sql())
    count = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
    ).fetchone()
    assert count == (len(RAW_TABLES),)


def test_every_messy_case_is_present(generated) -> None:
    _, summary = generated
    assert set(summary.cases) == set(RECOUNTS)
    assert {name: count for name, count in summary.cases.items() if count <= 0} == {}
    assert all(summary.row_counts[name] > 0 for name in RAW_TABLES)


def test_summary_counts_match_a_recount_of_the_raw_tables(generated, window) -> None:
    con, summary = generated
    recounted = {name: _query(con, sql, **window)[0][0] for name, sql in RECOUNTS.items()}
    assert recounted == dict(summary.cases)
    row_counts = {
        name: con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0] for name in RAW_TABLES
    }
    assert row_counts == dict(summary.row_counts)


def test_volume_is_about_ten_events_per_customer(generated) -> None:
    _, summary = generated
    rows = summary.row_counts
    events = (
        rows["orders"] + rows["refunds"] + rows["subscriptions"] + rows["support_tickets"]
    ) / CUSTOMERS
    assert 8 <= events <= 12


def test_keys_identify_rows_and_reloads_share_the_key(generated) -> None:
    con, summary = generated
    for name, table in RAW_TABLES.items():
        key = ", ".join(table.key)
        # After collapsing copies, a key names exactly one row.
        assert _query(con, f"SELECT count(*) - count(DISTINCT ({key})) FROM d_{name}") == [(0,)]
        if LOADED_AT not in table.column_names:
            continue
        copies = _query(
            con,
            f"""
            SELECT count(*), count(DISTINCT {LOADED_AT}), min({LOADED_AT}) < max({LOADED_AT})
            FROM raw.{name}
            GROUP BY {key}
            HAVING count(*) > 1
            """,
        )
        assert copies, f"raw.{name} has no re-loaded rows"
        assert all(rows == landings and later for rows, landings, later in copies), name
        extra = sum(rows - 1 for rows, _, _ in copies)
        assert extra == summary.cases[f"duplicate_reload_rows_{name}"]


def test_timestamps_lie_within_the_window(generated, window) -> None:
    con, _ = generated
    for name, table in RAW_TABLES.items():
        for column in (*table.timestamp_columns, LOADED_AT):
            if column not in table.column_names:
                continue
            low, high = _query(con, f"SELECT min({column}), max({column}) FROM raw.{name}")[0]
            assert window["window_start"] <= low and high < window["window_end"], (name, column)
        # The same holds for business timestamps read as UTC instants (what partitions use).
        if table.zone(SHOP_TZ) != "UTC":
            for column in table.timestamp_columns:
                instant = SHOP_UTC.format(column=column)
                low, high = _query(
                    con, f"SELECT min({instant}), max({instant}) FROM raw.{name}", **window
                )[0]
                assert window["window_start"] <= low and high < window["window_end"]


def test_history_timestamps_strictly_increase(generated) -> None:
    con, _ = generated
    for name, entity in (
        ("customers", "customer_id"),
        ("subscriptions", "subscription_id"),
        ("loyalty_accounts", "customer_id"),
    ):
        assert _query(
            con,
            f"""
            SELECT count(*) FROM (
                SELECT updated_at, lag(updated_at) OVER (PARTITION BY {entity} ORDER BY
                    updated_at) AS previous
                FROM d_{name} WHERE {entity} IS NOT NULL
            ) WHERE updated_at <= previous
            """,
        ) == [(0,)]


def test_values_stay_within_the_contract(generated) -> None:
    con, _ = generated
    checks = {
        # Spelled by another system at times; the models read it lower-cased.
        "order status": "SELECT DISTINCT lower(status) FROM raw.orders",
        "subscription status": "SELECT DISTINCT status FROM raw.subscriptions",
        "ticket status": "SELECT DISTINCT status FROM raw.support_tickets",
        "loyalty tier": "SELECT DISTINCT tier FROM raw.loyalty_accounts",
    }
    allowed = {
        "order status": {"placed", "cancelled"},
        "subscription status": {"active", "paused", "cancelled"},
        "ticket status": {"open", "solved"},
        "loyalty tier": {"bronze", "silver", "gold", "platinum"},
    }
    for name, sql in checks.items():
        assert {value for (value,) in _query(con, sql)} == allowed[name]
    assert _query(
        con,
        """
        SELECT count(*) FROM d_refunds AS r JOIN d_orders AS o USING (order_id)
        WHERE r.amount > o.total_amount OR lower(o.status) <> 'placed'
        """,
    ) == [(0,)]
    assert _query(
        con,
        "SELECT count(*) FROM d_order_items WHERE category NOT IN "
        "(SELECT category FROM raw.categories)",
    ) == [(0,)]
    (usd_share,) = _query(con, "SELECT avg((currency = 'USD')::INTEGER) FROM d_orders")[0]
    assert usd_share > 0.9


def test_same_seed_reproduces_and_other_seed_differs(generated) -> None:
    con, _ = generated
    expected = _snapshot(con)
    other = duckdb.connect()
    generate_sources(other, customers=CUSTOMERS, days=DAYS, end_date=END_DATE, seed=8)
    different = _snapshot(other)
    assert all(different[name] != expected[name] for name in RAW_TABLES if name != "categories")
    # Regenerating replaces the tables rather than appending to them.
    generate_sources(other, customers=CUSTOMERS, days=DAYS, end_date=END_DATE, seed=7)
    assert _snapshot(other) == expected


def test_connection_is_left_as_found() -> None:
    con = duckdb.connect()
    generate_sources(con, customers=50, days=30, end_date=END_DATE)
    leftovers = con.execute(
        """
        SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_gen\\_%' ESCAPE '\\'
        UNION ALL
        SELECT count(*) FROM duckdb_functions() WHERE function_name LIKE '\\_gen\\_%' ESCAPE '\\'
        UNION ALL
        SELECT count(*) FROM duckdb_variables() WHERE name LIKE 'gen\\_%' ESCAPE '\\'
        """
    ).fetchall()
    assert leftovers == [(0,), (0,), (0,)]
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone() == (True,)


def test_other_shop_zone_keeps_its_own_dst_gap() -> None:
    con = duckdb.connect()
    summary = generate_sources(
        con, customers=500, days=DAYS, end_date=END_DATE, shop_timezone="Europe/Berlin"
    )
    gap = RECOUNTS["dst_gap_orders"].replace("d_orders", "raw.orders")
    assert summary.cases["dst_gap_orders"] > 0
    assert _query(con, gap, tz="Europe/Berlin") == [(summary.cases["dst_gap_orders"],)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"customers": 0, "days": 30}, "customers"),
        ({"customers": 10, "days": 3}, "days"),
        ({"customers": 10, "days": 30, "seed": -1}, "seed"),
        ({"customers": 10, "days": 30, "shop_timezone": "Mars/Olympus"}, "shop_timezone"),
    ],
)
def test_rejects_unusable_parameters(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_sources(duckdb.connect(), end_date=END_DATE, **arguments)


def test_command_line_writes_a_database(tmp_path, capsys) -> None:
    db = tmp_path / "sources.duckdb"
    generator.main(
        ["--db", str(db), "--customers", "200", "--days", "30", "--end-date", "2025-06-30"]
    )
    output = capsys.readouterr().out
    assert "raw.orders" in output and "dst_gap_orders" in output
    with duckdb.connect(db, read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT customer_id) FROM raw.customers").fetchone() == (
            200,
        )
