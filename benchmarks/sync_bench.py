"""Times our sync (plan, then send) in a child process of its own, and reads its peak memory.

Each run is what one scheduled Dagster run does for its streams: plan in the warehouse, then
``sync_profiles``/``sync_events`` through a ``TrackClient`` built by ``CustomerIOResource`` with
its defaults, except ``max_rps``. The functions are driven directly rather than through
``dg.materialize`` so that the figures time the sync and not Dagster's run machinery.

A fresh process per run makes its peak RSS (``VmHWM``) the peak of that sync alone (nothing
left over from generating data, building models or an earlier sync), and keeps the benchmark's
own imports out of it: the process is spawned, not forked. The parent never holds the DuckDB
file open while a child runs, since DuckDB allows one writing process per file.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from benchmarks.workload import Workload, forget_syncs, quiet
from cio_sandbox.testing import SandboxHandle
from resources.customerio import CustomerIOResource, TrackClient
from resources.customerio.limits import TRACK_SOFT_MAX_RPS
from resources.customerio.track import REGION_PATH
from resources.warehouse import DuckDBWarehouse, WarehouseSession
from retention_assets.shop import CUSTOMER_STATE, EVENTS
from retention_assets.sync import plans
from retention_assets.sync.policies import DEFAULT_BACKFILL_POLICY
from retention_assets.sync.send import SyncReport, sync_events, sync_profiles

T = TypeVar("T")


@dataclass(frozen=True)
class SyncTask:
    """One sync run: the profiles of ``as_of`` and/or the events of ``events_window``."""

    database: Path
    track_url: str
    site_id: str
    api_key: str
    max_rps: float
    run_id: str
    as_of: dt.date | None = None
    events_window: tuple[dt.date, dt.date] | None = None
    first_sync: bool = False
    """A first sync sends recent events under the default backfill policy, as the asset does."""
    profile_to: Path | None = None
    """Write a pyinstrument profile of the run (text and HTML) under this path prefix."""
    no_network: bool = False
    """Answer every request at once in the client's process (an httpx mock transport) instead
    of sending it: the client alone, with no sandbox CPU in the way."""

    @classmethod
    def against(
        cls,
        sandbox: SandboxHandle,
        database: Path,
        *,
        max_rps: float,
        run_id: str,
        profile_to: Path | None = None,
        as_of: dt.date | None = None,
        events_window: tuple[dt.date, dt.date] | None = None,
        first_sync: bool = False,
        no_network: bool = False,
    ) -> SyncTask:
        """A run of ``database`` into ``sandbox`` with its credentials."""
        return cls(
            database=database,
            track_url=sandbox.url,
            site_id=sandbox.site_id,
            api_key=sandbox.api_key,
            max_rps=max_rps,
            run_id=run_id,
            as_of=as_of,
            events_window=events_window,
            first_sync=first_sync,
            profile_to=profile_to,
            no_network=no_network,
        )


@dataclass(frozen=True)
class StreamFigures:
    """The plan and the send of one stream."""

    plan_seconds: float
    send_seconds: float
    planned: int
    sent: int
    rejected: int
    requests: int
    bytes_sent: int
    retries: int
    # Of the send, the delivery audit's App API read-back (the CLI runs report it).
    audit_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.plan_seconds + self.send_seconds

    @property
    def rate(self) -> float:
        """Entities per second, diff and ledger writes included."""
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.send_seconds if self.send_seconds else 0.0

    @property
    def send_rate(self) -> float:
        """Entities per second of the send alone (the plan excluded)."""
        return self.sent / self.send_seconds if self.send_seconds else 0.0


@dataclass(frozen=True)
class SyncRun:
    profiles: StreamFigures | None
    events: StreamFigures | None
    seconds: float
    """Wall time of the run in its process: session opened to last ledger write."""
    peak_rss_bytes: int
    server_requests: int
    """Requests the sandbox answered during the run (all of them, not only batch writes)."""
    server_entries: int
    """Track entries the sandbox received (accepted or rejected) during the run."""
    sandbox_cpu_seconds: float
    """CPU time the sandbox spent during the run: near ``seconds`` means it was the limit."""
    model_seconds: float = 0.0
    """Model builds inside the run (whole-process runs that rebuild a model first)."""

    @property
    def streams(self) -> list[StreamFigures]:
        return [stream for stream in (self.profiles, self.events) if stream is not None]

    @property
    def sent(self) -> int:
        return sum(stream.sent for stream in self.streams)

    @property
    def requests(self) -> int:
        return sum(stream.requests for stream in self.streams)

    @property
    def bytes_sent(self) -> int:
        return sum(stream.bytes_sent for stream in self.streams)

    @property
    def rate(self) -> float:
        seconds = sum(stream.seconds for stream in self.streams)
        return self.sent / seconds if seconds else 0.0

    @property
    def sandbox_load(self) -> float:
        """Share of one core the sandbox (one single-threaded process) was busy while the run
        sent: its CPU time over the send steps' time, the delivery audit's wait on the App
        API's 10 requests/s left out. Near 100%, the sandbox and not the sync set the pace."""
        sending = sum(stream.send_seconds - stream.audit_seconds for stream in self.streams)
        return self.sandbox_cpu_seconds / sending if sending > 0 else 0.0


def _figures(plan_seconds: float, report: SyncReport) -> StreamFigures:
    return StreamFigures(
        plan_seconds=plan_seconds,
        send_seconds=report.seconds,
        planned=report.planned,
        sent=report.sent,
        rejected=report.rejected,
        requests=report.requests,
        bytes_sent=report.bytes_sent,
        retries=report.retries,
    )


def _sync(
    task: SyncTask, session: WarehouseSession, client: TrackClient
) -> tuple[StreamFigures | None, StreamFigures | None]:
    profiles = events = None
    if task.as_of is not None:
        started = time.perf_counter()
        plans.plan_customer_state(session, CUSTOMER_STATE, task.as_of)
        plan_seconds = time.perf_counter() - started
        report = sync_profiles(
            session,
            CUSTOMER_STATE,
            client,
            as_of=task.as_of,
            run_id=task.run_id,
            partition_key=task.as_of.isoformat(),
        )
        profiles = _figures(plan_seconds, report)
    if task.events_window is not None:
        start, end = task.events_window
        started = time.perf_counter()
        plans.plan_events(session, EVENTS, start, end)
        plan_seconds = time.perf_counter() - started
        report = sync_events(
            session,
            EVENTS,
            client,
            start=start,
            end=end,
            run_id=task.run_id,
            partition_key=f"{start.isoformat()}...{end.isoformat()}",
            backfill_policy=DEFAULT_BACKFILL_POLICY if task.first_sync else None,
            now=dt.datetime.now(dt.UTC),
        )
        events = _figures(plan_seconds, report)
    return profiles, events


def peak_rss_bytes(pid: int | None = None) -> int:
    """The peak resident set size of a process (this one by default).

    ``VmHWM`` is the peak of the process's own address space. ``ru_maxrss`` is not: a spawned
    child inherits its parent's peak at exec, which would report the benchmark's own peak.
    """
    path = f"/proc/{'self' if pid is None else pid}/status"
    with open(path) as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM in {path}: peak RSS is measured on Linux only")


def _answer_at_once(request: httpx.Request) -> httpx.Response:
    """Customer.io as a mock transport answers: the region check, and 200 to every batch."""
    if request.url.path == REGION_PATH:
        return httpx.Response(200, json={"region": "us", "url": str(request.url)})
    return httpx.Response(200, json={})


def _run_in_child(task: SyncTask) -> SyncRun:
    customerio = CustomerIOResource(
        site_id=task.site_id, api_key=task.api_key, track_url=task.track_url, max_rps=task.max_rps
    )
    warehouse = DuckDBWarehouse(database=str(task.database))
    profiler = None
    if task.profile_to is not None:
        from pyinstrument import Profiler  # only when asked: it is a development tool

        profiler = Profiler(interval=0.005)
        profiler.start()
    started = time.perf_counter()
    transport = httpx.MockTransport(_answer_at_once) if task.no_network else None
    with (
        warehouse.session(for_sync=True) as session,
        customerio.track_client(transport=transport) as client,
    ):
        quiet(session)
        profiles, events = _sync(task, session, client)
    seconds = time.perf_counter() - started
    if profiler is not None and task.profile_to is not None:
        profiler.stop()
        task.profile_to.with_suffix(".txt").write_text(profiler.output_text(color=False))
        task.profile_to.with_suffix(".html").write_text(profiler.output_html())
    return SyncRun(
        profiles,
        events,
        seconds,
        peak_rss_bytes(),
        server_requests=0,
        server_entries=0,
        sandbox_cpu_seconds=0.0,
    )


def _stdout_to_stderr() -> None:
    # DuckDB draws progress bars on stdout for long queries; stdout is the report's.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())


def in_fresh_process(function: Callable[..., T], *args: object) -> T:
    """``function(*args)``, run in a newly spawned process of its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=_stdout_to_stderr
    ) as pool:
        return pool.submit(function, *args).result()


def run_sync(task: SyncTask, sandbox: SandboxHandle) -> SyncRun:
    """Run ``task`` in a fresh spawned process; add what the sandbox saw of it."""
    before, cpu_before = sandbox.stats(), sandbox.cpu_seconds()
    run = in_fresh_process(_run_in_child, task)
    after = sandbox.stats()
    return SyncRun(
        run.profiles,
        run.events,
        run.seconds,
        run.peak_rss_bytes,
        server_requests=after["requests"] - before["requests"],
        server_entries=sandbox_entries(after) - sandbox_entries(before),
        sandbox_cpu_seconds=sandbox.cpu_seconds() - cpu_before,
    )


def first_sync_without_network(workload: Workload, sandbox: SandboxHandle) -> SyncRun:
    """Our first sync of every profile and event, every request answered at once in the
    client's own process: what the client does when neither the network, the sandbox's CPU
    nor a rate cap is in the way (``max_rps`` at the most the resource accepts)."""
    forget_syncs(workload)
    task = SyncTask.against(
        sandbox,
        workload.database,
        max_rps=TRACK_SOFT_MAX_RPS,
        run_id="bench-no-network",
        as_of=workload.as_of,
        events_window=(workload.events_start, workload.events_end),
        first_sync=True,
        no_network=True,
    )
    run = run_sync(task, sandbox)
    for stream in run.streams:
        if stream.sent != stream.planned or stream.rejected:
            raise RuntimeError(
                f"the no-network sync sent {stream.sent:,} of {stream.planned:,} planned rows"
                f" ({stream.rejected:,} rejected)"
            )
    return run


def sandbox_entries(stats: dict[str, int]) -> int:
    """Track entries a sandbox has received so far, from its ``stats()``."""
    return int(stats["entries_accepted"]) + int(stats["entries_rejected"])
