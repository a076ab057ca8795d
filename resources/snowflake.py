"""The production warehouse: Snowflake, through dagster-snowflake's ``SnowflakeResource``.

Assets and checks hand the session the same DuckDB-dialect SQL they hand the embedded
warehouse; :mod:`resources.dialect` translates each statement, and the connector binds its
parameters client-side (``pyformat``). Results come back through the connector's Arrow
interface in the shape the DuckDB session gives them (lower-case column names, 64-bit
integers, microsecond UTC timestamps), so the checks' Pandera schemas and the sync see one
kind of table whatever the warehouse. The session time zone is UTC, as DuckDB's is: the
resource must say ``timezone="UTC"``, which the connector sets when it opens the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import pyarrow as pa
from dagster_snowflake import SnowflakeResource
from pydantic import Field, field_validator

from resources.dialect import (
    DEFAULT_RAW_LOCATION,
    creates_schema,
    translate,
    valid_raw_location,
)
from resources.warehouse import (
    DEFAULT_BATCH_ROWS,
    Params,
    WarehouseResource,
    split_statements,
)

# Rows per multi-row INSERT of insert_arrow: the connector inlines every value in the
# statement text, which must stay well under Snowflake's limit on statement size.
INSERT_BATCH_ROWS: Final = 1_000
SESSION_TIMEZONE: Final = "UTC"
_REDACTED: Final = "**********"
_SHOWN_FIELDS: Final = ("account", "user", "database", "schema_", "role", "warehouse")
_SECRET_FIELDS: Final = ("password", "private_key", "private_key_password")


def normalize(table: pa.Table) -> pa.Table:
    """A Snowflake result in the DuckDB session's shape.

    Snowflake upper-cases unquoted names, sends integers as the narrowest type that holds a
    batch (or as ``NUMBER(p, 0)`` decimals) and timestamps at the column's precision.
    """
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_integer(kind) or (pa.types.is_decimal(kind) and kind.scale == 0):
            kind = pa.int64()
        elif pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", tz="UTC" if kind.tz else None)
        fields.append(pa.field(field.name.lower(), kind))
    schema = pa.schema(fields)
    return table.rename_columns(schema.names).cast(schema)


class SnowflakeSession:
    """An open Snowflake connection that runs the project's DuckDB-dialect SQL."""

    def __init__(self, connection: Any, raw_location: str, home_schema: str | None) -> None:
        self._connection = connection
        self._raw_location = raw_location
        self._home_schema = home_schema

    def _cursor(self, statement: str, params: Params) -> Any:
        text, bound = translate(statement, params, self._raw_location)
        cursor = self._connection.cursor()
        cursor.execute(text, bound)
        return cursor

    def execute(self, sql: str, params: Params = None) -> None:
        for statement in split_statements(sql):
            self._cursor(statement, params)
            if creates_schema(statement) and self._home_schema:
                # Snowflake makes a created schema the session's current one; temporary tables
                # and unqualified names must keep resolving in the connection's schema.
                self._connection.cursor().execute(f"USE SCHEMA {self._home_schema}")

    def fetch_all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        table = self.fetch_arrow(sql, params)
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        cursor = self._cursor(sql, params)
        return normalize(
            cursor.fetch_arrow_all(force_return_table=True, force_microsecond_precision=True)
        )

    def stream(
        self, sql: str, params: Params = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        # Snowflake keeps the result on its side; the connector downloads one chunk at a time.
        cursor = self._cursor(sql, params)
        for chunk in cursor.fetch_arrow_batches(force_microsecond_precision=True):
            yield from normalize(chunk).to_batches(max_chunksize=batch_rows)

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        if data.num_rows == 0:
            return 0
        names = data.column_names
        statement = (
            f"INSERT INTO {table} ({', '.join(names)})"
            f" VALUES ({', '.join(f'${name}' for name in names)})"
        )
        # Snowflake converts each inlined literal to its column's type: no placeholder needs a
        # cast. The connector turns each executemany into one multi-row INSERT.
        text, _ = translate(statement, dict.fromkeys(names), self._raw_location)
        cursor = self._connection.cursor()
        for offset in range(0, data.num_rows, INSERT_BATCH_ROWS):
            cursor.executemany(text, data.slice(offset, INSERT_BATCH_ROWS).to_pylist())
        return data.num_rows


class SnowflakeWarehouse(WarehouseResource):
    """Snowflake as the project's warehouse (``RETENTION_WAREHOUSE=snowflake``).

    The models' and the sync's schemas (``retention``, ``cio_sync``) and the session's
    temporary tables live in the connection's database and schema; the raw tables may live
    elsewhere (``raw_location``).
    """

    snowflake: SnowflakeResource = Field(
        description="The connection: account, user, password or key pair, role, warehouse,"
        " database and schema."
    )
    raw_location: str = Field(
        default=DEFAULT_RAW_LOCATION,
        description="SCHEMA or DATABASE.SCHEMA holding the raw.* source tables.",
    )

    @field_validator("snowflake")
    @classmethod
    def _utc_client_side_binding(cls, value: SnowflakeResource) -> SnowflakeResource:
        if value.paramstyle not in (None, "pyformat"):
            raise ValueError(
                "the warehouse binds parameters client-side: leave SnowflakeResource.paramstyle"
                f" unset or 'pyformat', not {value.paramstyle!r}"
            )
        # Timestamps must reach Python and naive conversions must happen in UTC, as on DuckDB.
        if value.timezone != SESSION_TIMEZONE:
            raise ValueError(
                f"set SnowflakeResource.timezone={SESSION_TIMEZONE!r}, not {value.timezone!r}:"
                " the models and checks read and write UTC timestamps"
            )
        return value

    @field_validator("raw_location")
    @classmethod
    def _valid_location(cls, value: str) -> str:
        return valid_raw_location(value)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        # pydantic builds repr() and str() from these pairs; the nested resource holds secrets.
        for name, value in super().__repr_args__():
            if name == "snowflake":
                shown = ", ".join(
                    f"{field}={_REDACTED if field in _SECRET_FIELDS else getattr(value, field)!r}"
                    for field in (*_SHOWN_FIELDS, *_SECRET_FIELDS)
                    if getattr(value, field) is not None
                )
                yield name, f"SnowflakeResource({shown})"
            else:
                yield name, value

    def _home_schema(self) -> str | None:
        database, schema = self.snowflake.database, self.snowflake.schema_
        return f"{database}.{schema}" if database and schema else None

    @contextmanager
    def session(self, for_sync: bool = False) -> Iterator[SnowflakeSession]:
        # for_sync changes nothing here: the virtual warehouse's size governs memory.
        with self.snowflake.get_connection() as connection:
            try:
                yield SnowflakeSession(connection, self.raw_location, self._home_schema())
            except BaseException:
                # get_connection commits and closes only when the block succeeds.
                connection.close()
                raise
