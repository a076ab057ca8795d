"""SQL constructs the project relies on, each as a query whose result must not depend on the
warehouse: the cases where DuckDB and Snowflake differ and :mod:`resources.dialect` rewrites,
plus the ones sqlglot transpiles on its own.

``tests/resources/test_dialect.py`` runs every case on DuckDB and on fakesnow;
``tests/resources/test_snowflake_live.py`` runs them on a real Snowflake account when one is
configured, which is the only place fakesnow's own gaps (it runs on DuckDB) can show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import orjson

from resources.warehouse import WarehouseSession


@dataclass(frozen=True)
class Case:
    name: str
    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    # Columns holding JSON text, compared as the values they encode: Snowflake orders object
    # keys its own way.
    json_columns: tuple[int, ...] = ()


SUMMER = dt.datetime(2025, 7, 1, 9, 30)  # EDT, UTC-4
WINTER = dt.datetime(2025, 1, 15, 9, 30)  # EST, UTC-5

CASES: Final = (
    Case(
        "interval_of_a_column",
        "SELECT CAST($at AS TIMESTAMPTZ) + INTERVAL (n) DAY,"
        " CAST($at AS TIMESTAMPTZ) - INTERVAL (n) DAY FROM (SELECT 45 AS n) AS days",
        {"at": dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)},
    ),
    Case(
        "store_local_time_to_utc_across_dst",
        "SELECT timezone($zone, CAST($summer AS TIMESTAMP)),"
        " timezone($zone, CAST($winter AS TIMESTAMP)), timezone('UTC', CAST($summer AS TIMESTAMP))",
        {"zone": "America/New_York", "summer": SUMMER, "winter": WINTER},
    ),
    Case(
        "iso_text_of_a_utc_instant",
        "SELECT strftime(timezone('UTC', CAST($at AS TIMESTAMP)), '%Y-%m-%dT%H:%M:%S.%fZ')",
        {"at": dt.datetime(2025, 3, 9, 7, 5, 3, 120456)},
    ),
    Case(
        "epoch_milliseconds_and_seconds",
        "SELECT CAST(EXTRACT(EPOCH FROM CAST($at AS TIMESTAMPTZ)) * 1000 AS BIGINT),"
        " CAST(EXTRACT(EPOCH FROM CAST($at AS TIMESTAMPTZ)) AS BIGINT)",
        {"at": dt.datetime(2025, 3, 9, 7, 30, 0, 123000, tzinfo=dt.UTC)},
    ),
    Case(
        "utc_day_of_an_instant",
        "SELECT CAST(CAST($at AS TIMESTAMPTZ) AS DATE)",
        {"at": dt.datetime(2025, 3, 9, 23, 30, tzinfo=dt.UTC)},
    ),
    Case(
        "bytes_of_utf8_text",
        "SELECT octet_length(encode($text)), octet_length(encode('abc'))",
        {"text": "é客 x"},
    ),
    Case(
        "unpivot_keeps_nulls_and_names_as_written",
        "SELECT k, name, value FROM (SELECT 'a' AS k, CAST(NULL AS VARCHAR) AS \"first\","
        " 'x' AS second) AS w UNPIVOT INCLUDE NULLS (value FOR name IN (\"first\", second))"
        " ORDER BY name",
    ),
    Case(
        "filter_qualify_and_ordered_string_agg",
        "SELECT count(*) FILTER (WHERE v > 1), string_agg(CAST(v AS VARCHAR), ',' ORDER BY v DESC),"
        " bool_or(v = 2) FROM (SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3) AS t",
    ),
    Case(
        "qualify_keeps_the_latest_row_per_key",
        "SELECT k, v FROM (SELECT 1 AS k, 10 AS v UNION ALL SELECT 1, 20 UNION ALL SELECT 2, 5)"
        " AS t QUALIFY row_number() OVER (PARTITION BY k ORDER BY v DESC) = 1 ORDER BY k",
    ),
    Case(
        "least_and_greatest_ignore_nulls",
        "SELECT least(CAST(NULL AS INTEGER), 3, 2), greatest(CAST(NULL AS INTEGER), 1)",
    ),
    Case(
        "decimal_and_text_parameters",
        "SELECT $amount * 2, $text || '!', $flag, $nothing IS NULL",
        {"amount": Decimal("0.50"), "text": "it's", "flag": True, "nothing": None},
    ),
    Case(
        "percent_signs_beside_parameters",
        "SELECT 'a%b' LIKE $pattern, 7 % 3, '100%'",
        {"pattern": "a%"},
    ),
    Case(
        "md5_hex_of_utf8_text",
        "SELECT md5($text), md5('c1')",
        {"text": "é客"},
    ),
    Case(
        "json_text_of_values",
        "SELECT CAST(to_json($text) AS VARCHAR), CAST(to_json(TRUE) AS VARCHAR),"
        " CAST(to_json(CAST(1234.5 AS DOUBLE)) AS VARCHAR),"
        " CAST(to_json(CAST(1000 AS DOUBLE)) AS VARCHAR)",
        {"text": 'quote " é'},
    ),
    Case(
        # What events_plan.sql builds a ULID from: hex digest, digit positions, bit fields.
        "sha256_hex_digits_and_bit_fields",
        "SELECT lower(sha256($key)), position(substr(lower(sha256($key)), 1, 1) IN"
        " '0123456789abcdef') - 1, (CAST($ms AS BIGINT) >> 45) & 31,"
        " substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(CAST($ms AS BIGINT) & 31 AS INTEGER)"
        " + 1, 1)",
        {"key": "order:é1", "ms": 1_700_000_000_123},
    ),
    Case(
        "json_object_text",
        "SELECT CAST(json_object('order_id', 7, 'currency', 'USD', 'gift', NULL) AS VARCHAR)",
        json_columns=(0,),
    ),
)


def result(session: WarehouseSession, case: Case) -> list[tuple[Any, ...]]:
    """The case's rows, JSON columns decoded."""
    rows = session.fetch_all(case.sql, case.params)
    return [
        tuple(
            orjson.loads(value) if index in case.json_columns and value is not None else value
            for index, value in enumerate(row)
        )
        for row in rows
    ]
