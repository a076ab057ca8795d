"""The warehouse a sync benchmark reads: generated sources, both models, and ways to reset it.

The sync benchmarks need what production has on the day of a first sync: the last two
partitions of customer state and a whole history of events. The models engineer's
``model_build`` times one partition of each model and throws its database away; this module
builds the same models into a file that stays, with the events model run once over the whole
generated period (a single-run range backfill, as an operator would do before the first sync),
and offers the two edits the benchmark makes between runs: forget every sync (drop the
``cio_sync`` schema) and change a share of the customers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import dagster as dg
import duckdb

from resources.warehouse import DuckDBSession, DuckDBWarehouse
from retention_assets.models import retention_customer_state, retention_events
from retention_assets.partitions import DAILY_PARTITIONS, RANGE_END_TAG, RANGE_START_TAG
from retention_assets.settings import load_settings
from retention_assets.sources.generator import generate_sources
from retention_assets.sync.policies import EVENTS_TRAILING_DAYS
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE, SYNC_SCHEMA

# Keep Dagster's per-step console logging out of the benchmark's output.
QUIET_RUN: Final = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

# One customer in a hundred, picked by a hash of the id so every run picks the same ones.
# coalesce: a null would stay null after "+ 1" and the row would not change at all.
_CHANGE_SQL: Final = f"""
UPDATE {CUSTOMER_STATE_TABLE}
SET loyalty_points = coalesce(loyalty_points, 0) + 1
WHERE as_of_date = $as_of AND hash(customer_id) % 100 < $percent
"""

# One customer in a hundred again, changed where a user's data changes: each gets a loyalty
# account update landed at noon of the partition day (one more point than its latest balance,
# or a first bronze account), so a model build of that day picks it up.
_CHANGE_SOURCES_SQL: Final = """
INSERT INTO raw.loyalty_accounts (customer_id, points_balance, tier, updated_at, _loaded_at)
SELECT picked.customer_id, coalesce(latest.points_balance, 0) + 1,
    coalesce(latest.tier, 'bronze'), $at, $at
FROM (
    SELECT DISTINCT customer_id FROM raw.customers
    WHERE customer_id IS NOT NULL AND hash(customer_id) % 100 < $percent
) AS picked
LEFT JOIN (
    SELECT customer_id, points_balance, tier FROM raw.loyalty_accounts
    QUALIFY row_number() OVER (
        PARTITION BY customer_id ORDER BY updated_at DESC, _loaded_at DESC
    ) = 1
) AS latest ON latest.customer_id = picked.customer_id
"""


@dataclass(frozen=True)
class Workload:
    """A DuckDB file holding one partition of customer state and every generated event."""

    database: Path
    customers: int
    days: int
    as_of: dt.date
    events: int
    events_start: dt.date
    events_end: dt.date
    """Exclusive end of the events window: the day after ``as_of``."""
    prepare_seconds: float
    events_backfill_seconds: float
    raw_rows: int
    generation_seconds: float
    state_seconds: tuple[float, float]
    """The customer-state builds: the day before ``as_of`` in full, then ``as_of`` from it."""

    @classmethod
    def read(cls, database: Path, days: int) -> Workload:
        """The workload a file built by ``build_workload`` holds (preparation times unknown)."""
        with DuckDBWarehouse(database=str(database)).session() as session:
            ((as_of,),) = session.fetch_all(f"SELECT max(as_of_date) FROM {CUSTOMER_STATE_TABLE}")
            ((customers,),) = session.fetch_all(
                f"SELECT count(*) FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $as_of",
                {"as_of": as_of},
            )
            ((events, events_start),) = session.fetch_all(
                f"SELECT count(*), min(event_date) FROM {EVENTS_TABLE}"
            )
        return cls(
            database=database,
            customers=int(customers),
            days=days,
            as_of=as_of,
            events=int(events),
            events_start=events_start,
            events_end=as_of + dt.timedelta(days=1),
            prepare_seconds=float("nan"),
            events_backfill_seconds=float("nan"),
            raw_rows=0,
            generation_seconds=float("nan"),
            state_seconds=(float("nan"), float("nan")),
        )

    @contextmanager
    def session(self) -> Iterator[DuckDBSession]:
        """A session on the file, quiet: DuckDB's progress bar would land in the report."""
        with DuckDBWarehouse(database=str(self.database)).session() as session:
            quiet(session)
            yield session

    @property
    def trailing_start(self) -> dt.date:
        """First day of the hourly event schedule's window (it re-sends the last few days)."""
        return self.events_end - dt.timedelta(days=EVENTS_TRAILING_DAYS)


def quiet(session: DuckDBSession) -> None:
    """Turn off DuckDB's progress bar, which it prints for queries over two seconds."""
    session.execute("SET enable_progress_bar = false")


def _materialize(asset: dg.AssetsDefinition, warehouse: DuckDBWarehouse, **options: object) -> None:
    dg.materialize(
        [asset],
        resources={"warehouse": warehouse},
        instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET_RUN,
        **options,  # type: ignore[arg-type]
    )


def build_workload(database: Path, customers: int, days: int, as_of: dt.date) -> Workload:
    """Generate ``days`` of sources ending on ``as_of`` and build both models into ``database``."""
    started = time.perf_counter()
    with duckdb.connect(database) as con:
        generated = generate_sources(
            con,
            customers=customers,
            days=days,
            end_date=as_of,
            shop_timezone=load_settings().shop_timezone,
        )
        con.execute("CHECKPOINT")
    generation_seconds = time.perf_counter() - started
    warehouse = DuckDBWarehouse(database=str(database))
    # The day before as well, as the daily schedule built it: a later rebuild of as_of (the
    # 1% change) starts from it, as a user's would.
    state_seconds = []
    for day in (as_of - dt.timedelta(days=1), as_of):
        build_started = time.perf_counter()
        _materialize(retention_customer_state, warehouse, partition_key=day.isoformat())
        state_seconds.append(time.perf_counter() - build_started)
    first_partition = DAILY_PARTITIONS.first_day()
    events_start = max(first_partition, as_of - dt.timedelta(days=days))
    backfill_started = time.perf_counter()
    _materialize(
        retention_events,
        warehouse,
        tags={RANGE_START_TAG: events_start.isoformat(), RANGE_END_TAG: as_of.isoformat()},
    )
    events_backfill_seconds = time.perf_counter() - backfill_started
    with warehouse.session() as session:
        quiet(session)
        session.execute("CHECKPOINT")
        (events,) = session.fetch_all(f"SELECT count(*) FROM {EVENTS_TABLE}")[0]
    return Workload(
        database=database,
        customers=customers,
        days=days,
        as_of=as_of,
        events=int(events),
        events_start=events_start,
        events_end=as_of + dt.timedelta(days=1),
        prepare_seconds=time.perf_counter() - started,
        events_backfill_seconds=events_backfill_seconds,
        raw_rows=sum(generated.row_counts.values()),
        generation_seconds=generation_seconds,
        state_seconds=(state_seconds[0], state_seconds[1]),
    )


def forget_syncs(workload: Workload) -> None:
    """Drop the ledgers and plans, so the next sync is a first sync again."""
    with workload.session() as session:
        session.execute(f"DROP SCHEMA IF EXISTS {SYNC_SCHEMA} CASCADE")
        session.execute("CHECKPOINT")


def change_customers(workload: Workload, percent: int = 1) -> int:
    """Change one attribute of ``percent`` % of the partition's customers; return how many."""
    with workload.session() as session:
        session.execute(_CHANGE_SQL, {"as_of": workload.as_of, "percent": percent})
        (changed,) = session.fetch_all(
            f"SELECT count(*) FROM {CUSTOMER_STATE_TABLE}"
            " WHERE as_of_date = $as_of AND hash(customer_id) % 100 < $percent",
            {"as_of": workload.as_of, "percent": percent},
        )[0]
    return int(changed)


def change_sources(workload: Workload, change_round: int, percent: int = 1) -> int:
    """Land a loyalty update for ``percent`` % of the customers on the partition day, in the
    raw tables (the model is not rebuilt here); return how many rows landed. Round ``n`` lands
    ``n`` minutes after noon, so each round's update is the latest of its customers."""
    at = dt.datetime.combine(workload.as_of, dt.time(12)) + dt.timedelta(minutes=change_round)
    with workload.session() as session:
        (before,) = session.fetch_all("SELECT count(*) FROM raw.loyalty_accounts")[0]
        session.execute(_CHANGE_SOURCES_SQL, {"at": at, "percent": percent})
        (after,) = session.fetch_all("SELECT count(*) FROM raw.loyalty_accounts")[0]
    return int(after) - int(before)
