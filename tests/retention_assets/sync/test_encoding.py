"""The warehouse's JSON encoding of each attribute kind, and its Python twin for read-back."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from retention_assets.shop import CUSTOMER_STATE
from retention_assets.sync.encoding import encode_value, quote_identifier, value_json_sql

# The shop's attributes, as its profile spec declares them.
ATTRIBUTES = {attribute.name: attribute for attribute in CUSTOMER_STATE.attributes}

CASES = [
    ("email", "VARCHAR", "a.b@example.com", '"a.b@example.com"'),
    ("email", "VARCHAR", 'quote " and é', '"quote \\" and é"'),
    ("lifetime_orders", "BIGINT", 3, "3"),
    ("lifetime_revenue", "DECIMAL(18,2)", "1234.50", "1234.5"),
    ("lifetime_revenue", "DECIMAL(18,2)", "1000.00", "1000.0"),
    ("is_vip", "BOOLEAN", True, "true"),
    ("last_order_at", "TIMESTAMPTZ", "2025-03-09 07:30:00+00", "1741505400"),
    ("email", "VARCHAR", None, None),
]


@pytest.mark.parametrize(("attribute", "sql_type", "value", "expected"), CASES)
def test_sql_and_python_encodings_agree(
    attribute: str, sql_type: str, value: object, expected: str | None
) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE t ({quote_identifier(attribute)} {sql_type})")
    con.execute("INSERT INTO t VALUES ($v)", {"v": value})
    spec = ATTRIBUTES[attribute]

    (encoded,) = con.execute(f"SELECT {value_json_sql(attribute, spec)} FROM t").fetchone()

    assert encoded == expected
    # What Customer.io hands back (the sent JSON value, or its text) encodes the same way.
    sent = None if expected is None else __import__("orjson").loads(expected)
    assert encode_value(spec, sent) == expected


def test_timestamp_read_back_as_text_still_matches() -> None:
    spec = ATTRIBUTES["last_order_at"]
    epoch = int(dt.datetime(2025, 3, 9, 7, 30, tzinfo=dt.UTC).timestamp())
    assert encode_value(spec, str(epoch)) == str(epoch)


def test_a_declared_name_cannot_break_out_of_its_identifier() -> None:
    # Names come from a reviewed YAML file, yet a quote in one must stay part of the name.
    assert quote_identifier('email"; DROP TABLE x; --') == '"email""; DROP TABLE x; --"'
    assert quote_identifier("Plan Tier") == '"Plan Tier"'
