"""Streams planned rows from the warehouse to Customer.io and accounts for every one.

Rows leave the warehouse in bounded Arrow batches, become Track API v2 operations, and come
back from the client as acknowledged or rejected. Acknowledgements are flushed to the ledger
every few seconds, rejections to the rejected-rows table, so progress survives a crash and
memory stays flat however many rows a partition holds.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import orjson

from resources.customerio import BatchOutcome, Operation, Rejection, TrackClient
from resources.warehouse import WarehouseSession, transaction
from retention_assets.sync import ledger
from retention_assets.sync.event_ids import event_ulid
from retention_assets.sync.policies import (
    BACKFILL_PROPERTY,
    BACKFILL_SUFFIX,
    BackfillPolicy,
    is_trigger_eligible,
)
from retention_assets.sync.shards import UNSHARDED, Shard
from retention_assets.sync.sql_files import sharded_sql

FLUSH_ROWS = 20_000
FLUSH_SECONDS = 2.0
PROGRESS_SECONDS = 10.0
REJECTION_SAMPLE = 20
# The SyncReport fields that add up across shards.
_COUNTS = (
    "planned",
    "sent",
    "accepted",
    "rejected",
    "skipped",
    "requests",
    "bytes_sent",
    "retries",
)


@dataclass
class SyncReport:
    """What one send did; becomes the sync asset's numeric metadata."""

    planned: int = 0
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    requests: int = 0
    bytes_sent: int = 0
    retries: int = 0
    seconds: float = 0.0
    rejection_sample: list[Rejection] = field(default_factory=list)

    def add(self, outcome: BatchOutcome) -> None:
        self.accepted += len(outcome.accepted)
        self.rejected += len(outcome.rejected)
        self.requests += outcome.requests
        self.bytes_sent += outcome.bytes_sent
        self.retries += outcome.retries
        room = REJECTION_SAMPLE - len(self.rejection_sample)
        if room > 0:
            self.rejection_sample.extend(outcome.rejected[:room])

    @property
    def rows_per_second(self) -> float:
        return (self.accepted + self.rejected) / self.seconds if self.seconds else 0.0

    @classmethod
    def combined(cls, reports: Sequence[SyncReport]) -> SyncReport:
        """The report of shards that ran side by side: counts add up, time is the longest."""
        total = cls(seconds=max((report.seconds for report in reports), default=0.0))
        for report in reports:
            for name in _COUNTS:
                setattr(total, name, getattr(total, name) + getattr(report, name))
            room = REJECTION_SAMPLE - len(total.rejection_sample)
            total.rejection_sample.extend(report.rejection_sample[:room])
        return total


class _Progress:
    """Logs done/total, rate and ETA at a steady interval during a long send."""

    def __init__(self, log: logging.Logger | None, what: str, total: int) -> None:
        self._log, self._what, self._total = log, what, total
        self._started = self._last = time.monotonic()

    def update(self, done: int) -> None:
        now = time.monotonic()
        if self._log is None or now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        rate = done / (now - self._started)
        eta = (self._total - done) / rate if rate else float("inf")
        self._log.info(
            f"{self._what}: {done:,}/{self._total:,} rows, {rate:,.0f} rows/s, ETA {eta:,.0f} s"
        )


def _end_of_day_epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, dt.UTC).timestamp())


def _count(session: WarehouseSession, sql: str, params: dict) -> int:
    return int(session.fetch_all(f"SELECT count(*) FROM ({sql}) AS planned", params)[0][0])


def _drain(
    session: WarehouseSession,
    outcomes: Iterator[BatchOutcome],
    report: SyncReport,
    progress: _Progress,
    flush: Callable[[list[str], list[Rejection]], None],
) -> None:
    """Consume client outcomes, flushing acknowledged and rejected keys in bounded chunks."""
    accepted: list[str] = []
    rejected: list[Rejection] = []
    last_flush = time.monotonic()
    for outcome in outcomes:
        report.add(outcome)
        accepted.extend(outcome.accepted)
        rejected.extend(outcome.rejected)
        pending = len(accepted) + len(rejected)
        if pending >= FLUSH_ROWS or time.monotonic() - last_flush >= FLUSH_SECONDS:
            flush(accepted, rejected)
            accepted, rejected = [], []
            last_flush = time.monotonic()
        progress.update(report.accepted + report.rejected)
    flush(accepted, rejected)


def sync_profiles(
    session: WarehouseSession,
    client: TrackClient,
    *,
    as_of: dt.date,
    run_id: str,
    partition_key: str,
    shard: Shard = UNSHARDED,
    log: logging.Logger | None = None,
) -> SyncReport:
    """Send the planned attribute changes of one partition as identify calls by customer id.

    Only the customers of ``shard`` are settled, sent and recorded: the shards of one
    partition can run side by side and together do exactly what one unsharded send does.
    """
    started = time.monotonic()
    ledger.ensure_sync_tables(session)
    params = {"as_of": as_of, **shard.params()}
    with transaction(session):
        session.execute(
            sharded_sql("settle_unchanged_profiles", "pp.customer_id"),
            {**params, "run_id": run_id, "acknowledged_at": dt.datetime.now(dt.UTC)},
        )
    query = sharded_sql("profiles_to_send", "p.customer_id")
    report = SyncReport(planned=_count(session, query, params))
    if report.planned:
        # Fail fast on bad credentials or region, but spend no request when nothing changed.
        client.check_credentials()
    # Customer.io applies identify calls in timestamp order: stamp them with the as-of time.
    stamp = _end_of_day_epoch(as_of)

    def operations() -> Iterable[Operation]:
        for batch in session.stream(query, params):
            ids = batch.column(0).to_pylist()
            attributes = batch.column(1).to_pylist()
            report.sent += len(ids)
            for customer_id, attributes_json in zip(ids, attributes, strict=True):
                yield Operation(
                    customer_id,
                    {
                        "type": "person",
                        "identifiers": {"id": customer_id},
                        "action": "identify",
                        "attributes": orjson.loads(attributes_json),
                        "timestamp": stamp,
                    },
                )

    def flush(accepted: list[str], rejected: list[Rejection]) -> None:
        now = dt.datetime.now(dt.UTC)
        ledger.record_profile_acks(session, accepted, as_of=as_of, run_id=run_id, now=now)
        ledger.record_rejections(
            session,
            rejected,
            stream=ledger.PROFILE_STREAM,
            partition_key=partition_key,
            run_id=run_id,
            now=now,
        )

    progress = _Progress(log, "customer_state sync", report.planned)
    _drain(session, client.iter_send(operations()), report, progress, flush)
    report.seconds = time.monotonic() - started
    return report


def sync_events(
    session: WarehouseSession,
    client: TrackClient,
    *,
    start: dt.date,
    end: dt.date,
    run_id: str,
    partition_key: str,
    backfill_policy: BackfillPolicy | None,
    now: dt.datetime,
    shard: Shard = UNSHARDED,
    log: logging.Logger | None = None,
) -> SyncReport:
    """Send the planned, unacknowledged events of ``[start, end)`` with deterministic ids.

    ``backfill_policy`` is set when the run is a backfill or the first sync: events inside
    Customer.io's trigger window are then renamed, marked or suppressed so that they cannot
    start a live journey. Only the events of ``shard``'s customers are sent.
    """
    started = time.monotonic()
    ledger.ensure_sync_tables(session)
    params = {"start": start, "end": end, **shard.params()}
    query = sharded_sql("events_to_send", "p.customer_id")
    report = SyncReport(planned=_count(session, query, params))
    if report.planned:
        # Fail fast on bad credentials or region, but spend no request when nothing changed.
        client.check_credentials()
    in_flight: dict[str, tuple] = {}
    # Filled by the operations generator, which the client may consume on another thread.
    suppressed: deque[tuple] = deque()

    def operations() -> Iterable[Operation]:
        for batch in session.stream(query, params):
            rows = zip(*(batch.column(i).to_pylist() for i in range(6)), strict=True)
            for key, name, customer_id, occurred_ms, event_date, properties in rows:
                ulid = event_ulid(key, occurred_ms)
                attributes = orjson.loads(properties) if properties else {}
                sent_name, disposition = name, "sent"
                occurred_at = dt.datetime.fromtimestamp(occurred_ms / 1000, dt.UTC)
                if backfill_policy is not None and is_trigger_eligible(occurred_at, now):
                    if backfill_policy is BackfillPolicy.SUPPRESS:
                        suppressed.append((key, ulid, customer_id, event_date, None, "suppressed"))
                        report.skipped += 1
                        continue
                    if backfill_policy is BackfillPolicy.RENAME:
                        sent_name, disposition = name + BACKFILL_SUFFIX, "renamed"
                    else:
                        attributes[BACKFILL_PROPERTY] = True
                        disposition = "marked"
                in_flight[key] = (key, ulid, customer_id, event_date, sent_name, disposition)
                report.sent += 1
                yield Operation(
                    key,
                    {
                        "type": "person",
                        "identifiers": {"id": customer_id},
                        "action": "event",
                        "name": sent_name,
                        "id": ulid,
                        "timestamp": occurred_ms // 1000,
                        "attributes": attributes,
                    },
                )

    def flush(accepted: list[str], rejected: list[Rejection]) -> None:
        flushed_at = dt.datetime.now(dt.UTC)
        rows = [in_flight.pop(key) for key in accepted]
        while suppressed:
            rows.append(suppressed.popleft())
        ledger.record_event_acks(session, rows, run_id=run_id, now=flushed_at)
        for rejection in rejected:
            in_flight.pop(rejection.key, None)
        ledger.record_rejections(
            session,
            rejected,
            stream=ledger.EVENT_STREAM,
            partition_key=partition_key,
            run_id=run_id,
            now=flushed_at,
        )

    progress = _Progress(log, "events sync", report.planned)
    _drain(session, client.iter_send(operations()), report, progress, flush)
    report.seconds = time.monotonic() - started
    return report
