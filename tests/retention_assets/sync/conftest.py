"""Fixtures for the sync tests: one sandbox per module, a fresh warehouse per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cio_sandbox.testing import SandboxHandle, running_sandbox
from tests.retention_assets.sync.harness import SyncHarness

NO_FAULTS = {
    "error_429_rate": 0.0,
    "error_500_rate": 0.0,
    "error_503_rate": 0.0,
    "drop_rate": 0.0,
    "slow_rate": 0.0,
    "entry_reject_rate": 0.0,
    "latency_ms": 0.0,
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(app_rate_limit=0) as handle:
        yield handle


@pytest.fixture
def harness(tmp_path: Path, sandbox: SandboxHandle) -> SyncHarness:
    sandbox.reset()
    sandbox.configure(**NO_FAULTS)
    return SyncHarness(tmp_path / "warehouse.duckdb", sandbox)
