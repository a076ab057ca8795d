"""Streams planned rows from the warehouse to Customer.io and accounts for every one.

Rows leave the warehouse in bounded Arrow batches, already serialised as Track API v2
entries by the SQL (events with the ids their plan assigned), and come back from the client as
acknowledged or rejected. Acknowledgements are appended to the acknowledgement log every few
seconds and folded into the ledgers when the send ends, rejections go to the rejected-rows
table, so progress survives a crash and memory stays flat however many rows a partition holds.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
import pyarrow as pa

from resources.customerio import BatchOutcome, Operation, Rejection, TrackClient
from resources.customerio.limits import (
    ATTRIBUTE_VALUE_MAX_BYTES,
    EVENT_NAME_MAX_BYTES,
    IDENTIFIER_MAX_BYTES,
)
from resources.warehouse import WarehouseSession, transaction
from retention_assets.sync import ledger
from retention_assets.sync.policies import (
    BACKFILL_PROPERTY,
    BACKFILL_SUFFIX,
    BackfillPolicy,
    trigger_cutoff,
)
from retention_assets.sync.shards import UNSHARDED, Shard, shard_filter_sql
from retention_assets.sync.stream import SyncStream

# A flush appends to the acknowledgement log, so it is cheap; it bounds what a crash can lose
# (to be resent) and the memory the unflushed keys take.
FLUSH_ROWS = 100_000
FLUSH_SECONDS = 2.0
PROGRESS_SECONDS = 10.0
REJECTION_SAMPLE = 20
# What happens to an event inside the trigger window, by the run's backfill policy.
_ELIGIBLE_DISPOSITION = {
    None: "sent",
    BackfillPolicy.RENAME: "renamed",
    BackfillPolicy.MARK: "marked",
    BackfillPolicy.SUPPRESS: "suppressed",
}
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


def sharded_statement(stream: SyncStream, name: str, customer_column: str) -> str:
    """A send statement restricted to one shard's customers (``$shard_index``, ``$shard_count``)."""
    return stream.sql(name, shard_filter=shard_filter_sql(customer_column))


def profiles_to_send_sql(stream: SyncStream) -> str:
    """Columns: customer_id, entry (JSON text), needs_check."""
    return sharded_statement(stream, "profiles_to_send", "p.customer_id")


def events_to_send_sql(stream: SyncStream) -> str:
    """Columns: event_key, event_name, customer_id, occurred_at_ms, disposition, properties,
    event_id, entry (JSON text), needs_check."""
    return sharded_statement(stream, "events_to_send", "p.customer_id")


def _count(
    session: WarehouseSession, stream: SyncStream, name: str, customer_column: str, params: dict
) -> int:
    return int(session.fetch_all(sharded_statement(stream, name, customer_column), params)[0][0])


def _as_bytes(column: pa.Array | pa.ChunkedArray) -> list[bytes]:
    """A text column's values as UTF-8 bytes, converted by Arrow rather than row by row."""
    return cast(list[bytes], column.cast(pa.binary()).to_pylist())


def _texts(column: pa.Array | pa.ChunkedArray) -> list[str]:
    """A key column's values; the SQL never yields a null key."""
    return cast(list[str], column.to_pylist())


def profiles_to_send_params(as_of: dt.date, shard: Shard = UNSHARDED) -> dict[str, Any]:
    """The parameters of ``PROFILES_TO_SEND`` for one partition and shard."""
    return {
        "as_of": as_of,
        **shard.params(),
        # Customer.io applies identify calls in timestamp order: stamp them with the as-of time.
        "stamp": str(_end_of_day_epoch(as_of)),
        "value_max_bytes": ATTRIBUTE_VALUE_MAX_BYTES,
        "identifier_max_bytes": IDENTIFIER_MAX_BYTES,
    }


def events_to_send_params(
    start: dt.date,
    end: dt.date,
    shard: Shard,
    backfill_policy: BackfillPolicy | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The parameters of ``EVENTS_TO_SEND`` for a window, a shard and the run's policy."""
    return {
        "start": start,
        "end": end,
        **shard.params(),
        "trigger_cutoff": trigger_cutoff(now),
        "eligible_disposition": _ELIGIBLE_DISPOSITION[backfill_policy],
        "backfill_suffix": BACKFILL_SUFFIX,
        "identifier_max_bytes": IDENTIFIER_MAX_BYTES,
        "event_name_max_bytes": EVENT_NAME_MAX_BYTES,
    }


def _drain(
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
    stream: SyncStream,
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
    ledger.ensure_sync_tables(session, stream)
    # Acknowledgements a crashed send left in the log are kept before anything is re-read.
    ledger.fold_profile_acks(session, stream, shard)
    params = {"as_of": as_of, **shard.params()}
    with transaction(session):
        session.execute(
            sharded_statement(stream, "settle_unchanged_profiles", "pp.customer_id"),
            {**params, "run_id": run_id, "acknowledged_at": dt.datetime.now(dt.UTC)},
        )
    report = SyncReport(
        planned=_count(session, stream, "profiles_to_send_count", "pp.customer_id", params)
    )
    if not report.planned:
        report.seconds = time.monotonic() - started
        return report
    # Fail fast on bad credentials or region, but spend no request when nothing changed.
    client.check_credentials()
    query_params = profiles_to_send_params(as_of, shard)

    def operations() -> Iterable[Operation]:
        for batch in session.stream(profiles_to_send_sql(stream), query_params):
            ids = _texts(batch.column(0))
            entries = _as_bytes(batch.column(1))
            needs_check = batch.column(2).to_pylist()
            report.sent += len(ids)
            for customer_id, entry, check in zip(ids, entries, needs_check, strict=True):
                yield (
                    Operation(customer_id, orjson.loads(entry))
                    if check
                    else Operation.prechecked(customer_id, entry)
                )

    def flush(accepted: list[str], rejected: list[Rejection]) -> None:
        now = dt.datetime.now(dt.UTC)
        ledger.log_profile_acks(session, stream, accepted, as_of=as_of, run_id=run_id, now=now)
        ledger.record_rejections(
            session,
            stream,
            rejected,
            partition_key=partition_key,
            run_id=run_id,
            now=now,
        )

    progress = _Progress(log, f"{stream.name} sync", report.planned)
    try:
        _drain(client.iter_send(operations()), report, progress, flush)
    finally:
        ledger.fold_profile_acks(session, stream, shard)
    report.seconds = time.monotonic() - started
    return report


def event_entry(
    customer_id: str,
    name: str,
    ulid: str,
    occurred_at_ms: int,
    properties: str | None,
    disposition: str,
) -> dict[str, Any]:
    """One event's v2 entry as a dict: for the rows the SQL leaves to the client to build."""
    attributes = orjson.loads(properties) if properties else {}
    if disposition == "renamed":
        name += BACKFILL_SUFFIX
    elif disposition == "marked":
        attributes[BACKFILL_PROPERTY] = True
    return {
        "type": "person",
        "identifiers": {"id": customer_id},
        "action": "event",
        "name": name,
        "id": ulid,
        "timestamp": occurred_at_ms // 1000,
        "attributes": attributes,
    }


def _event_entry_of(batch: pa.RecordBatch, index: int) -> dict[str, Any]:
    """The entry of row ``index`` of an ``EVENTS_TO_SEND`` batch, built in Python."""
    _key, name, customer_id, occurred_ms, disposition, properties, ulid = (
        batch.column(column)[index].as_py() for column in range(7)
    )
    return event_entry(customer_id, name, ulid, occurred_ms, properties, disposition)


def sync_events(
    session: WarehouseSession,
    stream: SyncStream,
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
    """Send the planned, unacknowledged events of ``[start, end)`` under their planned ids.

    ``backfill_policy`` is set when the run is a backfill or the first sync: events inside
    Customer.io's trigger window are then renamed, marked or suppressed so that they cannot
    start a live journey. Only the events of ``shard``'s customers are sent.
    """
    started = time.monotonic()
    ledger.ensure_sync_tables(session, stream)
    ledger.fold_event_acks(session, stream, shard)
    params = {"start": start, "end": end, **shard.params()}
    report = SyncReport(
        planned=_count(session, stream, "events_to_send_count", "p.customer_id", params)
    )
    if not report.planned:
        report.seconds = time.monotonic() - started
        return report
    # Fail fast on bad credentials or region, but spend no request when nothing changed.
    client.check_credentials()
    query_params = events_to_send_params(start, end, shard, backfill_policy, now)
    # The ULID of every event in flight, the disposition of those not sent under their own
    # name, and the suppressed events to record; filled by the operations generator, which
    # the client may consume on another thread.
    in_flight: dict[str, str] = {}
    dispositions: dict[str, str] = {}
    suppressed: deque[tuple[str, str]] = deque()

    def operations() -> Iterable[Operation]:
        for batch in session.stream(events_to_send_sql(stream), query_params):
            keys = _texts(batch.column(0))
            kinds = _texts(batch.column(4))
            ulids = _texts(batch.column(6))
            entries = _as_bytes(batch.column(7))
            checks = batch.column(8).to_pylist()
            rows = zip(keys, kinds, ulids, entries, checks, strict=True)
            for index, (key, disposition, ulid, entry, check) in enumerate(rows):
                if disposition != "sent":
                    if disposition == "suppressed":
                        suppressed.append((key, ulid))
                        report.skipped += 1
                        continue
                    dispositions[key] = disposition
                in_flight[key] = ulid
                report.sent += 1
                if check:
                    yield Operation(key, _event_entry_of(batch, index))
                else:
                    yield Operation.prechecked(key, entry)

    def flush(accepted: list[str], rejected: list[Rejection]) -> None:
        flushed_at = dt.datetime.now(dt.UTC)
        keys = accepted
        ulids = [in_flight.pop(key) for key in accepted]
        kinds = None
        if dispositions or suppressed:
            kinds = [dispositions.pop(key, "sent") for key in accepted]
            keys = [*accepted, *(key for key, _ulid in suppressed)]
            ulids += [ulid for _key, ulid in suppressed]
            kinds += ["suppressed"] * len(suppressed)
            suppressed.clear()
        ledger.log_event_acks(session, stream, keys, ulids, kinds, run_id=run_id, now=flushed_at)
        for rejection in rejected:
            in_flight.pop(rejection.key, None)
            dispositions.pop(rejection.key, None)
        ledger.record_rejections(
            session,
            stream,
            rejected,
            partition_key=partition_key,
            run_id=run_id,
            now=flushed_at,
        )

    progress = _Progress(log, f"{stream.name} sync", report.planned)
    try:
        _drain(client.iter_send(operations()), report, progress, flush)
    finally:
        ledger.fold_event_acks(session, stream, shard)
    report.seconds = time.monotonic() - started
    return report
