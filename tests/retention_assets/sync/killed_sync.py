"""A sync run in a child process and killed with SIGKILL part-way: the crash the tests recover from.

The child materializes the real ``cio_sync`` assets and checks of the harness's source shape
against the test's DuckDB file and sandbox; it is killed, with its whole process group, once
``far_enough()`` says so.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.retention_assets.sync.harness import SyncHarness

CHILD = textwrap.dedent(
    """
    import os
    import sys
    import dagster as dg
    from resources.customerio import CustomerIOResource
    from resources.warehouse import DuckDBWarehouse
    from asset_checks.sync_checks import stream_checks
    from retention_assets.specs import load_spec
    from retention_assets.sync.sends import stream_assets
    from retention_assets.sync.stream import SyncStream
    from tests.retention_assets.sync.shapes import SHAPES
    shape, url, database, first, last, max_rps, batch, *keys = sys.argv[1:]
    specs = [path for path in os.environ.get("KILLED_SYNC_SPECS", "").split(os.pathsep) if path]
    if specs:
        streams = [SyncStream(load_spec(path)) for path in specs]
        sources = [dg.AssetSpec(stream.upstream) for stream in streams]
    else:
        streams, sources = SHAPES[shape].streams, SHAPES[shape].external_sources
    dg.materialize(
        [
            *sources,
            *(asset for stream in streams for asset in stream_assets(stream)),
            *(check for stream in streams for check in stream_checks(stream)),
        ],
        selection=[dg.AssetKey.from_user_string(key) for key in keys] or None,
        resources={
            "warehouse": DuckDBWarehouse(database=database),
            "customerio": CustomerIOResource(
                site_id="sandbox-site", api_key="sandbox-key", app_api_key="sandbox-app-key",
                track_url=url, app_url=url, max_rps=float(max_rps), concurrency=1,
                max_entries_per_batch=int(batch),
            ),
        },
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        } if first else {},
    )
    """
)


def kill_mid_sync(
    harness: SyncHarness,
    first: dt.date | None,
    last: dt.date | None,
    far_enough: Callable[[], bool],
    *,
    keys: Sequence[str] = (),
    specs: Sequence[Path] = (),
    max_rps: float = 20,
    entries_per_batch: int = 50,
    timeout_seconds: float = 90,
) -> None:
    """Sync ``keys`` (every cio_sync asset when empty) for ``[first, last]`` in a child process
    and SIGKILL it once ``far_enough()``; fail if it ends on its own or never gets there.

    The syncs are the harness shape's, or those of the spec files ``specs``; unpartitioned
    syncs (snapshots) run with ``first`` and ``last`` None.
    """
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            harness.shape.name,
            harness.sandbox.url,
            harness.warehouse.database,
            first.isoformat() if first else "",
            last.isoformat() if last else "",
            str(max_rps),
            str(entries_per_batch),
            *keys,
        ],
        env={**os.environ, "KILLED_SYNC_SPECS": os.pathsep.join(map(str, specs))},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout_seconds
        while not far_enough():
            assert child.poll() is None, "the sync finished before it could be killed"
            assert time.monotonic() < deadline, "the sync never got far enough"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
