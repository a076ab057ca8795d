"""Rule builders shared by the model checks: scoped row rules, timestamps, schema values.

Each builder turns a piece of the model contract (a Pandera schema, a partitioned table, a
condition) into a rule of ``asset_checks.factory``, so the two models' checks read as a list of
named promises rather than as SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd
import pandera.pandas as pa

from asset_checks import names, sql
from asset_checks.factory import (
    Findings,
    FunctionRule,
    PartitionedTable,
    SqlRule,
    bind,
    identifier,
    placeholders,
    table_columns,
    to_frame,
)
from asset_checks.schemas import UTC_TIMESTAMP, timestamp_columns
from resources.warehouse import WarehouseSession

# Rows fetched for the Pandera dtype check; a dtype is a column property, a sample suffices.
DTYPE_SAMPLE_ROWS: Final = 100
# Names information_schema gives a zone-aware timestamp type: DuckDB, then Snowflake.
ZONE_AWARE_TYPES: Final = frozenset({"TIMESTAMP WITH TIME ZONE", "TIMESTAMP_TZ", "TIMESTAMP_LTZ"})


def scoped_rows_rule(
    name: str,
    description: str,
    partitions: PartitionedTable,
    columns: Sequence[str],
    condition: str,
    schema: pa.DataFrameSchema,
    params: Mapping[str, Any] | None = None,
) -> SqlRule:
    """Rows of the checked days matching ``condition``; ``columns`` are what the sample shows."""
    return SqlRule(
        name=name,
        description=description,
        sql=sql.SCOPED_ROWS.format(
            columns=", ".join(columns),
            table=partitions.table,
            partition_column=partitions.partition_column,
            condition=condition,
        ),
        order_by=", ".join(columns[:2]),
        schema=schema,
        params=params or {},
    )


def naive_timestamp_rule(partitions: PartitionedTable, schema: pa.DataFrameSchema) -> FunctionRule:
    expected = timestamp_columns(schema)

    def find(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        types = table_columns(session, partitions.table)
        rows = [
            {
                "column": column,
                "warehouse_type": types.get(column, "missing"),
                "expected": "TIMESTAMP WITH TIME ZONE",
            }
            for column in expected
            if types.get(column, "").upper() not in ZONE_AWARE_TYPES
        ]
        return Findings(len(rows), pd.DataFrame(rows))

    return FunctionRule(
        names.NAIVE_TIMESTAMP_COLUMN,
        "Timestamp columns whose warehouse type is not TIMESTAMP WITH TIME ZONE (or that are "
        "missing): their values carry no zone, so nothing guarantees they are UTC.",
        find,
    )


def timestamp_dtype_rule(partitions: PartitionedTable, schema: pa.DataFrameSchema) -> FunctionRule:
    expected = timestamp_columns(schema)

    def find(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        # A missing column is the naive-timestamp rule's finding; this one judges the rest.
        columns = [
            column for column in expected if column in table_columns(session, partitions.table)
        ]
        if not columns:
            return Findings(0, pd.DataFrame())
        query = sql.SCOPED_SAMPLE.format(
            columns=", ".join(columns),
            table=partitions.table,
            partition_column=partitions.partition_column,
        )
        values = {**params, "sample_rows": DTYPE_SAMPLE_ROWS}
        rows = to_frame(session.fetch_arrow(query, bind(query, values)))
        # Only the dtype is judged here; values are other rules' business.
        dtypes = pa.DataFrameSchema(
            {column: pa.Column(UTC_TIMESTAMP, nullable=True) for column in columns}
        )
        try:
            dtypes.validate(rows, lazy=True)
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
            failures = pd.DataFrame(
                {
                    "column": cases["column"],
                    "pandas_dtype": cases["failure_case"].astype(str),
                    "expected": str(UTC_TIMESTAMP),
                }
            )
            return Findings(len(failures), failures.reset_index(drop=True))
        return Findings(0, pd.DataFrame())

    return FunctionRule(
        names.TIMESTAMP_DTYPE_NOT_UTC,
        f"Timestamp columns that do not reach Python as {UTC_TIMESTAMP} (Pandera, on up to "
        f"{DTYPE_SAMPLE_ROWS} rows of the checked days): the sync would send wrong unix times.",
        find,
        needs_scope=True,
    )


def schema_value_rules(
    schema: pa.DataFrameSchema,
    partitions: PartitionedTable,
    keys: Sequence[str],
    columns: Sequence[str],
) -> list[SqlRule]:
    """The schema's nullability and value checks of ``columns``, compiled to warehouse SQL.

    Only checks with an exact SQL equivalent are compiled; any other check on these columns
    is a programming error, raised here rather than silently skipped.
    """
    rules: list[SqlRule] = []
    for column in columns:
        spec = schema.columns[column]
        shown = (*keys, identifier(column))
        if not spec.nullable:
            rules.append(
                scoped_rows_rule(
                    names.null_rule(column),
                    f"Rows where {column} is null; the model contract says it is always set.",
                    partitions,
                    shown,
                    f"{column} IS NULL",
                    schema,
                )
            )
        for check in spec.checks:
            if check.name == "isin":
                allowed = list(check.statistics["allowed_values"])
                in_list, params = placeholders(f"{column}_allowed", allowed)
                rules.append(
                    scoped_rows_rule(
                        names.not_allowed_rule(column),
                        f"Rows where {column} is not one of {', '.join(map(str, allowed))}; "
                        "journeys branch on these exact values.",
                        partitions,
                        shown,
                        f"{column} IS NOT NULL AND {column} NOT IN ({in_list})",
                        schema,
                        params,
                    )
                )
            elif check.name == "greater_than_or_equal_to":
                minimum = check.statistics["min_value"]
                rules.append(
                    scoped_rows_rule(
                        names.below_minimum_rule(column),
                        f"Rows where {column} is below {minimum}.",
                        partitions,
                        shown,
                        f"{column} < ${column}_min",
                        schema,
                        {f"{column}_min": minimum},
                    )
                )
            else:
                raise ValueError(f"Pandera check {check.name!r} on {column} has no SQL form")
    return rules
