"""The capacity run of ``--scale 10m``: does every step complete on one small machine?

Issue 15 asks whether 10M customers and ~100M events can be generated, built, synced once and
then kept in sync (nothing changed, 1% changed) on the 2-core, 24 GB machine, with the sync
under 1 GiB. The full scales cannot answer it with the sandbox in the loop: the sandbox keeps
every person and event it accepts in Python objects (about 2.7 KB a person and 1 KB an event,
so some 27 GB of people and 95 GB of events at 10M customers). So here:

- the first syncs (every profile and every event) run with the client on a mock transport,
  every request answered at once in the client's own process, exactly as section 4 of the
  full scales runs them; that fills the ledgers as a real first sync does;
- the nothing-changed runs and the 1% change then run as whole ``dagster asset materialize``
  processes against the sandbox at 0 ms, as in the full scales: the nothing-changed runs send
  nothing, and the 1% change sends 1% of the customers, which the sandbox holds easily.

Nothing is compared with the SDK here; the full scales do that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.cli_runs import Deployment, materialize
from benchmarks.sync_bench import SyncRun, first_sync_without_network
from benchmarks.workload import Workload, change_sources
from cio_sandbox.testing import running_sandbox
from retention_assets.shop import CUSTOMER_STATE, EVENTS


@dataclass(frozen=True)
class CapacityResult:
    """What one capacity run measured; every step completed, or the run raised."""

    workload: Workload
    """What was built, and how long generation and the model builds took."""
    first_sync: SyncRun
    """Every profile and every event, client on a mock transport (one spawned process)."""
    unchanged_profiles: SyncRun
    unchanged_events: SyncRun
    changed: SyncRun
    database_bytes: int
    """The DuckDB file after every run: sources, models, plans and ledgers."""


def run_capacity(workload: Workload, max_rps: float, directory: Path) -> CapacityResult:
    """Sync ``workload`` once without network, then keep it in sync (``directory`` holds the
    Dagster home of the whole-process runs). The caller builds the workload and removes it."""
    with running_sandbox(app_rate_limit=0) as sandbox:
        first_sync = first_sync_without_network(workload, sandbox)
        deployment = Deployment(workload.database, sandbox, directory / "dagster_home", max_rps)
        profiles = (CUSTOMER_STATE.plan_key, CUSTOMER_STATE.send_key)
        events = (EVENTS.plan_key, EVENTS.send_key)
        last_day = workload.as_of
        unchanged_profiles = materialize(
            deployment, profiles, label="capacity_unchanged_profiles", partition=last_day
        )
        unchanged_events = materialize(
            deployment,
            events,
            label="capacity_unchanged_events",
            partition_range=(workload.trailing_start, last_day),
        )
        change_sources(workload, 0)
        changed = materialize(
            deployment,
            (CUSTOMER_STATE.upstream, *profiles),
            label="capacity_changed",
            partition=last_day,
        )
    return CapacityResult(
        workload=workload,
        first_sync=first_sync,
        unchanged_profiles=unchanged_profiles,
        unchanged_events=unchanged_events,
        changed=changed,
        database_bytes=workload.database.stat().st_size,
    )
