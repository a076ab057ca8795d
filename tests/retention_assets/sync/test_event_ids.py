"""Event ids: deterministic, valid ULIDs that the python-ulid library reads back identically,
assigned in the warehouse (DuckDB and Snowflake alike) exactly as the Python reference makes
them, and kept once assigned."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest
from ulid import ULID

from resources.warehouse import WarehouseResource, WarehouseSession
from retention_assets.models.build import ensure_table
from retention_assets.models.events import EVENT_COLUMNS
from retention_assets.shop import EVENTS
from retention_assets.sync import ledger, plans
from retention_assets.sync.event_ids import event_ulid
from retention_assets.tables import EVENTS_TABLE

# Every day the random event times may fall on: the plan derives each event's day from its time.
WINDOW = (dt.date(1900, 1, 1), dt.date(2100, 1, 2))


@pytest.mark.parametrize(
    ("key", "milliseconds"),
    [("order:1", 0), ("order:1", 1_700_000_000_123), ("refund:é", (1 << 48) - 1), ("", 42)],
)
def test_matches_the_reference_ulid_library(key: str, milliseconds: int) -> None:
    entropy = hashlib.sha256(key.encode()).digest()[:10]
    expected = ULID.from_bytes(milliseconds.to_bytes(6, "big") + entropy)

    produced = event_ulid(key, milliseconds)

    assert produced == str(expected)
    assert ULID.from_str(produced).milliseconds == milliseconds


def test_same_key_same_id_and_different_key_different_id() -> None:
    assert event_ulid("order:1", 5) == event_ulid("order:1", 5)
    assert event_ulid("order:1", 5) != event_ulid("order:2", 5)


def test_rejects_times_outside_the_ulid_range() -> None:
    with pytest.raises(ValueError, match="out of ULID range"):
        event_ulid("order:1", 1 << 48)


def test_matches_the_reference_library_across_the_whole_range() -> None:
    rng = random.Random(7)
    for index in range(5000):
        key = f"event:{index}:{rng.random()}"
        milliseconds = rng.randrange(1 << 48)
        entropy = hashlib.sha256(key.encode()).digest()[:10]
        expected = ULID.from_bytes(milliseconds.to_bytes(6, "big") + entropy)
        assert event_ulid(key, milliseconds) == str(expected), (key, milliseconds)


def _event(key: str, occurred_at: dt.datetime) -> dict[str, Any]:
    return {
        "event_key": key,
        "event_name": "Order Placed",
        "customer_id": "c1",
        "occurred_at": occurred_at,
        "event_date": occurred_at.date(),
        "properties": "{}",
        "loaded_at": occurred_at,
    }


def _assigned(session: WarehouseSession) -> dict[str, str]:
    plans.plan_events(session, EVENTS, *WINDOW, run_id="run-1")
    return dict(session.fetch_all("SELECT event_key, event_id FROM cio_sync.event_ids"))


def test_ids_assigned_in_the_warehouse_match_the_reference(
    make_warehouse: Callable[[], WarehouseResource],
) -> None:
    rng = random.Random(5)
    times = {
        f"event:{index}:é{rng.random()}": dt.datetime.fromtimestamp(
            rng.randrange(0, 4_102_444_800_000) / 1000, dt.UTC
        )
        for index in range(400)
    }
    times["order:1"] = dt.datetime(2026, 10, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)
    with make_warehouse().session() as session:
        ensure_table(session, EVENTS_TABLE, EVENT_COLUMNS)
        ledger.ensure_sync_tables(session, EVENTS)
        session.insert_arrow(
            EVENTS_TABLE, pa.Table.from_pylist([_event(k, t) for k, t in times.items()])
        )

        assigned = _assigned(session)

    assert assigned == {
        key: event_ulid(key, round(at.timestamp() * 1000)) for key, at in times.items()
    }


def test_an_assigned_id_is_kept_when_the_event_time_changes(
    make_warehouse: Callable[[], WarehouseResource],
) -> None:
    first = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)
    with make_warehouse().session() as session:
        ensure_table(session, EVENTS_TABLE, EVENT_COLUMNS)
        ledger.ensure_sync_tables(session, EVENTS)
        session.insert_arrow(EVENTS_TABLE, pa.Table.from_pylist([_event("order:1", first)]))
        original = _assigned(session)
        session.execute(f"UPDATE {EVENTS_TABLE} SET occurred_at = occurred_at + INTERVAL 1 MINUTE")
        session.insert_arrow(EVENTS_TABLE, pa.Table.from_pylist([_event("order:2", first)]))

        again = _assigned(session)
        rows = session.fetch_all("SELECT count(*), min(occurred_at) FROM cio_sync.event_ids")

    assert original == {"order:1": event_ulid("order:1", int(first.timestamp() * 1000))}
    assert again == {**original, "order:2": event_ulid("order:2", int(first.timestamp() * 1000))}
    assert rows == [(2, first)]


def test_an_event_before_1970_gets_a_zero_time_part(
    make_warehouse: Callable[[], WarehouseResource],
) -> None:
    early = dt.datetime(1969, 12, 31, 23, 0, tzinfo=dt.UTC)
    with make_warehouse().session() as session:
        ensure_table(session, EVENTS_TABLE, EVENT_COLUMNS)
        ledger.ensure_sync_tables(session, EVENTS)
        session.insert_arrow(EVENTS_TABLE, pa.Table.from_pylist([_event("refund:1", early)]))

        assigned = _assigned(session)

    assert assigned == {"refund:1": event_ulid("refund:1", 0)}
