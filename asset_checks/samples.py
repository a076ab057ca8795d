"""The rows a check brings to Python, in pandas: read with the contracts' dtypes, judged by
their Pandera schemas, shown in the check's metadata.

The one module of the checks that imports pandas and Pandera. The others import it only once a
rule has failing rows to show, never at the top nor for a rule that passes: the code location
defines every check when it loads but runs none, every plan re-evaluates its source's blocking
checks and most find nothing, and pandas with Pandera cost about 0.6 s to import (issue 15).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Final

import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.engines import pandas_engine

from asset_checks.schemas import Allowed, AtLeast, Dtype, TableContract, TextCheck, ValueCheck
from retention_assets.privacy import shown_value

# Built from its name, so that the descriptions naming it cannot drift from it.
UTC_TIMESTAMP: Final = pd.DatetimeTZDtype.construct_from_string(Dtype.UTC_TIMESTAMP.value)
# What ``pa.Column`` is given for each contract type.
_PANDERA_DTYPES: Final[Mapping[Dtype, Any]] = {
    Dtype.TEXT: str,
    Dtype.DATE: pandas_engine.Date,
    Dtype.UTC_TIMESTAMP: UTC_TIMESTAMP,
    Dtype.INT32: "Int32",
    Dtype.INT64: "Int64",
    Dtype.BOOLEAN: "boolean",
    Dtype.MONEY: pandas_engine.Decimal(18, 2),
}
_TEXT_CHECKS: Final[Mapping[TextCheck, pa.Check]] = {
    TextCheck.NOT_BLANK: pa.Check(
        lambda values: values.str.strip().str.len() > 0,
        name=TextCheck.NOT_BLANK.value,
        element_wise=False,
    ),
    TextCheck.TRIMMED: pa.Check(
        lambda values: values.str.strip() == values,
        name=TextCheck.TRIMMED.value,
        element_wise=False,
    ),
}

# Arrow's defaults turn nullable integers into floats and nullable booleans into objects.
_NULLABLE_DTYPES: Final = {
    pyarrow.int8(): pd.Int8Dtype(),
    pyarrow.int16(): pd.Int16Dtype(),
    pyarrow.int32(): pd.Int32Dtype(),
    pyarrow.int64(): pd.Int64Dtype(),
    pyarrow.bool_(): pd.BooleanDtype(),
}


def to_frame(table: pyarrow.Table) -> pd.DataFrame:
    """Warehouse rows as pandas, with the dtypes the contracts declare."""
    return table.to_pandas(types_mapper=_NULLABLE_DTYPES.get)


def frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Failing rows a rule computed in Python."""
    return pd.DataFrame(list(records))


def _pandera_check(check: ValueCheck) -> pa.Check:
    if isinstance(check, Allowed):
        return pa.Check.isin(check.values)
    if isinstance(check, AtLeast):
        return pa.Check.ge(check.minimum)
    return _TEXT_CHECKS[check]


@cache
def pandera_schema(contract: TableContract) -> pa.DataFrameSchema:
    """The contract as a Pandera schema."""
    return pa.DataFrameSchema(
        name=contract.name,
        columns={
            name: pa.Column(
                _PANDERA_DTYPES[column.dtype],
                [_pandera_check(check) for check in column.checks],
                nullable=column.nullable,
                unique=column.unique,
            )
            for name, column in contract.columns.items()
        },
        unique=list(contract.unique) or None,
    )


def schema_failures(contract: TableContract, rows: pd.DataFrame) -> pd.Series:
    """Pandera's verdict per row, e.g. ``not_nullable(customer_id)``; empty when it passes.

    Only the schema's columns present in ``rows`` are validated (samples carry the columns
    worth showing, not whole rows). Column-level failures such as a wrong dtype are left to the
    rule that checks dtypes.
    """
    schema = pandera_schema(contract)
    present = [name for name in schema.columns if name in rows.columns]
    unique = schema.unique if schema.unique and set(schema.unique) <= set(present) else None
    subset = pa.DataFrameSchema({name: schema.columns[name] for name in present}, unique=unique)
    try:
        subset.validate(rows, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return pd.Series("", index=rows.index, dtype="str")
    row_cases = cases[cases["index"].notna()]
    verdicts: dict[int, str] = {}
    for index, group in row_cases.groupby("index"):
        by_check = group.groupby("check", sort=True)["column"].agg(
            lambda columns: ", ".join(sorted(set(columns)))
        )
        verdicts[int(index)] = "; ".join(
            f"{check}({columns})" for check, columns in by_check.items()
        )
    return pd.Series([verdicts.get(index, "") for index in rows.index], index=rows.index)


def timestamp_dtype_failures(rows: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The ``columns`` of ``rows`` that are not UTC timestamps, by Pandera; none when all are.

    Only the dtype is judged; values are other rules' business.
    """
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
        return failures.reset_index(drop=True)
    return pd.DataFrame()


def shown_sample(rows: pd.DataFrame) -> pd.DataFrame:
    """A sample as the check's metadata shows it: emails masked (``retention_assets.privacy``),
    in a column named for them or inside any text, unless full samples are on."""
    return pd.DataFrame(
        {column: [shown_value(column, value) for value in rows[column]] for column in rows.columns}
    )
