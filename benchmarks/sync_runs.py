"""The quick loop for sync performance work: first sync, nothing changed, 1% changed, one scale.

``python -m benchmarks`` takes about 25 minutes for both scales, both latencies and the SDK
baselines. Profiling a change to the sync needs only our three runs against the sandbox, each
in a fresh process as the full harness runs them (``sync_bench``): this prints their plan and
send times, rates, requests and peak RSS, and with ``--profile-dir`` writes a pyinstrument
profile of each run. The generated warehouse is kept in ``--workdir`` and copied before each
invocation, so repeated invocations start from the same first sync.

    python -m benchmarks.sync_runs --customers 1000000 --latency 0
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

from benchmarks.harness import DEFAULT_MAX_RPS
from benchmarks.sync_bench import StreamFigures, SyncRun, SyncTask, run_sync
from benchmarks.workload import Workload, build_workload, change_customers
from cio_sandbox.testing import running_sandbox

DEFAULT_CUSTOMERS: Final = 1_000_000
DEFAULT_DAYS: Final = 365
PRISTINE_SUFFIX: Final = ".pristine.duckdb"


def _stream_line(name: str, stream: StreamFigures | None) -> str | None:
    if stream is None:
        return None
    return (
        f"   {name}: plan {stream.plan_seconds:.2f} s, send {stream.send_seconds:.2f} s,"
        f" {stream.sent:,} sent, {stream.rate:,.0f}/s, {stream.requests:,} requests"
        f" ({stream.requests_per_second:.1f}/s), {stream.rejected:,} rejected"
    )


def report(label: str, run: SyncRun) -> str:
    """One run's figures, as printed."""
    lines = [
        f"== {label}: {run.seconds:.2f} s, peak RSS {run.peak_rss_bytes / 2**20:,.0f} MiB,"
        f" {run.server_requests:,} requests seen by the sandbox"
    ]
    lines += [
        line
        for line in (_stream_line("profiles", run.profiles), _stream_line("events", run.events))
        if line
    ]
    return "\n".join(lines)


def _workload(workdir: Path, customers: int, days: int) -> Workload:
    """A working copy of the generated warehouse (generated on first use), never yet synced."""
    pristine = workdir / f"sync_runs_{customers}{PRISTINE_SUFFIX}"
    as_of = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    if not pristine.exists():
        print(f"generating {customers:,} customers into {pristine}", file=sys.stderr)
        build_workload(pristine, customers, days, as_of)
    working = pristine.with_name(pristine.name.replace(PRISTINE_SUFFIX, ".duckdb"))
    shutil.copy(pristine, working)
    return Workload.read(working, days)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sync_runs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--latency", type=float, default=0.0, help="sandbox latency in ms")
    parser.add_argument("--max-rps", type=float, default=DEFAULT_MAX_RPS)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--profile-dir", type=Path, help="write pyinstrument profiles here")
    args = parser.parse_args(argv)

    workload = _workload(args.workdir, args.customers, args.days)
    if args.profile_dir:
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    with running_sandbox(app_rate_limit=0, latency_ms=args.latency) as sandbox:

        def task(label: str, **streams: Any) -> SyncTask:
            return SyncTask.against(
                sandbox,
                workload.database,
                max_rps=args.max_rps,
                run_id=label,
                profile_to=args.profile_dir / label if args.profile_dir else None,
                **streams,
            )

        window = (workload.events_start, workload.events_end)
        first = run_sync(
            task("first", as_of=workload.as_of, events_window=window, first_sync=True), sandbox
        )
        print(report("first sync", first), flush=True)
        trailing = (workload.trailing_start, workload.events_end)
        unchanged = run_sync(
            task("unchanged", as_of=workload.as_of, events_window=trailing), sandbox
        )
        print(report("nothing changed", unchanged), flush=True)
        changed_customers = change_customers(workload)
        changed = run_sync(task("changed", as_of=workload.as_of), sandbox)
        print(report(f"1% changed ({changed_customers:,} customers)", changed), flush=True)
    workload.database.unlink()


if __name__ == "__main__":
    main()
