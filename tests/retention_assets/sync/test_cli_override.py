"""The volume-guard override from the command line, which has no ``--tags``: run config."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from retention_assets.shop import CUSTOMER_STATE_PLAN
from tests.retention_assets.sync.harness import STATE_SYNC, SyncHarness, state_row
from tests.warehouses import duckdb_only

DAY = dt.date(2026, 11, 1)
LATER = DAY + dt.timedelta(days=1)
ALLOW = {"ops": {CUSTOMER_STATE_PLAN.to_python_identifier(): {"config": {"allow_volume": True}}}}


def _materialize(harness: SyncHarness, home: Path, *extra: str) -> subprocess.CompletedProcess:
    sandbox = harness.sandbox
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "RETENTION_DUCKDB_PATH": harness.warehouse.database,
        "RETENTION_PARTITIONS_START": "2026-10-01",
        "CUSTOMERIO_SITE_ID": sandbox.site_id,
        "CUSTOMERIO_API_KEY": sandbox.api_key,
        "CUSTOMERIO_APP_API_KEY": sandbox.app_api_key,
        "CUSTOMERIO_TRACK_URL": sandbox.url,
        "CUSTOMERIO_APP_URL": sandbox.url,
    }
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "asset",
        "materialize",
        "-m",
        "retention_assets.definitions",
        "--select",
        ",".join(key.to_user_string() for key in STATE_SYNC),
        "--partition",
        LATER.isoformat(),
        *extra,
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@duckdb_only
def test_allow_volume_reaches_the_guard_through_cli_run_config(
    harness: SyncHarness, tmp_path: Path
) -> None:
    harness.put_state([state_row(f"c{i}", as_of=DAY) for i in range(100)])
    harness.run(STATE_SYNC, DAY)
    harness.put_state([state_row(f"c{i}", as_of=LATER) for i in range(1_600)])

    blocked = _materialize(harness, tmp_path)
    assert blocked.returncode != 0
    assert len(harness.sandbox.people()) == 100

    allowed = _materialize(harness, tmp_path, "--config-json", json.dumps(ALLOW))
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert len(harness.sandbox.people()) == 1_600
