"""Computes sync plans in the warehouse and reads back their size.

A plan is the dry run of a sync: what would be created, changed, cleared or sent. It is
computed entirely in SQL against the ledgers, stored in plan tables, and shown in the UI
before anything leaves the warehouse; the volume guard judges it.
"""

from __future__ import annotations

import datetime as dt
import logging

from resources.warehouse import WarehouseSession, transaction
from retention_assets.sync import ledger
from retention_assets.sync.sql_files import customer_state_plan_sql, sql_file

# Events named in the log line about delivered events whose time changed.
_CHANGED_SAMPLE = 5


def _summary(session: WarehouseSession, name: str, params: dict) -> dict[str, int]:
    table = session.fetch_arrow(sql_file(name), params)
    return {column: int(table.column(column)[0].as_py()) for column in table.column_names}


def plan_customer_state(session: WarehouseSession, as_of: dt.date) -> dict[str, int]:
    """Plan the attribute changes of one customer-state partition; return its summary."""
    ledger.ensure_sync_tables(session)
    # The plan compares with the ledgers: they must hold every acknowledgement first.
    ledger.fold_profile_acks(session)
    session.execute(customer_state_plan_sql(), {"as_of": as_of})
    return customer_state_plan_summary(session, as_of)


def customer_state_plan_summary(session: WarehouseSession, as_of: dt.date) -> dict[str, int]:
    ledger.ensure_sync_tables(session)
    return _summary(session, "plan_summary", {"as_of": as_of})


def latest_customer_state_plan(session: WarehouseSession) -> dt.date | None:
    """The as-of day of the most recent customer-state plan, if any."""
    ledger.ensure_sync_tables(session)
    return session.fetch_all("SELECT max(as_of_date) FROM cio_sync.customer_state_plan_profiles")[
        0
    ][0]


def customer_state_plan_sample(
    session: WarehouseSession, as_of: dt.date, limit: int = 5
) -> list[tuple[str, bool, str]]:
    """A few planned payloads: ``(customer_id, is_new_profile, attributes_json)``."""
    return [
        (str(row[0]), bool(row[1]), str(row[2]))
        for row in session.fetch_all(sql_file("plan_sample"), {"as_of": as_of, "limit": limit})
    ]


def plan_events(
    session: WarehouseSession,
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
    ledger.ensure_sync_tables(session)
    ledger.fold_event_acks(session)
    params = {"start": start, "end": end}
    # The plan and the ids it assigned are stored together or not at all.
    with transaction(session):
        session.execute(
            sql_file("events_plan"),
            {**params, "assigned_at": dt.datetime.now(dt.UTC), "run_id": run_id},
        )
    changes = _summary(session, "events_plan_changes", params)
    if changes["changed_after_delivery"]:
        _log_changed_after_delivery(session, log, params, changes["changed_after_delivery"])
    return {**events_plan_summary(session, start, end), **changes}


def _log_changed_after_delivery(
    session: WarehouseSession, log: logging.Logger | None, params: dict, count: int
) -> None:
    sample = session.fetch_all(
        sql_file("changed_after_delivery_sample"), {**params, "limit": _CHANGED_SAMPLE}
    )
    examples = ", ".join(
        f"{key} (delivered {delivered:%Y-%m-%d %H:%M:%S}, now {current:%Y-%m-%d %H:%M:%S} UTC)"
        for key, delivered, current in sample
    )
    (log or logging.getLogger(__name__)).info(
        f"{count:,} events Customer.io already holds have another occurred_at in the model now;"
        f" they are not resent and Customer.io keeps the delivered time. E.g. {examples}"
    )


def events_synced_by_other_runs(session: WarehouseSession, run_id: str) -> int:
    """Events in the ledger that runs other than ``run_id`` recorded.

    Zero means this run is the first sync; the shards of one run share its id, so they all
    reach the same verdict whichever of them records events first.
    """
    ledger.ensure_sync_tables(session)
    return int(
        session.fetch_all(
            "SELECT count(*) FROM cio_sync.event_ledger WHERE run_id <> $run_id", {"run_id": run_id}
        )[0][0]
    )


def events_plan_summary(session: WarehouseSession, start: dt.date, end: dt.date) -> dict[str, int]:
    ledger.ensure_sync_tables(session)
    return _summary(session, "events_plan_summary", {"start": start, "end": end})
