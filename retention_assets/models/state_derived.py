"""How the models derived from the customer state are built: day by day, from that day's state.

The loyalty programs, their members and the VIP audience are each one SELECT over
``retention.customer_state`` of one as-of day, so they agree with the profile attributes of
the same day by construction. One helper declares such an asset (partitions, dependency,
column schema and lineage onto the customer state), one builder replaces each day of a run
inside a transaction.
"""

from __future__ import annotations

from typing import Any, Final

import dagster as dg

from resources.warehouse import WarehouseResource, transaction
from retention_assets.models.build import (
    PREVIEW_ROWS,
    ModelColumn,
    column_schema,
    ensure_table,
    insert_sql,
    load_sql,
    preview_table,
)
from retention_assets.partitions import DAILY_PARTITIONS, partition_days
from retention_assets.settings import warehouse_kind

CUSTOMER_STATE_KEY: Final = dg.AssetKey("retention_customer_state")


def rebuild_days(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    table: str,
    columns: tuple[ModelColumn, ...],
    sql_file: str,
) -> dg.MaterializeResult:
    """Replace each day of the run in ``table`` with the rows of ``sql_file``."""
    insert = insert_sql(table, columns, load_sql(sql_file))
    rows_written = 0
    with warehouse.session() as session:
        ensure_table(session, table, columns)
        days = partition_days(context)
        for day in days:
            with transaction(session):
                session.execute(
                    f"DELETE FROM {table} WHERE as_of_date = $as_of_date", {"as_of_date": day}
                )
                session.execute(insert, {"as_of_date": day})
            rows = session.fetch_all(
                f"SELECT count(*) FROM {table} WHERE as_of_date = $as_of_date", {"as_of_date": day}
            )[0][0]
            context.log.info(f"{table} as of {day}: {rows} rows")
            rows_written += rows
        preview = session.fetch_arrow(
            f"SELECT * FROM {table} WHERE as_of_date = $as_of_date ORDER BY 2 LIMIT {PREVIEW_ROWS}",
            {"as_of_date": days[-1]},
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows_written,
            "last_as_of_date": str(days[-1]),
            "preview": preview_table(preview),
        }
    )


def state_derived_asset(
    key: str, about: str, table: str, columns: tuple[ModelColumn, ...], derived: dict[str, str]
) -> dict[str, Any]:
    """The ``single_run_asset`` arguments of a model built from the customer state of each day.

    ``about`` says what a row is, for the UI; ``derived`` maps each model column to the
    customer-state column it comes from (its column lineage).
    """
    lineage = {
        name: [dg.TableColumnDep(asset_key=CUSTOMER_STATE_KEY, column_name=source)]
        for name, source in derived.items()
        if name in {column.name for column in columns}
    }
    return {
        "key": key,
        "group_name": "retention",
        "description": (
            f"{about}\n\nTable `{table}`, partitioned by `as_of_date`, built from"
            " `retention.customer_state` of the same day."
        ),
        "deps": [CUSTOMER_STATE_KEY],
        "partitions_def": DAILY_PARTITIONS,
        "owners": ["team:data-engineering"],
        "kinds": {warehouse_kind(), "sql"},
        "metadata": {
            "dagster/table_name": table,
            "dagster/column_schema": column_schema(columns, {}),
            "dagster/column_lineage": dg.TableColumnLineage(deps_by_column=lineage),
        },
    }
