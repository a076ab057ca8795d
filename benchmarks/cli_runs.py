"""Whole-process sync runs: ``dagster asset materialize`` started the way a user starts it.

Issue 15 judges the sync by what a user waits for: the CLI process from exec to exit, Dagster's
start-up, the code location's load, the plan, the send and the ledger fold included. Each run
here is that process, pointed at the benchmark's DuckDB file and sandbox through the same
environment variables a deployment sets (``RETENTION_DUCKDB_PATH``, ``CUSTOMERIO_*``) and
recording into a Dagster home of its own. From outside it takes the wall time, the peak RSS of
the process (its ``VmHWM``), the requests and entries the sandbox saw and the CPU the sandbox spent
meanwhile; from the run's own event log it reads each step's duration and the send assets'
counts, so the plan and the send stay visible inside the whole.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import dagster as dg

from benchmarks.sync_bench import StreamFigures, SyncRun, peak_rss_bytes, sandbox_entries
from cio_sandbox.testing import SandboxHandle
from retention_assets.settings import (
    CUSTOMERIO_API_KEY,
    CUSTOMERIO_APP_API_KEY,
    CUSTOMERIO_APP_URL,
    CUSTOMERIO_MAX_RPS,
    CUSTOMERIO_SITE_ID,
    CUSTOMERIO_TRACK_URL,
    DUCKDB_PATH,
    WAREHOUSE,
)
from retention_assets.shop import CUSTOMER_STATE, EVENTS
from retention_assets.sync.stream import SyncStream

CODE_LOCATION: Final = ("-m", "retention_assets.definitions")
INSTANCE_CONFIG: Final = "telemetry:\n  enabled: false\n"
# Dagster's console log of a run goes to a file beside the home; a failed run shows its tail.
LOG_TAIL_LINES: Final = 40
RSS_POLL_SECONDS: Final = 0.1


@dataclass(frozen=True)
class Deployment:
    """What every CLI run is pointed at: the warehouse file, the sandbox, a Dagster home."""

    database: Path
    sandbox: SandboxHandle
    dagster_home: Path
    max_rps: float

    def environment(self) -> dict[str, str]:
        """The process environment of a run: this one's, with the deployment's settings."""
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        config = self.dagster_home / "dagster.yaml"
        if not config.exists():
            config.write_text(INSTANCE_CONFIG)
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.dagster_home),
            WAREHOUSE: "duckdb",
            DUCKDB_PATH: str(self.database),
            CUSTOMERIO_SITE_ID: self.sandbox.site_id,
            CUSTOMERIO_API_KEY: self.sandbox.api_key,
            CUSTOMERIO_APP_API_KEY: self.sandbox.app_api_key,
            CUSTOMERIO_TRACK_URL: self.sandbox.url,
            CUSTOMERIO_APP_URL: self.sandbox.url,
            CUSTOMERIO_MAX_RPS: f"{self.max_rps:g}",
        }


@dataclass(frozen=True)
class ProcessFigures:
    """One process as seen from outside."""

    seconds: float
    peak_rss_bytes: int
    sandbox_requests: int
    sandbox_entries: int
    sandbox_cpu_seconds: float


def dagster_command(*arguments: str) -> list[str]:
    """The ``dagster`` executable of this environment with ``arguments``."""
    return [str(Path(sys.executable).with_name("dagster")), *arguments]


def _sandbox_counters(sandbox: SandboxHandle) -> tuple[int, int, float]:
    stats = sandbox.stats()
    return int(stats["requests"]), sandbox_entries(stats), sandbox.cpu_seconds()


def _watch_peak(process: subprocess.Popen[bytes]) -> int:
    """The process's peak RSS, read until it exits.

    ``ru_maxrss`` from ``wait4`` cannot be used: Linux carries the parent's peak into a forked
    child across exec, so every run would report this benchmark's own peak. ``VmHWM`` only
    grows, so the last reading misses at most the final ``RSS_POLL_SECONDS`` of growth.
    """
    peak = 0
    while process.poll() is None:
        with suppress(OSError, RuntimeError):  # it exited between the poll and the read
            peak = max(peak, peak_rss_bytes(process.pid))
        time.sleep(RSS_POLL_SECONDS)
    return peak


def run_process(command: Sequence[str], deployment: Deployment, log_file: Path) -> ProcessFigures:
    """Run ``command`` to its end in the deployment's environment; raise if it fails."""
    requests_before, entries_before, cpu_before = _sandbox_counters(deployment.sandbox)
    environment = deployment.environment()
    started = time.perf_counter()
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=environment
        )
        peak_rss = _watch_peak(process)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        raise RuntimeError(
            f"{' '.join(command[1:4])} exited {process.returncode}; its log ({log_file}) ends:\n"
            + "\n".join(tail)
        )
    requests_after, entries_after, cpu_after = _sandbox_counters(deployment.sandbox)
    return ProcessFigures(
        seconds=seconds,
        peak_rss_bytes=peak_rss,
        sandbox_requests=requests_after - requests_before,
        sandbox_entries=entries_after - entries_before,
        sandbox_cpu_seconds=cpu_after - cpu_before,
    )


def _step_durations(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    return {
        str(event.step_key): event.dagster_event.step_success_data.duration_ms / 1000
        for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
        if event.dagster_event is not None
    }


def _materializations(instance: dg.DagsterInstance, run_id: str) -> dict[dg.AssetKey, Any]:
    """Each materialized asset's step key and metadata values, by asset key."""
    found = {}
    for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = event.asset_materialization
        if materialization is None:
            continue
        values = {name: value.value for name, value in materialization.metadata.items()}
        found[materialization.asset_key] = (event.step_key, values)
    return found


def _seconds_of(step: str, steps: dict[str, float]) -> float:
    """A step's seconds; for a step of a graph-backed asset (``graph.step``, as the sharded
    send is), the seconds of every step of that graph, since they all run in this process."""
    graph, dot, _name = step.partition(".")
    if not dot:
        return steps[step]
    return sum(seconds for key, seconds in steps.items() if key.startswith(graph + "."))


def _stream_figures(
    stream: SyncStream,
    steps: dict[str, float],
    materialized: dict[dg.AssetKey, Any],
) -> StreamFigures | None:
    if stream.send_key not in materialized:
        return None
    plan_step, _plan_values = materialized[stream.plan_key]
    send_step, values = materialized[stream.send_key]
    return StreamFigures(
        plan_seconds=_seconds_of(plan_step, steps),
        send_seconds=_seconds_of(send_step, steps),
        planned=int(values["planned"]),
        sent=int(values["sent"]),
        rejected=int(values["rejected"]),
        requests=int(values["requests"]),
        bytes_sent=int(values["bytes_sent"]),
        retries=int(values["retries"]),
        audit_seconds=float(values.get("audit_seconds", 0.0)),
    )


def materialize(
    deployment: Deployment,
    selection: Sequence[dg.AssetKey],
    *,
    label: str,
    partition: dt.date | None = None,
    partition_range: tuple[dt.date, dt.date] | None = None,
) -> SyncRun:
    """``dagster asset materialize`` of ``selection`` for one day or an inclusive range of days,
    as one whole process; the figures of the profile and event syncs it ran."""
    arguments = ["asset", "materialize", *CODE_LOCATION]
    arguments += ["--select", ",".join(key.to_user_string() for key in selection)]
    if partition is not None:
        arguments += ["--partition", partition.isoformat()]
    if partition_range is not None:
        first, last = partition_range
        arguments += ["--partition-range", f"{first.isoformat()}...{last.isoformat()}"]
    log_file = deployment.dagster_home / f"{label}.log"
    figures = run_process(dagster_command(*arguments), deployment, log_file)
    with dg.DagsterInstance.from_config(str(deployment.dagster_home)) as instance:
        (run,) = instance.get_runs(limit=1)
        if run.status != dg.DagsterRunStatus.SUCCESS:
            raise RuntimeError(f"run {run.run_id} ({label}) ended {run.status.value}: {log_file}")
        steps = _step_durations(instance, run.run_id)
        materialized = _materializations(instance, run.run_id)
    return SyncRun(
        profiles=_stream_figures(CUSTOMER_STATE, steps, materialized),
        events=_stream_figures(EVENTS, steps, materialized),
        seconds=figures.seconds,
        peak_rss_bytes=figures.peak_rss_bytes,
        server_requests=figures.sandbox_requests,
        server_entries=figures.sandbox_entries,
        sandbox_cpu_seconds=figures.sandbox_cpu_seconds,
        model_seconds=sum(
            _seconds_of(step, steps)
            for key, (step, _values) in materialized.items()
            if key in (CUSTOMER_STATE.upstream, EVENTS.upstream)
        ),
    )


def startup_seconds(deployment: Deployment, log_file: Path) -> float:
    """``dagster definitions validate``: the cheapest whole process that loads the code
    location as every run, code server and ``dagster dev`` does."""
    command = dagster_command("definitions", "validate", *CODE_LOCATION)
    return run_process(command, deployment, log_file).seconds
