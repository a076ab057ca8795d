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
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import orjson
import pyarrow as pa

from resources.customerio import (
    AppClient,
    BatchOutcome,
    MembershipChange,
    Operation,
    Rejection,
    TrackClient,
)
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
    "removals",
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
    # Of ``sent``: removals (clear, delete, suppress) of people who left the source or asked
    # to be erased.
    removals: int = 0
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
    def in_sequence(cls, reports: Sequence[SyncReport]) -> SyncReport:
        """The report of sends that ran one after the other (one shard's identifies, then its
        removals): counts and time add up."""
        total = cls.combined(reports)
        total.seconds = sum(report.seconds for report in reports)
        return total

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


def profiles_to_send_params(
    stream: SyncStream, as_of: dt.date, shard: Shard = UNSHARDED
) -> dict[str, Any]:
    """The parameters of ``PROFILES_TO_SEND`` for one stream, partition and shard."""
    return {
        "identifiers_prefix": stream.identifiers_prefix,
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


# What a send hands the client per planned row: a v2 batch entry, or a segment member change.
Item = TypeVar("Item", Operation, MembershipChange)


class _StreamSend(ABC, Generic[Item]):
    """The lifecycle every send shares, one shard of one stream; a stream kind fills in hooks.

    Fold what a crashed send left acknowledged, prepare, count the plan, then (only when
    something is planned) check credentials, stream the planned rows as operations through the
    client, flush acknowledgements and rejections as they come, settle what the answers could
    not tell, and fold again at the end, even when the send fails part-way.
    """

    def __init__(
        self,
        session: WarehouseSession,
        stream: SyncStream,
        *,
        run_id: str,
        partition_key: str,
        shard: Shard,
    ) -> None:
        self.session, self.stream, self.shard = session, stream, shard
        self.run_id, self.partition_key = run_id, partition_key

    @abstractmethod
    def fold(self) -> None:
        """Fold this shard's acknowledgement log into the ledgers."""

    @abstractmethod
    def prepare(self) -> None:
        """Settle what needs no request before the plan is counted."""

    @abstractmethod
    def planned(self) -> int:
        """How many rows this shard has to send."""

    @abstractmethod
    def rows(self) -> tuple[str, dict[str, Any]]:
        """The statement that yields the planned rows, and its parameters."""

    @abstractmethod
    def operations(self, batch: pa.RecordBatch, report: SyncReport) -> Iterator[Item]:
        """One batch of planned rows as client operations, counted in ``report``."""

    def deliver(self, client: TrackClient, items: Iterator[Item]) -> Iterator[BatchOutcome]:
        """Send the operations and yield the client's outcomes: Track API v2 batches."""
        return client.iter_send(cast(Iterator[Any], items))

    def after_send(self) -> None:
        """Settle what a 200 did not tell, before the final fold (nothing, by default)."""

    @abstractmethod
    def log_acks(self, accepted: list[str], now: dt.datetime) -> None:
        """Append the acknowledged keys to the acknowledgement log."""

    @abstractmethod
    def forget(self, rejected: Sequence[Rejection]) -> None:
        """Drop what was kept in memory for rows Customer.io refused."""

    def _flush(self, accepted: list[str], rejected: list[Rejection]) -> None:
        now = dt.datetime.now(dt.UTC)
        self.log_acks(accepted, now)
        self.forget(rejected)
        ledger.record_rejections(
            self.session,
            self.stream,
            rejected,
            partition_key=self.partition_key,
            run_id=self.run_id,
            now=now,
        )

    def run(self, client: TrackClient, log: logging.Logger | None) -> SyncReport:
        started = time.monotonic()
        ledger.ensure_sync_tables(self.session, self.stream)
        # Acknowledgements a crashed send left in the log are kept before anything is re-read.
        self.fold()
        self.prepare()
        report = SyncReport(planned=self.planned())
        if report.planned:
            # Fail fast on bad credentials or region, but spend no request when nothing changed.
            client.check_credentials()
            statement, params = self.rows()

            def operations() -> Iterator[Item]:
                for batch in self.session.stream(statement, params):
                    yield from self.operations(batch, report)

            progress = _Progress(log, f"{self.stream.name} sync", report.planned)
            try:
                _drain(self.deliver(client, operations()), report, progress, self._flush)
                self.after_send()
            finally:
                self.fold()
        report.seconds = time.monotonic() - started
        return report


class _ProfileSend(_StreamSend[Operation]):
    """Identify calls by customer id for the planned attribute changes of one as-of day."""

    def __init__(self, session: WarehouseSession, stream: SyncStream, *, as_of: dt.date, **kw: Any):
        super().__init__(session, stream, **kw)
        self.as_of = as_of

    def fold(self) -> None:
        ledger.fold_profile_acks(self.session, self.stream, self.shard)

    def prepare(self) -> None:
        with transaction(self.session):
            self.session.execute(
                sharded_statement(self.stream, "settle_unchanged_profiles", "pp.customer_id"),
                {
                    "as_of": self.as_of,
                    **self.shard.params(),
                    "run_id": self.run_id,
                    "acknowledged_at": dt.datetime.now(dt.UTC),
                },
            )

    def planned(self) -> int:
        params = {"as_of": self.as_of, **self.shard.params()}
        return _count(self.session, self.stream, "profiles_to_send_count", "pp.customer_id", params)

    def rows(self) -> tuple[str, dict[str, Any]]:
        params = profiles_to_send_params(self.stream, self.as_of, self.shard)
        return profiles_to_send_sql(self.stream), params

    def operations(self, batch: pa.RecordBatch, report: SyncReport) -> Iterator[Operation]:
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

    def forget(self, rejected: Sequence[Rejection]) -> None:
        """A profile send keeps nothing per row in memory."""

    def log_acks(self, accepted: list[str], now: dt.datetime) -> None:
        ledger.log_profile_acks(
            self.session, self.stream, accepted, as_of=self.as_of, run_id=self.run_id, now=now
        )


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
    send = _ProfileSend(
        session, stream, as_of=as_of, run_id=run_id, partition_key=partition_key, shard=shard
    )
    return send.run(client, log)


class _RemovalSend(_StreamSend):
    """The planned removals of one as-of day: clears, deletes or suppresses by customer id.

    Profiles this sync wrote whose row left the source (``on_removed``), or the ids of an
    erasure stream. Acknowledgements are logged in ``removal_acks`` and folded with the
    profile acknowledgements (``ledger.fold_profile_acks``): the same crash-safe path.
    """

    def __init__(self, session: WarehouseSession, stream: SyncStream, *, as_of: dt.date, **kw: Any):
        super().__init__(session, stream, **kw)
        self.as_of = as_of
        # The action of every removal in flight; filled by ``operations``.
        self.actions: dict[str, str] = {}

    def fold(self) -> None:
        ledger.fold_profile_acks(self.session, self.stream, self.shard)

    def prepare(self) -> None:
        """Nothing to settle: every planned removal is a request."""

    def planned(self) -> int:
        params = {"as_of": self.as_of, **self.shard.params()}
        return _count(self.session, self.stream, "removals_to_send_count", "r.customer_id", params)

    def rows(self) -> tuple[str, dict[str, Any]]:
        params = profiles_to_send_params(self.stream, self.as_of, self.shard)
        del params["value_max_bytes"]
        return sharded_statement(self.stream, "removals_to_send", "r.customer_id"), params

    def operations(self, batch: pa.RecordBatch, report: SyncReport) -> Iterator[Operation]:
        ids = _texts(batch.column(0))
        actions = _texts(batch.column(1))
        entries = _as_bytes(batch.column(2))
        needs_check = batch.column(3).to_pylist()
        report.sent += len(ids)
        report.removals += len(ids)
        for customer_id, action, entry, check in zip(
            ids, actions, entries, needs_check, strict=True
        ):
            self.actions[customer_id] = action
            yield (
                Operation(customer_id, orjson.loads(entry))
                if check
                else Operation.prechecked(customer_id, entry)
            )

    def log_acks(self, accepted: list[str], now: dt.datetime) -> None:
        actions = [self.actions.pop(key) for key in accepted]
        ledger.log_removal_acks(
            self.session,
            self.stream,
            accepted,
            actions,
            as_of=self.as_of,
            run_id=self.run_id,
            now=now,
        )

    def forget(self, rejected: Sequence[Rejection]) -> None:
        for rejection in rejected:
            self.actions.pop(rejection.key, None)


def sync_removals(
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
    """Send the planned removals of one partition's plan, for the customers of ``shard``."""
    send = _RemovalSend(
        session, stream, as_of=as_of, run_id=run_id, partition_key=partition_key, shard=shard
    )
    return send.run(client, log)


class _MergeSend(_StreamSend[Operation]):
    """The planned merges of one identity plan: v2 ``merge`` of the email-only profile (the
    secondary, by ``cio_id``) into the customer's id profile (the primary).

    A merge is irreversible: acknowledgements are logged in ``identity_merge_acks`` as they
    come and folded into ``identity_merges``, which no later send plans again. A send killed
    between an answer and its log entry resends that merge, whose secondary Customer.io has
    already deleted: it changes nothing.
    """

    def __init__(self, session: WarehouseSession, stream: SyncStream, *, as_of: dt.date, **kw: Any):
        super().__init__(session, stream, **kw)
        self.as_of = as_of
        # The secondary of every merge in flight; filled by ``operations``.
        self.secondaries: dict[str, str] = {}

    def fold(self) -> None:
        ledger.fold_identity_acks(self.session, self.stream)

    def prepare(self) -> None:
        """Nothing to settle: every planned merge is a request."""

    def planned(self) -> int:
        statement = self.stream.sql("merges_to_send_count")
        return int(self.session.fetch_all(statement, {"as_of": self.as_of})[0][0])

    def rows(self) -> tuple[str, dict[str, Any]]:
        return self.stream.sql("merges_to_send"), {"as_of": self.as_of}

    def operations(self, batch: pa.RecordBatch, report: SyncReport) -> Iterator[Operation]:
        ids = _texts(batch.column(0))
        secondaries = _texts(batch.column(1))
        report.sent += len(ids)
        for customer_id, secondary in zip(ids, secondaries, strict=True):
            self.secondaries[customer_id] = secondary
            yield Operation(
                customer_id,
                {
                    "type": "person",
                    "action": "merge",
                    "primary": {"id": customer_id},
                    "secondary": {"cio_id": secondary},
                },
            )

    def log_acks(self, accepted: list[str], now: dt.datetime) -> None:
        secondaries = [self.secondaries.pop(key) for key in accepted]
        ledger.log_merge_acks(
            self.session, self.stream, accepted, secondaries, run_id=self.run_id, now=now
        )

    def forget(self, rejected: Sequence[Rejection]) -> None:
        for rejection in rejected:
            self.secondaries.pop(rejection.key, None)


def sync_merges(
    session: WarehouseSession,
    stream: SyncStream,
    client: TrackClient,
    *,
    as_of: dt.date,
    run_id: str,
    partition_key: str,
    log: logging.Logger | None = None,
) -> SyncReport:
    """Send the planned merges of one identity plan (one step: merges are few)."""
    send = _MergeSend(
        session, stream, as_of=as_of, run_id=run_id, partition_key=partition_key, shard=UNSHARDED
    )
    return send.run(client, log)


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


class _EventSend(_StreamSend[Operation]):
    """Track calls for the planned, unacknowledged events of a window, under their planned ids."""

    def __init__(
        self,
        session: WarehouseSession,
        stream: SyncStream,
        *,
        start: dt.date,
        end: dt.date,
        backfill_policy: BackfillPolicy | None,
        now: dt.datetime,
        **kw: Any,
    ):
        super().__init__(session, stream, **kw)
        self.start, self.end, self.backfill_policy, self.now = start, end, backfill_policy, now
        # The ULID of every event in flight, the disposition of those not sent under their own
        # name, and the suppressed events to record; filled by ``operations``, which the
        # client may consume on another thread.
        self.in_flight: dict[str, str] = {}
        self.dispositions: dict[str, str] = {}
        self.suppressed: deque[tuple[str, str]] = deque()

    def fold(self) -> None:
        ledger.fold_event_acks(self.session, self.stream, self.shard)

    def prepare(self) -> None:
        """Nothing to settle: an event that needs no request is never planned."""

    def planned(self) -> int:
        params = {"start": self.start, "end": self.end, **self.shard.params()}
        return _count(self.session, self.stream, "events_to_send_count", "p.customer_id", params)

    def rows(self) -> tuple[str, dict[str, Any]]:
        params = events_to_send_params(
            self.start, self.end, self.shard, self.backfill_policy, self.now
        )
        return events_to_send_sql(self.stream), params

    def operations(self, batch: pa.RecordBatch, report: SyncReport) -> Iterator[Operation]:
        keys = _texts(batch.column(0))
        kinds = _texts(batch.column(4))
        ulids = _texts(batch.column(6))
        entries = _as_bytes(batch.column(7))
        checks = batch.column(8).to_pylist()
        rows = zip(keys, kinds, ulids, entries, checks, strict=True)
        for index, (key, disposition, ulid, entry, check) in enumerate(rows):
            if disposition != "sent":
                if disposition == "suppressed":
                    self.suppressed.append((key, ulid))
                    report.skipped += 1
                    continue
                self.dispositions[key] = disposition
            self.in_flight[key] = ulid
            report.sent += 1
            if check:
                yield Operation(key, _event_entry_of(batch, index))
            else:
                yield Operation.prechecked(key, entry)

    def log_acks(self, accepted: list[str], now: dt.datetime) -> None:
        keys = accepted
        ulids = [self.in_flight.pop(key) for key in accepted]
        kinds = None
        if self.dispositions or self.suppressed:
            kinds = [self.dispositions.pop(key, "sent") for key in accepted]
            keys = [*accepted, *(key for key, _ulid in self.suppressed)]
            ulids += [ulid for _key, ulid in self.suppressed]
            kinds += ["suppressed"] * len(self.suppressed)
            self.suppressed.clear()
        ledger.log_event_acks(
            self.session, self.stream, keys, ulids, kinds, run_id=self.run_id, now=now
        )

    def forget(self, rejected: Sequence[Rejection]) -> None:
        for rejection in rejected:
            self.in_flight.pop(rejection.key, None)
            self.dispositions.pop(rejection.key, None)


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
    send = _EventSend(
        session,
        stream,
        start=start,
        end=end,
        backfill_policy=backfill_policy,
        now=now,
        run_id=run_id,
        partition_key=partition_key,
        shard=shard,
    )
    return send.run(client, log)


# Why a segment member the send added is not in the segment: Customer.io ignored the id.
NOT_A_PERSON_REASON = "unknown_person"


@dataclass(frozen=True)
class SegmentTarget:
    """Where a segment stream's changes go, and how the send checks they took effect.

    ``segment_id`` resolves the segment (by id, or by name through the App API) only when
    something is to be sent; ``app`` reads the members back, or is None without an App key.
    """

    segment_id: Callable[[], int]
    app: AppClient | None


class _MembershipSend(_StreamSend[Item]):
    """The planned adds, attribute changes and removals of one membership partition.

    One plan, ledger, acknowledgement and removal path for every membership stream; the
    subclasses only say how a planned pair goes on the wire.
    """

    def __init__(self, session: WarehouseSession, stream: SyncStream, *, as_of: dt.date, **kw: Any):
        super().__init__(session, stream, **kw)
        self.as_of = as_of

    def fold(self) -> None:
        ledger.fold_membership_acks(self.session, self.stream, self.shard)

    def prepare(self) -> None:
        with transaction(self.session):
            self.session.execute(
                sharded_statement(self.stream, "settle_unchanged_membership", "p.person_id"),
                {
                    "as_of": self.as_of,
                    **self.shard.params(),
                    "run_id": self.run_id,
                    "acknowledged_at": dt.datetime.now(dt.UTC),
                },
            )

    def planned(self) -> int:
        params = {"as_of": self.as_of, **self.shard.params()}
        return _count(self.session, self.stream, "membership_to_send_count", "p.person_id", params)

    def rows(self) -> tuple[str, dict[str, Any]]:
        statement = sharded_statement(self.stream, "membership_to_send", "p.person_id")
        return statement, {"as_of": self.as_of, **self.shard.params()}

    def operations(self, batch: pa.RecordBatch, report: SyncReport) -> Iterator[Item]:
        keys, people, targets, actions = (_texts(batch.column(i)) for i in range(4))
        attributes = batch.column(4).to_pylist()
        report.sent += len(keys)
        for row in zip(keys, people, targets, actions, attributes, strict=True):
            yield self.item(*row)

    @abstractmethod
    def item(
        self, key: str, person_id: str, target_id: str, action: str, attributes: str | None
    ) -> Item:
        """One planned pair as the client sends it."""

    def log_acks(self, accepted: list[str], now: dt.datetime) -> None:
        ledger.log_membership_acks(
            self.session, self.stream, accepted, as_of=self.as_of, run_id=self.run_id, now=now
        )

    def forget(self, rejected: Sequence[Rejection]) -> None:
        """A membership send keeps nothing per row in memory."""


class _RelationshipSend(_MembershipSend[Operation]):
    """Pairs as ``add_relationships`` / ``delete_relationships`` v2 entries of the person."""

    def item(
        self, key: str, person_id: str, target_id: str, action: str, attributes: str | None
    ) -> Operation:
        relationships = self.stream.spec.relationships
        assert relationships is not None  # a relationship stream
        relation: dict[str, Any] = {
            "identifiers": {
                "object_type_id": str(relationships.object_type.id),
                "object_id": target_id,
            }
        }
        if action != "remove" and attributes:
            relation["relationship_attributes"] = orjson.loads(attributes)
        return Operation(
            key,
            {
                "type": "person",
                "identifiers": {"id": person_id},
                "action": "delete_relationships" if action == "remove" else "add_relationships",
                "cio_relationships": [relation],
            },
        )


class _SegmentSend(_MembershipSend[MembershipChange]):
    """Members as manual segment ``add_customers`` / ``remove_customers`` requests, then a
    read-back: an id Customer.io ignored (nobody has it) is a rejected row, not a member."""

    def __init__(self, *args: Any, target: SegmentTarget, log: logging.Logger | None, **kw: Any):
        super().__init__(*args, **kw)
        self.target, self.log = target, log
        self.segment_id: int | None = None

    def item(
        self, key: str, person_id: str, target_id: str, action: str, attributes: str | None
    ) -> MembershipChange:
        return MembershipChange(key, person_id, action != "remove")

    def deliver(
        self, client: TrackClient, items: Iterator[MembershipChange]
    ) -> Iterator[BatchOutcome]:
        self.segment_id = self.target.segment_id()
        return client.iter_segment_changes(self.segment_id, items)

    def after_send(self) -> None:
        added = self.session.fetch_all(
            self.stream.sql("membership_acks_added"), {"run_id": self.run_id}
        )
        if not added or self.segment_id is None:
            return
        if self.target.app is None:
            if self.log:
                self.log.warning(
                    f"{self.stream.name}: no App API key, so the {len(added):,} people added"
                    " are not read back; an id Customer.io does not know is ignored by it and"
                    " would be recorded as a member"
                )
            return
        members = self.target.app.segment_member_ids(self.segment_id)
        ignored = [(str(key), str(person)) for key, person in added if str(person) not in members]
        if not ignored:
            return
        now = dt.datetime.now(dt.UTC)
        with transaction(self.session):
            self.session.execute("DELETE FROM selected_keys")
            self.session.insert_arrow(
                "selected_keys",
                pa.table({"row_key": pa.array([k for k, _ in ignored], pa.string())}),
            )
            self.session.execute(self.stream.sql("forget_membership_acks"), {"run_id": self.run_id})
        ledger.record_rejections(
            self.session,
            self.stream,
            [
                Rejection(
                    key,
                    NOT_A_PERSON_REASON,
                    "ids",
                    f"Customer.io answered 200 but {person!r} is not in segment"
                    f" {self.segment_id}: no person has this id (identify them first)",
                )
                for key, person in ignored
            ],
            partition_key=self.partition_key,
            run_id=self.run_id,
            now=now,
        )
        if self.log:
            self.log.info(
                f"{self.stream.name}: {len(ignored):,} ids were ignored by Customer.io (nobody"
                " has them); recorded as rejected rows, not as members"
            )


def sync_membership(
    session: WarehouseSession,
    stream: SyncStream,
    client: TrackClient,
    *,
    as_of: dt.date,
    run_id: str,
    partition_key: str,
    shard: Shard = UNSHARDED,
    segment: SegmentTarget | None = None,
    log: logging.Logger | None = None,
) -> SyncReport:
    """Send the planned adds, changes and removals of one membership partition.

    Relationships go as v2 batch entries; a segment's members (``segment`` says where) as
    membership requests of up to 1,000 ids. Only the pairs of ``shard``'s people are sent.
    """
    common: dict[str, Any] = {
        "as_of": as_of,
        "run_id": run_id,
        "partition_key": partition_key,
        "shard": shard,
    }
    send: _MembershipSend[Any]
    if stream.membership == "segment":
        assert segment is not None, "a segment stream is sent to a segment"
        send = _SegmentSend(session, stream, target=segment, log=log, **common)
    else:
        send = _RelationshipSend(session, stream, **common)
    return send.run(client, log)
