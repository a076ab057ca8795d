"""Fixtures of the sandbox tests: one server per module, reset to defaults before each test.

A module that needs other server options defines its own ``server`` fixture, which wins.
"""

from collections.abc import Iterator

import httpx
import pytest

from cio_sandbox.config import SandboxConfig
from cio_sandbox.testing import SandboxHandle, running_sandbox

# The App API limit is off by default here; the tests of that limit turn it on themselves.
DEFAULTS = {**SandboxConfig().as_dict(), "app_rate_limit": 0.0}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxHandle]:
    with running_sandbox(app_rate_limit=0) as handle:
        yield handle


@pytest.fixture
def sandbox(server: SandboxHandle) -> SandboxHandle:
    server.configure(**DEFAULTS)
    server.reset()
    return server


@pytest.fixture
def track(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, auth=sandbox.track_auth) as client:
        yield client


@pytest.fixture
def app(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers=sandbox.app_headers) as client:
        yield client
