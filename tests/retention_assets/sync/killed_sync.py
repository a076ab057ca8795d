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

from tests.retention_assets.sync.harness import SyncHarness

CHILD = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from resources.customerio import CustomerIOResource
    from resources.warehouse import DuckDBWarehouse
    from asset_checks.sync_checks import stream_checks
    from retention_assets.sync.sends import stream_assets
    from tests.retention_assets.sync.shapes import SHAPES
    shape, url, database, first, last, max_rps, batch, *keys = sys.argv[1:]
    streams = SHAPES[shape].streams
    dg.materialize(
        [
            *SHAPES[shape].external_sources,
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
        },
    )
    """
)


def kill_mid_sync(
    harness: SyncHarness,
    first: dt.date,
    last: dt.date,
    far_enough: Callable[[], bool],
    *,
    keys: Sequence[str] = (),
    max_rps: float = 20,
    entries_per_batch: int = 50,
    timeout_seconds: float = 90,
) -> None:
    """Sync ``keys`` (every cio_sync asset when empty) for ``[first, last]`` in a child process
    and SIGKILL it once ``far_enough()``; fail if it ends on its own or never gets there."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            harness.shape.name,
            harness.sandbox.url,
            harness.warehouse.database,
            first.isoformat(),
            last.isoformat(),
            str(max_rps),
            str(entries_per_batch),
            *keys,
        ],
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
