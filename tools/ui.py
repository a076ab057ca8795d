"""``make ui``: the Dagster UI on the embedded defaults, populated, with one command.

A newcomer should see the whole pipeline (lineage, check results, runs) without configuring
anything. This builds the demo first if it never ran to the end (``tools.demo``:
synthetic sources, two recorded runs of ``retention_sync_job``), starts the local Customer.io
sandbox with the demo's saved state, points the ``CUSTOMERIO_*`` variables at it and runs
``dagster dev`` on ``.dagster_home``, so runs launched from the UI sync into that sandbox.
Ctrl-C or SIGTERM stops everything; the sandbox saves its state for the next start.

``dagster dev`` runs in a process group of its own: it ignores SIGTERM for a while and its
webserver, daemon and code server are separate processes, so stopping it means SIGTERM to
the whole group, a grace period, then SIGKILL. The browser test starts and stops the UI with
the same functions.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, NoReturn

import httpx

from cio_sandbox.testing import running_sandbox
from retention_assets.settings import PROJECT_ROOT, UI_BASE_URL
from tools import demo

DEFAULT_PORT = 3000
HOST = "127.0.0.1"
LOCATION = "retention"
WORKSPACE = PROJECT_ROOT / "workspace.yaml"
READY_TIMEOUT_SECONDS = 120.0
STOP_GRACE_SECONDS = 15.0

_LOCATION_QUERY = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation { repositories { assetNodes { id } } }
        }
      }
    }
  }
}
"""


class UIStartError(RuntimeError):
    """``dagster dev`` exited, or its code location failed to load or did not load in time."""


@dataclass(frozen=True)
class RunningUI:
    """A ``dagster dev`` whose code location has loaded."""

    url: str
    assets: int
    process: subprocess.Popen[bytes]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _group_alive(process: subprocess.Popen[bytes]) -> bool:
    process.poll()  # reap the leader, or a zombie leader would keep the group "alive"
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_process_group(process: subprocess.Popen[bytes], grace_seconds: float) -> None:
    """SIGTERM the process's group, wait up to ``grace_seconds``, then SIGKILL what is left.

    The group, not the leader, decides: the leader may exit while its webserver, daemon or
    code server still run.
    """
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while _group_alive(process) and time.monotonic() < deadline:
        time.sleep(0.1)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _loaded_asset_count(url: str) -> int | None:
    """Assets of the code location once it has loaded; None while it is still loading."""
    try:
        response = httpx.post(f"{url}/graphql", json={"query": _LOCATION_QUERY}, timeout=10.0)
        response.raise_for_status()
    except httpx.HTTPError:
        return None
    workspace = response.json()["data"]["workspaceOrError"]
    entries = {entry["name"]: entry for entry in workspace.get("locationEntries", [])}
    entry = entries.get(LOCATION)
    if entry is None or entry["loadStatus"] != "LOADED":
        return None
    location = entry["locationOrLoadError"]
    if location["__typename"] == "PythonError":
        raise UIStartError(f"code location {LOCATION!r} failed to load: {location['message']}")
    return sum(len(repository["assetNodes"]) for repository in location["repositories"])


def wait_until_loaded(url: str, process: subprocess.Popen[bytes], timeout: float) -> int:
    """Block until the UI answers with the project's assets; return how many it shows."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise UIStartError(f"dagster dev exited with code {process.returncode}")
        count = _loaded_asset_count(url)
        if count:
            return count
        if time.monotonic() > deadline:
            raise UIStartError(f"the UI at {url} did not load {LOCATION!r} in {timeout:.0f} s")
        time.sleep(0.5)


@contextmanager
def running_dagster_dev(
    env: Mapping[str, str],
    port: int,
    *,
    output: IO[bytes] | None = None,
    ready_timeout: float = READY_TIMEOUT_SECONDS,
    stop_grace: float = STOP_GRACE_SECONDS,
) -> Iterator[RunningUI]:
    """Run ``dagster dev`` on the project's workspace; yield it once its assets have loaded.

    ``env`` is the whole environment of the child (DAGSTER_HOME, warehouse and Customer.io
    settings); ``output`` receives its stdout and stderr (default: this process's).
    """
    # A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    # across exec. dagster dev maps SIGTERM onto its SIGINT handler, so it would then ignore
    # SIGTERM as well and stop only at SIGKILL, without shutting its children down.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(WORKSPACE)]
    command += ["-h", HOST, "-p", str(port)]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=True,
    )
    try:
        url = f"http://{HOST}:{port}"
        yield RunningUI(url, wait_until_loaded(url, process, ready_timeout), process)
    finally:
        stop_process_group(process, stop_grace)


def _raise_interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="UI port (another free one if busy)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    started = time.monotonic()
    home = demo.instance_home()
    demo.prepare_instance(home)
    os.environ["DAGSTER_HOME"] = str(home)
    if not demo.is_built(home):
        print("no demo run in this instance yet: building it first (make demo)")
        demo.main([])
    port = args.port if _port_is_free(args.port) else free_port()
    # From here SIGTERM takes the way out of Ctrl-C, so the finally blocks stop the children.
    # Installed after the demo: an in-process Dagster run remaps SIGTERM while it executes.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with running_sandbox(
            state_file=demo.SANDBOX_STATE, app_rate_limit=demo.SANDBOX_APP_RPS
        ) as sandbox:
            env = {**os.environ, **demo.customerio_env(sandbox)}
            env.setdefault(UI_BASE_URL, f"http://{HOST}:{port}")
            print(f"Customer.io sandbox: {sandbox.url}  (people and events it received)")
            print(f"starting dagster dev on port {port} with DAGSTER_HOME={home}")
            with running_dagster_dev(env, port) as ui:
                print(
                    f"\nDagster UI ready at {ui.url}  ({ui.assets} assets, populated"
                    f" {time.monotonic() - started:.0f} s after start). Ctrl-C stops it.\n",
                    flush=True,
                )
                code = ui.process.wait()
                print(f"dagster dev exited with code {code}")
                return 1
    except KeyboardInterrupt:
        print("\nstopping dagster dev and the sandbox")
    return 0


if __name__ == "__main__":
    sys.exit(main())
