"""Computes sync plans in the warehouse and reads back their size.

A plan is the dry run of a sync: what would be created, changed, cleared or sent. It is
computed entirely in SQL against the ledgers, stored in plan tables, and shown in the UI
before anything leaves the warehouse; the volume guard judges it.
"""

from __future__ import annotations

import datetime as dt
import logging

from resources.warehouse import WarehouseSession, transaction
from retention_assets.sync import encoding, ledger
from retention_assets.sync.stream import SyncStream

# Events named in the log line about delivered events whose time changed.
_CHANGED_SAMPLE = 5


def _summary(
    session: WarehouseSession, stream: SyncStream, name: str, params: dict
) -> dict[str, int]:
    table = session.fetch_arrow(stream.sql(name), params)
    return {column: int(table.column(column)[0].as_py()) for column in table.column_names}


def customer_state_plan_sql(stream: SyncStream) -> str:
    """The profile plan script, with the column lists generated from the sync's attributes."""
    attributes = stream.attributes
    return stream.sql(
        "customer_state_plan",
        wide_values=encoding.wide_values_sql(attributes),
        digest_input=encoding.digest_input_sql(attributes),
        attribute_list=encoding.attribute_list_sql(attributes),
        clear_attributes=encoding.clear_attributes_sql(attributes),
    )


def plan_customer_state(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date
) -> dict[str, int]:
    """Plan the attribute changes of one customer-state partition; return its summary."""
    ledger.ensure_sync_tables(session, stream)
    ledger.ensure_source_view(session, stream)
    # The plan compares with the ledgers: they must hold every acknowledgement first, and
    # forget the people the workspace has suppressed since.
    ledger.fold_profile_acks(session, stream)
    ledger.apply_suppressions(session, stream)
    if stream.is_erasure:
        session.execute(stream.sql("erasure_plan"), {"as_of": as_of})
    else:
        session.execute(customer_state_plan_sql(stream), {"as_of": as_of})
        session.execute(
            stream.sql("removals_plan"), {"as_of": as_of, "action": stream.removal_action}
        )
    return customer_state_plan_summary(session, stream, as_of)


def removals_by_action(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date
) -> dict[str, int]:
    """The planned removals of one profile plan, per action (clear, delete, suppress)."""
    rows = session.fetch_all(stream.sql("removals_by_action"), {"as_of": as_of})
    return {str(action): int(count) for action, count in rows}


def removals_sample(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date, limit: int = 5
) -> list[tuple[str, str]]:
    """A few planned removals: ``(customer_id, action)``."""
    rows = session.fetch_all(stream.sql("removals_sample"), {"as_of": as_of, "limit": limit})
    return [(str(customer_id), str(action)) for customer_id, action in rows]


def customer_state_plan_summary(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date
) -> dict[str, int]:
    ledger.ensure_sync_tables(session, stream)
    ledger.ensure_source_view(session, stream)
    return _summary(session, stream, "plan_summary", {"as_of": as_of})


def latest_customer_state_plan(session: WarehouseSession, stream: SyncStream) -> dt.date | None:
    """The as-of day of the most recent customer-state plan, if any."""
    ledger.ensure_sync_tables(session, stream)
    return session.fetch_all(stream.sql("latest_profile_plan"))[0][0]


def customer_state_plan_sample(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date, limit: int = 5
) -> list[tuple[str, bool, str]]:
    """A few planned payloads: ``(customer_id, is_new_profile, attributes_json)``."""
    return [
        (str(row[0]), bool(row[1]), str(row[2]))
        for row in session.fetch_all(stream.sql("plan_sample"), {"as_of": as_of, "limit": limit})
    ]


def _membership_fills(stream: SyncStream) -> dict[str, str]:
    """The generated parts of the membership plan scripts, from the relationship attributes."""
    attributes = stream.attributes
    row_key = (
        "c.person_id"
        if stream.membership == "segment"
        else "'[' || to_json(c.person_id) || ',' || to_json(c.target_id) || ']'"
    )
    return {
        "wide_values": (",\n        " + encoding.wide_values_sql(attributes) if attributes else ""),
        "digest_input": encoding.digest_input_sql(attributes) if attributes else "''",
        "row_key": row_key,
    }


def plan_membership(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date
) -> dict[str, int]:
    """Plan the adds, attribute changes and removals of one membership partition.

    The rows have passed the source's blocking checks (``asset_checks.gates``): every id set,
    no pair listed twice.
    """
    ledger.ensure_sync_tables(session, stream)
    ledger.ensure_source_view(session, stream)
    ledger.fold_membership_acks(session, stream)
    with transaction(session):
        session.execute(
            stream.sql("membership_plan", **_membership_fills(stream)), {"as_of": as_of}
        )
        attributes = stream.attributes
        if attributes:
            session.execute(
                stream.sql(
                    "membership_attribute_plan",
                    wide_values=encoding.wide_values_sql(attributes),
                    attribute_list=encoding.attribute_list_sql(attributes),
                    clear_attributes=encoding.clear_attributes_sql(attributes),
                ),
                {"as_of": as_of},
            )
    return membership_plan_summary(session, stream, as_of)


def membership_plan_summary(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date
) -> dict[str, int]:
    ledger.ensure_sync_tables(session, stream)
    ledger.ensure_source_view(session, stream)
    return _summary(session, stream, "membership_plan_summary", {"as_of": as_of})


def latest_membership_plan(session: WarehouseSession, stream: SyncStream) -> dt.date | None:
    """The as-of day of the most recent membership plan still holding pairs, if any."""
    ledger.ensure_sync_tables(session, stream)
    return session.fetch_all(stream.sql("latest_membership_plan"))[0][0]


def membership_plan_sample(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date, limit: int = 10
) -> list[tuple[str, str, str, str]]:
    """A few planned pairs: ``(action, person_id, target_id, attributes_json)``."""
    return [
        (str(row[0]), str(row[1]), str(row[2]), str(row[3] or ""))
        for row in session.fetch_all(
            stream.sql("membership_plan_sample"), {"as_of": as_of, "limit": limit}
        )
    ]


def plan_events(
    session: WarehouseSession,
    stream: SyncStream,
    start: dt.date,
    end: dt.date,
    *,
    run_id: str | None = None,
    log: logging.Logger | None = None,
) -> dict[str, int]:
    """Plan the unacknowledged events of ``[start, end)``; return the plan's summary.

    Every planned event has its id before the plan is stored (assigned now if it is planned
    for the first time, else the one it was given then), so every send, and every shard of
    one, sends it under that id. The summary adds how many events changed their time after
    their id was fixed (``events_plan_changes.sql``); delivered ones are logged, not resent.
    """
    ledger.ensure_sync_tables(session, stream)
    ledger.ensure_source_view(session, stream)
    ledger.fold_event_acks(session, stream)
    params = {"start": start, "end": end}
    # The plan and the ids it assigned are stored together or not at all.
    with transaction(session):
        session.execute(
            stream.sql("events_plan"),
            {**params, "assigned_at": dt.datetime.now(dt.UTC), "run_id": run_id},
        )
    changes = _summary(session, stream, "events_plan_changes", params)
    if changes["changed_after_delivery"]:
        _log_changed_after_delivery(session, stream, log, params, changes["changed_after_delivery"])
    return {**events_plan_summary(session, stream, start, end), **changes}


def _log_changed_after_delivery(
    session: WarehouseSession,
    stream: SyncStream,
    log: logging.Logger | None,
    params: dict,
    count: int,
) -> None:
    sample = session.fetch_all(
        stream.sql("changed_after_delivery_sample"), {**params, "limit": _CHANGED_SAMPLE}
    )
    examples = ", ".join(
        f"{key} (delivered {delivered:%Y-%m-%d %H:%M:%S}, now {current:%Y-%m-%d %H:%M:%S} UTC)"
        for key, delivered, current in sample
    )
    (log or logging.getLogger(__name__)).info(
        f"{count:,} events Customer.io already holds have another occurred_at in the model now;"
        f" they are not resent and Customer.io keeps the delivered time. E.g. {examples}"
    )


def events_synced_by_other_runs(session: WarehouseSession, stream: SyncStream, run_id: str) -> int:
    """Events in the ledger that runs other than ``run_id`` recorded.

    Zero means this run is the first sync; the shards of one run share its id, so they all
    reach the same verdict whichever of them records events first.
    """
    ledger.ensure_sync_tables(session, stream)
    return int(session.fetch_all(stream.sql("events_by_other_runs"), {"run_id": run_id})[0][0])


def events_plan_summary(
    session: WarehouseSession, stream: SyncStream, start: dt.date, end: dt.date
) -> dict[str, int]:
    ledger.ensure_sync_tables(session, stream)
    ledger.ensure_source_view(session, stream)
    return _summary(session, stream, "events_plan_summary", {"start": start, "end": end})


def discard_plan(
    session: WarehouseSession, stream: SyncStream, start: dt.date, end: dt.date
) -> None:
    """Empty the stream's pending plan of ``[start, end)``: no later send may read it."""
    if stream.kind == "profiles":
        session.execute(stream.sql("discard_customer_state_plan"), {"as_of": start})
    elif stream.kind == "membership":
        session.execute(stream.sql("discard_membership_plan"), {"as_of": start})
    else:
        session.execute(stream.sql("discard_events_plan"), {"start": start, "end": end})
