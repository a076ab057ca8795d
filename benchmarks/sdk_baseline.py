"""The baseline to beat: the official ``customerio`` SDK sending the same rows.

Two ways a team would use the SDK for a first sync, each reading the planned rows from the same
DuckDB file with the same queries as our sync (``benchmarks.rows``) and writing to the same
sandbox: one ``identify``/``track`` call per row (Track API v1, one request each), and
``batch()`` with 100 v2 operations per request, sent one after the other as the SDK offers no
concurrency. Per-row sending at 80 ms of latency manages about a dozen rows a second, so both
are measured on a bounded sample and reported with its size; the rate is what matters.

The SDK speaks only HTTPS: ``CustomerIO.setup_base_url`` and ``CustomerIO.batch`` build
``https://`` URLs and the SDK mounts its retrying keep-alive adapter on ``https://`` only.
``PlainHttpCustomerIO`` rewrites the scheme of each URL in ``send_request`` and mounts the
SDK's own adapter for ``http://`` too, so the SDK runs unchanged against the loopback sandbox,
without the TLS handshake our own client does not pay either.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from customerio import CustomerIO

from benchmarks.rows import Entry, event_entries, profile_entries
from benchmarks.workload import Workload
from cio_sandbox.testing import SandboxHandle

SDK_BATCH_SIZE = 100


class PlainHttpCustomerIO(CustomerIO):
    """The official Track client, unchanged except that it talks plain HTTP (loopback only)."""

    def __init__(self, url: str, site_id: str, api_key: str) -> None:
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("plain HTTP is for a loopback sandbox only")
        super().__init__(site_id=site_id, api_key=api_key, host=parts.hostname, port=parts.port)

    def send_request(self, method: str, url: str, data: dict[str, Any]) -> requests.Response:
        return super().send_request(method, url.replace("https://", "http://", 1), data)

    def _build_session(self) -> requests.Session:
        session = super()._build_session()
        session.mount("http://", session.get_adapter("https://"))
        return session


@dataclass(frozen=True)
class SdkRate:
    """Rows the SDK sent in a sample, the requests it took and the time from read to answer."""

    rows: int
    requests: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class SdkBaseline:
    per_row_profiles: SdkRate
    per_row_events: SdkRate
    batch_profiles: SdkRate
    batch_events: SdkRate


def _identify(sdk: CustomerIO, entry: Entry) -> None:
    sdk.identify(entry["identifiers"]["id"], **entry["attributes"])


def _track(sdk: CustomerIO, entry: Entry) -> None:
    sdk.track(
        entry["identifiers"]["id"],
        entry["name"],
        entry["attributes"],
        id=entry["id"],
        timestamp=entry["timestamp"],
    )


def _per_row(
    sdk: CustomerIO, entries: Sequence[Entry], call: Callable[[CustomerIO, Entry], None]
) -> SdkRate:
    started = time.perf_counter()
    for entry in entries:
        call(sdk, entry)
    return SdkRate(len(entries), len(entries), time.perf_counter() - started)


def _batched(sdk: CustomerIO, entries: Sequence[Entry]) -> SdkRate:
    started = time.perf_counter()
    chunks = [entries[i : i + SDK_BATCH_SIZE] for i in range(0, len(entries), SDK_BATCH_SIZE)]
    for chunk in chunks:
        sdk.batch(list(chunk))
    return SdkRate(len(entries), len(chunks), time.perf_counter() - started)


def _run(sandbox: SandboxHandle, send: Callable[[CustomerIO], SdkRate], stored: str) -> SdkRate:
    """One sample into an emptied sandbox, checked against what the sandbox received."""
    sandbox.reset()
    with PlainHttpCustomerIO(sandbox.url, sandbox.site_id, sandbox.api_key) as sdk:
        result = send(sdk)
    stats = sandbox.stats()
    if stats[stored] != result.rows or stats["requests"] != result.requests:
        raise RuntimeError(
            f"the SDK sent {result.rows} rows in {result.requests} requests, but the sandbox"
            f" holds {stats[stored]} {stored} from {stats['requests']} requests"
        )
    return result


def measure_sdk(
    workload: Workload,
    sandbox: SandboxHandle,
    *,
    row_sample: int,
    batch_sample: int,
    now: dt.datetime,
) -> SdkBaseline:
    """Both SDK paths on samples of both streams. Needs the plans of a first sync.

    Each sample starts from an empty sandbox, so it is a first sync there too; the sandbox is
    left empty. The per-row sample is the first rows of the batch() sample.
    """
    # The samples are read before the clock starts: on a sample, the queries' fixed start-up
    # (the plan's aggregation and sort) would weigh on each row far more than in a full run.
    size = max(row_sample, batch_sample)
    start, end = workload.events_start, workload.events_end
    with workload.session() as session:
        profiles = [entry for _key, entry in profile_entries(session, workload.as_of, size)]
        events = [entry for _key, entry in event_entries(session, start, end, now, size)]
    rows, batched = slice(row_sample), slice(batch_sample)
    baseline = SdkBaseline(
        per_row_profiles=_run(
            sandbox, lambda sdk: _per_row(sdk, profiles[rows], _identify), "people"
        ),
        per_row_events=_run(sandbox, lambda sdk: _per_row(sdk, events[rows], _track), "events"),
        batch_profiles=_run(sandbox, lambda sdk: _batched(sdk, profiles[batched]), "people"),
        batch_events=_run(sandbox, lambda sdk: _batched(sdk, events[batched]), "events"),
    )
    sandbox.reset()
    return baseline
