"""The client-side ceiling: how fast this machine can read the planned rows and serialise them.

A sync can never be faster than reading its rows out of the warehouse and turning them into
request bodies. This measures exactly that, with no network, no validation, no ledger and no
threads: stream the same planned rows with the same queries (``benchmarks.rows``), build each
entry, serialise it with orjson and join the entries into ``/api/v2/batch`` bodies under the
client's default size and count limits. The sync's own rate is then reported as a share of it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from benchmarks.rows import Entry, event_entries, profile_entries
from benchmarks.workload import Workload
from resources.customerio.limits import DEFAULT_BATCH_MAX_BYTES, DEFAULT_MAX_ENTRIES_PER_BATCH

_HEAD = b'{"batch":['
_TAIL = b"]}"


@dataclass(frozen=True)
class Throughput:
    """Rows turned into request bodies, and how long it took."""

    rows: int
    seconds: float
    bodies: int
    body_bytes: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class ClientLimit:
    profiles: Throughput
    events: Throughput

    @property
    def rate(self) -> float:
        """Rows per second over both streams together."""
        rows = self.profiles.rows + self.events.rows
        seconds = self.profiles.seconds + self.events.seconds
        return rows / seconds if seconds else 0.0


def serialise(entries: Iterable[tuple[str, Entry]]) -> Throughput:
    """Serialise every entry and pack the bytes into bodies; time the whole pass."""
    started = time.perf_counter()
    rows = bodies = body_bytes = 0
    pending: list[bytes] = []
    size = len(_HEAD) + len(_TAIL)
    for _key, entry in entries:
        data = orjson.dumps(entry)
        rows += 1
        if pending and (
            size + len(data) + 1 > DEFAULT_BATCH_MAX_BYTES
            or len(pending) >= DEFAULT_MAX_ENTRIES_PER_BATCH
        ):
            body = _HEAD + b",".join(pending) + _TAIL
            bodies, body_bytes = bodies + 1, body_bytes + len(body)
            pending, size = [], len(_HEAD) + len(_TAIL)
        pending.append(data)
        size += len(data) + 1
    if pending:
        body = _HEAD + b",".join(pending) + _TAIL
        bodies, body_bytes = bodies + 1, body_bytes + len(body)
    return Throughput(rows, time.perf_counter() - started, bodies, body_bytes)


def measure_client_limit(workload: Workload, now: dt.datetime) -> ClientLimit:
    """Both streams of a first sync, read and serialised. Needs the plans of a first sync."""
    with workload.session() as session:
        profiles = serialise(profile_entries(session, workload.as_of))
        events = serialise(event_entries(session, workload.events_start, workload.events_end, now))
    return ClientLimit(profiles, events)
