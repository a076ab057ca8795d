"""Writes to the sync ledgers and the rejected-rows table.

Ledger rows are written only for rows Customer.io acknowledged. While a send runs, each
flush appends the acknowledged keys to a log (``profile_acks``, ``event_acks``): an append
costs the same however large the plan and the ledgers are. The log is folded into the
ledgers in one transaction when the send ends, and before any plan or send starts, so the
acknowledgements of a crashed run are kept. A crash between two flushes makes the next run
resend only the unflushed rows (identify is idempotent and events carry deterministic ids),
and never skip one. Membership streams (relationships, segment members) log to
``membership_acks`` and fold into ``membership_ledger`` the same way, and identity merges
to ``identity_merge_acks`` into ``identity_merges``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

import dagster as dg
import pyarrow as pa
import sqlglot
from sqlglot import exp

from resources.customerio import Rejection
from resources.warehouse import WarehouseSession, transaction
from retention_assets.specs import SpecInvalid, check_spec_against_relation
from retention_assets.specs.relation import relation_columns
from retention_assets.sync.policies import BACKFILL_SUFFIX
from retention_assets.sync.shards import UNSHARDED, Shard, shard_filter_sql
from retention_assets.sync.sql_files import sql_file
from retention_assets.sync.stream import SUPPRESSIONS_SCHEMA, SyncStream

_TIMESTAMP = pa.timestamp("us", tz="UTC")


@cache
def _sync_table_names() -> tuple[str, ...]:
    """The tables ledgers.sql creates, read from the script itself."""
    statements = sqlglot.parse(sql_file("ledgers").format(sync="s"), read="duckdb")
    tables = [
        statement.find(exp.Table)
        for statement in statements
        if isinstance(statement, exp.Create) and statement.kind == "TABLE"
    ]
    return tuple(table.name.lower() for table in tables if table is not None)


def ensure_sync_tables(session: WarehouseSession, stream: SyncStream) -> None:
    """Create the sync's ledgers, plan tables and this session's staging tables if missing.

    One query tells whether the ledgers exist: on Snowflake each of their idempotent DDL
    statements is a round trip, and every sync step and check starts here.
    """
    names = _sync_table_names()
    params: dict[str, str] = {f"table_{index}": name for index, name in enumerate(names)}
    # A person stream also reads (and may write) its workspace's suppression list.
    suppressions = (
        " OR (lower(table_schema) = $suppressions_schema AND lower(table_name) = $workspace)"
        if stream.suppresses_people
        else ""
    )
    existing = session.fetch_all(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE (lower(table_schema) = $schema"
        f" AND lower(table_name) IN ({', '.join(f'${name}' for name in params)})){suppressions}",
        {
            **params,
            "schema": stream.schema,
            "suppressions_schema": SUPPRESSIONS_SCHEMA,
            "workspace": stream.spec.workspace.name,
        },
    )[0][0]
    if existing < len(names) + bool(suppressions):
        session.execute(stream.sql("ledgers"))
        if stream.suppresses_people:
            session.execute(stream.suppressions_ddl)
    session.execute(stream.sql("staging"))


def ensure_source_view(session: WarehouseSession, stream: SyncStream) -> None:
    """(Re)create the sync's source view from its spec: the only way the engine reads a source.

    The spec is held against the relation's columns first (names, types, time zones): a spec
    that no longer fits its relation stops here, with every error, before anything is read.
    """
    columns = relation_columns(session, stream.spec.source.relation)
    errors = check_spec_against_relation(stream.spec, columns)
    if errors:
        raise dg.Failure(
            description=f"{SpecInvalid(errors)}\nNothing was planned or sent for {stream.name}.",
            allow_retries=False,
        )
    session.execute(stream.source_view_sql)


def _stage(session: WarehouseSession, table: str, rows: pa.Table) -> None:
    session.execute(f"DELETE FROM {table}")
    session.insert_arrow(table, rows)


def _log_acks(
    session: WarehouseSession,
    table: str,
    columns: dict[str, pa.Array],
    *,
    run_id: str,
    now: dt.datetime,
    as_of: dt.date | None = None,
) -> None:
    """Append acknowledged rows to one of the stream's acknowledgement logs, stamped with the
    run and the time (and the partition day where the log keeps one)."""
    count = len(next(iter(columns.values())))
    if not count:
        return
    stamps: dict[str, pa.Array] = {
        "acknowledged_at": pa.repeat(pa.scalar(now, _TIMESTAMP), count),
        "run_id": pa.repeat(pa.scalar(run_id, pa.string()), count),
    }
    if as_of is not None:
        stamps["as_of_date"] = pa.repeat(pa.scalar(as_of, pa.date32()), count)
    session.insert_arrow(table, pa.table({**columns, **stamps}))


def log_profile_acks(
    session: WarehouseSession,
    stream: SyncStream,
    customer_ids: Sequence[str],
    *,
    as_of: dt.date,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Append acknowledged profiles to the acknowledgement log (fold_profile_acks applies it)."""
    _log_acks(
        session,
        f"{stream.schema}.profile_acks",
        {"customer_id": pa.array(customer_ids, pa.string())},
        run_id=run_id,
        now=now,
        as_of=as_of,
    )


def log_membership_acks(
    session: WarehouseSession,
    stream: SyncStream,
    row_keys: Sequence[str],
    *,
    as_of: dt.date,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Append acknowledged pairs to the acknowledgement log (fold_membership_acks applies it)."""
    _log_acks(
        session,
        f"{stream.schema}.membership_acks",
        {"row_key": pa.array(row_keys, pa.string())},
        run_id=run_id,
        now=now,
        as_of=as_of,
    )


def fold_membership_acks(
    session: WarehouseSession, stream: SyncStream, shard: Shard = UNSHARDED
) -> None:
    """Move the logged acknowledgements of ``shard``'s pairs into the membership ledgers."""
    with transaction(session):
        session.execute(
            stream.sql("fold_membership_acks", shard_filter=shard_filter_sql("p.person_id")),
            {**shard.params(), "stream": stream.name},
        )


def log_event_acks(
    session: WarehouseSession,
    stream: SyncStream,
    event_keys: Sequence[str],
    event_ulids: Sequence[str],
    dispositions: Sequence[str] | None,
    *,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Append acknowledged (or suppressed) events, with their ids, to the acknowledgement log.

    ``dispositions`` holds each key's disposition; None means every one was sent as planned.
    """
    _log_acks(
        session,
        f"{stream.schema}.event_acks",
        {
            "event_key": pa.array(event_keys, pa.string()),
            "event_ulid": pa.array(event_ulids, pa.string()),
            "disposition": pa.array(
                ["sent"] * len(event_keys) if dispositions is None else dispositions, pa.string()
            ),
        },
        run_id=run_id,
        now=now,
    )


def log_removal_acks(
    session: WarehouseSession,
    stream: SyncStream,
    customer_ids: Sequence[str],
    actions: Sequence[str],
    *,
    as_of: dt.date,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Append acknowledged removals to their log (fold_profile_acks applies it)."""
    _log_acks(
        session,
        f"{stream.schema}.removal_acks",
        {
            "customer_id": pa.array(customer_ids, pa.string()),
            "action": pa.array(actions, pa.string()),
        },
        run_id=run_id,
        now=now,
        as_of=as_of,
    )


def log_merge_acks(
    session: WarehouseSession,
    stream: SyncStream,
    customer_ids: Sequence[str],
    secondary_cio_ids: Sequence[str],
    *,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Append acknowledged merges to their log (fold_identity_acks applies it)."""
    _log_acks(
        session,
        f"{stream.schema}.identity_merge_acks",
        {
            "customer_id": pa.array(customer_ids, pa.string()),
            "secondary_cio_id": pa.array(secondary_cio_ids, pa.string()),
        },
        run_id=run_id,
        now=now,
    )


def fold_identity_acks(session: WarehouseSession, stream: SyncStream) -> None:
    """Move the logged merge acknowledgements into the merge ledger, atomically."""
    with transaction(session):
        session.execute(
            stream.sql("fold_identity_acks"),
            {"stream": stream.name, "resolved_at": dt.datetime.now(dt.UTC)},
        )


def fold_profile_acks(
    session: WarehouseSession, stream: SyncStream, shard: Shard = UNSHARDED
) -> None:
    """Move the logged acknowledgements of ``shard``'s profiles and removals into the
    ledgers (and acknowledged suppresses into the workspace's suppression list), atomically."""
    with transaction(session):
        session.execute(
            stream.sql("fold_profile_acks", shard_filter=shard_filter_sql("a.customer_id")),
            {**shard.params(), "stream": stream.name},
        )
        session.execute(
            stream.sql("fold_removal_acks", shard_filter=shard_filter_sql("a.customer_id")),
            {**shard.params(), "stream": stream.name},
        )
        if stream.suppresses_people:
            session.execute(
                stream.sql("record_suppressions"),
                {"stream": stream.name, "reason": "erased" if stream.is_erasure else "suppressed"},
            )


def apply_suppressions(session: WarehouseSession, stream: SyncStream) -> None:
    """Tombstone this sync's ledger rows of people the workspace has suppressed since."""
    if stream.suppresses_people:
        with transaction(session):
            session.execute(stream.sql("apply_suppressions"))


def record_blocked_rows(
    session: WarehouseSession,
    stream: SyncStream,
    params: dict[str, object],
    *,
    partition_key: str,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Report the rows of a plan whose person is on the workspace's suppression list.

    Each is a rejected row (reason ``erased`` or ``suppressed``), never sent.
    """
    if not stream.suppresses_people or stream.is_erasure:
        return
    statement = "record_blocked_profiles" if stream.kind == "profiles" else "record_blocked_events"
    record_staged_rejections(
        session, stream, stream.sql(statement), params, partition_key, run_id, now
    )


def record_staged_rejections(
    session: WarehouseSession,
    stream: SyncStream,
    staging: str,
    params: dict[str, object],
    partition_key: str,
    run_id: str,
    now: dt.datetime,
) -> None:
    """Record as rejected rows what the statement ``staging`` stages in ``rejected_keys``:
    rows a plan reports instead of sending (blocked ids, identity conflicts)."""
    with transaction(session):
        session.execute(staging, params)
        session.execute(
            stream.sql("record_rejections"),
            {
                "stream": stream.name,
                "partition_key": partition_key,
                "run_id": run_id,
                "seen_at": now,
            },
        )


def fold_event_acks(
    session: WarehouseSession, stream: SyncStream, shard: Shard = UNSHARDED
) -> None:
    """Move the logged acknowledgements of ``shard``'s events into the event ledger, atomically."""
    with transaction(session):
        session.execute(
            stream.sql("fold_event_acks", shard_filter=shard_filter_sql("customer_id")),
            {**shard.params(), "backfill_suffix": BACKFILL_SUFFIX},
        )


def record_rejections(
    session: WarehouseSession,
    stream: SyncStream,
    rejections: Sequence[Rejection],
    *,
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
            stream.sql("record_rejections"),
            {
                "stream": stream.name,
                "partition_key": partition_key,
                "run_id": run_id,
                "seen_at": now,
            },
        )
