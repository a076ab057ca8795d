"""Writes to the sync ledgers and the rejected-rows table.

Ledger rows are written only for rows Customer.io acknowledged, in one transaction per flush,
so a crash between two flushes makes the next run resend the unflushed rows (identify is
idempotent and events carry deterministic ids), and never skip one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

import pyarrow as pa
import sqlglot
from sqlglot import exp

from resources.customerio import Rejection
from resources.warehouse import WarehouseSession, transaction
from retention_assets.sync.sql_files import sql_file
from retention_assets.tables import SYNC_SCHEMA

PROFILE_STREAM = "customer_state"
EVENT_STREAM = "events"

_ACKED_EVENTS_SCHEMA = pa.schema(
    [
        ("event_key", pa.string()),
        ("event_ulid", pa.string()),
        ("customer_id", pa.string()),
        ("event_date", pa.date32()),
        ("sent_name", pa.string()),
        ("disposition", pa.string()),
    ]
)


@cache
def _sync_table_names() -> tuple[str, ...]:
    """The tables ledgers.sql creates, read from the script itself."""
    return tuple(
        statement.find(exp.Table).name.lower()
        for statement in sqlglot.parse(sql_file("ledgers"), read="duckdb")
        if isinstance(statement, exp.Create) and statement.kind == "TABLE"
    )


def ensure_sync_tables(session: WarehouseSession) -> None:
    """Create the ledgers, plan tables and this session's staging tables if missing.

    One query tells whether the ledgers exist: on Snowflake each of their idempotent DDL
    statements is a round trip, and every sync step and check starts here.
    """
    names = _sync_table_names()
    params = {f"table_{index}": name for index, name in enumerate(names)}
    existing = session.fetch_all(
        "SELECT count(*) FROM information_schema.tables"
        f" WHERE lower(table_schema) = '{SYNC_SCHEMA}'"
        f" AND lower(table_name) IN ({', '.join(f'${name}' for name in params)})",
        params,
    )[0][0]
    if existing < len(names):
        session.execute(sql_file("ledgers"))
    session.execute(sql_file("staging"))


def _stage(session: WarehouseSession, table: str, rows: pa.Table) -> None:
    session.execute(f"DELETE FROM {table}")
    session.insert_arrow(table, rows)


def record_profile_acks(
    session: WarehouseSession,
    customer_ids: Sequence[str],
    *,
    as_of: dt.date,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Make the planned values of acknowledged profiles the ledger's values."""
    if not customer_ids:
        return
    with transaction(session):
        _stage(session, "acked_keys", pa.table({"row_key": pa.array(customer_ids, pa.string())}))
        session.execute(
            sql_file("record_profile_acks"),
            {"as_of": as_of, "run_id": run_id, "acknowledged_at": now},
        )


def record_event_acks(
    session: WarehouseSession, rows: list[tuple], *, run_id: str, now: dt.datetime
) -> None:
    """Append acknowledged (or suppressed) events to the event ledger.

    ``rows`` hold ``(event_key, event_ulid, customer_id, event_date, sent_name, disposition)``.
    """
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    staged = pa.Table.from_arrays(
        [
            pa.array(column, field.type)
            for column, field in zip(columns, _ACKED_EVENTS_SCHEMA, strict=True)
        ],
        schema=_ACKED_EVENTS_SCHEMA,
    )
    with transaction(session):
        _stage(session, "acked_events", staged)
        session.execute(sql_file("record_event_acks"), {"run_id": run_id, "acknowledged_at": now})


def record_rejections(
    session: WarehouseSession,
    rejections: Sequence[Rejection],
    *,
    stream: str,
    partition_key: str,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Open (or count another attempt on) a rejected-row record per rejection."""
    if not rejections:
        return
    latest = {rejection.key: rejection for rejection in rejections}
    staged = pa.table(
        {
            "row_key": pa.array(list(latest), pa.string()),
            "reason": pa.array([r.reason for r in latest.values()], pa.string()),
            "field": pa.array([r.field for r in latest.values()], pa.string()),
            "message": pa.array([r.message for r in latest.values()], pa.string()),
        }
    )
    with transaction(session):
        _stage(session, "rejected_keys", staged)
        session.execute(
            sql_file("record_rejections"),
            {"stream": stream, "partition_key": partition_key, "run_id": run_id, "seen_at": now},
        )
