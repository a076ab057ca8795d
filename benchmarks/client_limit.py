"""The client-side ceiling: how fast this machine can read the planned rows and serialise them.

A sync can never be faster than reading its rows out of the warehouse and turning them into
request bodies. This measures exactly that, with no network, no validation, no ledger and no
threads: stream the same planned rows with the same queries (``benchmarks.rows``), serialise
each entry and join the entries into ``/api/v2/batch`` bodies under the client's default size
and count limits. Entries are serialised both ways a client could: built as dicts in Python
and dumped with orjson, or rendered as JSON text by the warehouse (what our sync does); the
faster way is the limit. The sync's own rate is then reported as a share of it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from benchmarks.rows import (
    Entry,
    event_entries,
    profile_entries,
    serialised_event_entries,
    serialised_profile_entries,
)
from benchmarks.workload import Workload
from resources.customerio.limits import DEFAULT_BATCH_MAX_BYTES, DEFAULT_MAX_ENTRIES_PER_BATCH

PYTHON = "entries built as dicts, serialised with orjson"
WAREHOUSE = "entries serialised by the warehouse (JSON text), the ULID appended in Python"
_HEAD = b'{"batch":['
_TAIL = b"]}"


@dataclass(frozen=True)
class Throughput:
    """Rows turned into request bodies, and how long it took."""

    rows: int
    seconds: float
    bodies: int
    body_bytes: int
    method: str
    """How entries were serialised: PYTHON (dicts and orjson) or WAREHOUSE (JSON text)."""

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


def _pack(datas: Iterable[bytes], started: float, method: str) -> Throughput:
    """Join serialised entries into request bodies under the client's default limits."""
    rows = bodies = body_bytes = 0
    pending: list[bytes] = []
    size = len(_HEAD) + len(_TAIL)
    for data in datas:
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
    return Throughput(rows, time.perf_counter() - started, bodies, body_bytes, method)


def serialise(entries: Iterable[tuple[str, Entry]]) -> Throughput:
    """Serialise every entry dict with orjson and pack the bytes into bodies; time the pass."""
    started = time.perf_counter()
    return _pack((orjson.dumps(entry) for _key, entry in entries), started, PYTHON)


def join_serialised(entries: Iterable[tuple[str, bytes]]) -> Throughput:
    """Pack entries the warehouse serialised into bodies; time the pass."""
    started = time.perf_counter()
    return _pack((data for _key, data in entries), started, WAREHOUSE)


def measure_client_limit(workload: Workload, now: dt.datetime) -> ClientLimit:
    """Both streams of a first sync, read and serialised each way; the faster way counts.

    Needs the plans of a first sync.
    """
    with workload.session() as session:
        profiles = max(
            serialise(profile_entries(session, workload.as_of)),
            join_serialised(serialised_profile_entries(session, workload.as_of)),
            key=lambda throughput: throughput.rate,
        )
        window = (workload.events_start, workload.events_end, now)
        events = max(
            serialise(event_entries(session, *window)),
            join_serialised(serialised_event_entries(session, *window)),
            key=lambda throughput: throughput.rate,
        )
    return ClientLimit(profiles, events)
