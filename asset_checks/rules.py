"""Rule builders shared by the model checks: scoped row rules, timestamps, schema values.

Each builder turns a piece of the model contract (a table contract, a partitioned table, a
condition) into a rule of ``asset_checks.factory``, so the two models' checks read as a list of
named promises rather than as SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pyarrow

from asset_checks import names, sql
from asset_checks.factory import (
    NO_FINDINGS,
    Findings,
    FunctionRule,
    PartitionedTable,
    SqlRule,
    bind,
    identifier,
    placeholders,
    table_columns,
)
from asset_checks.schemas import Allowed, AtLeast, Dtype, TableContract
from resources.warehouse import WarehouseSession

# Rows fetched for the Pandera dtype check; a dtype is a column property, a sample suffices.
DTYPE_SAMPLE_ROWS: Final = 100
# Names information_schema gives a zone-aware timestamp type: DuckDB, then Snowflake.
ZONE_AWARE_TYPES: Final = frozenset({"TIMESTAMP WITH TIME ZONE", "TIMESTAMP_TZ", "TIMESTAMP_LTZ"})
# The Arrow type ``samples.to_frame`` turns into the contracts' ``datetime64[us, UTC]``.
UTC_ARROW_TIMESTAMP: Final = pyarrow.timestamp("us", tz="UTC")


def scoped_rows_rule(
    name: str,
    description: str,
    partitions: PartitionedTable,
    columns: Sequence[str],
    condition: str,
    schema: TableContract,
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


def naive_timestamp_rule(partitions: PartitionedTable, schema: TableContract) -> FunctionRule:
    expected = schema.timestamp_columns()

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
        if not rows:
            return NO_FINDINGS
        # Imported for a failure only, not with the module: see asset_checks.samples.
        from asset_checks import samples

        return Findings(len(rows), samples.frame(rows))

    return FunctionRule(
        names.NAIVE_TIMESTAMP_COLUMN,
        "Timestamp columns whose warehouse type is not TIMESTAMP WITH TIME ZONE (or that are "
        "missing): their values carry no zone, so nothing guarantees they are UTC.",
        find,
    )


def timestamp_dtype_rule(partitions: PartitionedTable, schema: TableContract) -> FunctionRule:
    expected = schema.timestamp_columns()

    def find(session: WarehouseSession, params: Mapping[str, Any]) -> Findings:
        # A missing column is the naive-timestamp rule's finding; this one judges the rest.
        columns = [
            column for column in expected if column in table_columns(session, partitions.table)
        ]
        if not columns:
            return NO_FINDINGS
        query = sql.SCOPED_SAMPLE.format(
            columns=", ".join(columns),
            table=partitions.table,
            partition_column=partitions.partition_column,
        )
        values = {**params, "sample_rows": DTYPE_SAMPLE_ROWS}
        fetched = session.fetch_arrow(query, bind(query, values))
        # Columns fetched as UTC microseconds reach pandas as the contracts' dtype, so a clean
        # sample is judged from its Arrow schema alone: a plan's gates import no pandas for it
        # (issue 15). Any other type (naive, another zone or unit, not a timestamp) goes to
        # Pandera, which judges it as it always has and shows the dtype pandas gives it.
        arrow_types = dict(zip(fetched.column_names, fetched.schema.types, strict=True))
        if all(arrow_types.get(column) == UTC_ARROW_TIMESTAMP for column in columns):
            return NO_FINDINGS
        from asset_checks import samples

        failures = samples.timestamp_dtype_failures(samples.to_frame(fetched), columns)
        return Findings(len(failures), failures)

    return FunctionRule(
        names.TIMESTAMP_DTYPE_NOT_UTC,
        f"Timestamp columns that do not reach Python as {Dtype.UTC_TIMESTAMP.value} (Pandera, on "
        f"up to {DTYPE_SAMPLE_ROWS} rows of the checked days): the sync would send wrong unix "
        "times.",
        find,
        needs_scope=True,
    )


def schema_value_rules(
    schema: TableContract,
    partitions: PartitionedTable,
    keys: Sequence[str],
    columns: Sequence[str],
) -> list[SqlRule]:
    """The contract's nullability and value checks of ``columns``, compiled to warehouse SQL.

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
            if isinstance(check, Allowed):
                allowed = check.values
                in_list, params = placeholders(f"{column}_allowed", allowed)
                rules.append(
                    scoped_rows_rule(
                        names.not_allowed_rule(column),
                        f"Rows where {column} is not one of {', '.join(allowed)}; "
                        "journeys branch on these exact values.",
                        partitions,
                        shown,
                        f"{column} IS NOT NULL AND {column} NOT IN ({in_list})",
                        schema,
                        params,
                    )
                )
            elif isinstance(check, AtLeast):
                minimum = check.minimum
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
                raise ValueError(f"Check {check.value!r} on {column} has no SQL form")
    return rules
