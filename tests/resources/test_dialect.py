"""The DuckDB-to-Snowflake translation: what each rewrite produces, and that every construct the
project relies on gives the same result on DuckDB and on Snowflake (fakesnow)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from resources.dialect import param_type, translate
from resources.snowflake import SnowflakeWarehouse
from resources.warehouse import DuckDBWarehouse
from tests.portable_sql import CASES, Case, result
from tests.warehouses import duckdb_warehouse, fakesnow_warehouse


def snowflake_sql(statement: str, params: dict | None = None, raw: str = "RAW") -> str:
    return translate(statement, params, raw)[0]


def test_interval_of_a_non_literal_amount_becomes_dateadd() -> None:
    sql = snowflake_sql("SELECT ts + INTERVAL (n) DAY, ts - INTERVAL (n) DAY, ts + INTERVAL 1 DAY")
    assert sql == "SELECT DATEADD(DAY, n, ts), DATEADD(DAY, -(n), ts), ts + INTERVAL '1 DAY'"


def test_timezone_of_a_naive_time_becomes_an_instant() -> None:
    assert snowflake_sql("SELECT timezone('America/New_York', ts)") == (
        "SELECT CAST(CONVERT_TIMEZONE('America/New_York', 'UTC', ts) AS TIMESTAMPTZ)"
    )


def test_strftime_keeps_letters_out_of_the_format() -> None:
    sql = snowflake_sql("SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ')")
    assert sql == (
        "SELECT (TO_CHAR(CAST(ts AS TIMESTAMPNTZ), 'yyyy-mm-DD') || 'T'"
        " || TO_CHAR(CAST(ts AS TIMESTAMPNTZ), 'hh24:mi:ss.ff6') || 'Z')"
    )


def test_epoch_keeps_its_fraction_and_bytes_read_utf8() -> None:
    assert snowflake_sql("SELECT EXTRACT(EPOCH FROM ts), octet_length(encode(t))") == (
        "SELECT (DATE_PART(EPOCH_MICROSECOND, ts) / 1000000), OCTET_LENGTH(TO_BINARY(t, 'UTF-8'))"
    )


def test_unpivot_becomes_a_cross_join_that_names_rows_as_written() -> None:
    sql = snowflake_sql('SELECT k, n, v FROM w UNPIVOT INCLUDE NULLS (v FOR n IN ("a", b))')
    assert "UNPIVOT" not in sql
    assert "(VALUES ('a'), ('b')) AS unpivot_names(unpivot_name)" in sql
    assert "WHEN 'a' THEN unpivot_source.\"A\" WHEN 'b' THEN unpivot_source.b" in sql
    assert "IS NULL" not in sql
    assert "NOT" in snowflake_sql("SELECT * FROM w UNPIVOT (v FOR n IN (a, b))")


def test_quoted_identifiers_match_unquoted_ones_and_raw_maps_to_its_location() -> None:
    sql = snowflake_sql(
        'SELECT "email" FROM "raw"."customers" JOIN retention.x USING (id)', None, "SHOP.RAW"
    )
    assert sql == 'SELECT "EMAIL" FROM SHOP.RAW."CUSTOMERS" JOIN retention.x USING (id)'
    assert snowflake_sql('CREATE SCHEMA IF NOT EXISTS "raw"') == "CREATE SCHEMA IF NOT EXISTS RAW"


def test_parameters_are_pyformat_and_typed_by_their_value() -> None:
    params = {
        "day": dt.date(2025, 1, 1),
        "instant": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        "naive": dt.datetime(2025, 1, 1),
        "amount": Decimal("12.50"),
        "name": "x",
        "unused": 1,
    }
    sql, bound = translate(
        "SELECT * FROM t WHERE d = $day AND i < $instant AND n < $naive AND a = $amount"
        " AND s = $name AND p LIKE 'x%'",
        params,
    )
    assert sql == (
        "SELECT * FROM t WHERE d = CAST(%(day)s AS DATE) AND i < CAST(%(instant)s AS TIMESTAMPTZ)"
        " AND n < CAST(%(naive)s AS TIMESTAMPNTZ) AND a = CAST(%(amount)s AS DECIMAL(38, 2))"
        " AND s = %(name)s AND p LIKE 'x%%'"
    )
    assert bound == {key: value for key, value in params.items() if key != "unused"}
    # Without parameters the connector does not interpolate, so nothing is escaped.
    assert translate("SELECT 7 % 2, 'x%'") == ("SELECT 7 % 2, 'x%'", None)


def test_parameters_that_snowflake_cannot_bind_alike_fail_by_name() -> None:
    with pytest.raises(TypeError, match=r"\$skew is a timedelta"):
        param_type("skew", dt.timedelta(minutes=5))
    with pytest.raises(KeyError, match="as_of"):
        translate("SELECT $as_of", {})


@pytest.fixture(scope="module")
def both_warehouses(
    fakesnow_connector: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DuckDBWarehouse, SnowflakeWarehouse]]:
    yield duckdb_warehouse(tmp_path_factory.mktemp("duckdb")), fakesnow_warehouse()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_construct_gives_the_same_result_on_duckdb_and_snowflake(
    case: Case, both_warehouses: tuple[DuckDBWarehouse, SnowflakeWarehouse]
) -> None:
    duckdb, snowflake = both_warehouses
    with duckdb.session() as session:
        expected = result(session, case)
    with snowflake.session() as session:
        assert result(session, case) == expected


def test_snowflake_session_stays_in_its_schema_after_creating_one(
    both_warehouses: tuple[DuckDBWarehouse, SnowflakeWarehouse],
) -> None:
    _, snowflake = both_warehouses
    with snowflake.session() as session:
        session.execute("CREATE SCHEMA IF NOT EXISTS scratch")
        assert session.fetch_all("SELECT current_schema()") == [("PUBLIC",)]
