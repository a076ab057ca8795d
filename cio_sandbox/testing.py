"""Start a throwaway sandbox server for a test or benchmark, and always stop it.

``running_sandbox()`` runs ``python -m cio_sandbox`` as a child process in its own process
group on 127.0.0.1 with a free port, so tests never collide on ports and a crashed or hung
test cannot leave a server behind: on exit the whole group gets SIGTERM, then SIGKILL.
``SandboxHandle`` wraps the ``/_sandbox/`` endpoints so tests assert on what Customer.io
would have received.
"""

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from cio_sandbox import DEFAULT_API_KEY, DEFAULT_APP_API_KEY, DEFAULT_REGION, DEFAULT_SITE_ID
from cio_sandbox.config import SandboxConfig

URL_PREFIX = "CIO_SANDBOX_URL="
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


class SandboxHandle:
    """A running sandbox: its URL and credentials, and reads/writes of its control endpoints."""

    def __init__(
        self, url: str, site_id: str, api_key: str, app_api_key: str, pid: int | None = None
    ) -> None:
        self.url = url
        self.site_id = site_id
        self.api_key = api_key
        self.app_api_key = app_api_key
        self.pid = pid
        """The server's process id, when this handle started it."""
        self._client = httpx.Client(base_url=url, timeout=60.0)

    @property
    def track_auth(self) -> tuple[str, str]:
        """HTTP Basic credentials of the Track API, as httpx's ``auth=`` takes them."""
        return (self.site_id, self.api_key)

    @property
    def app_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app_api_key}"}

    def people(self) -> dict[str, dict[str, Any]]:
        """Attributes of every person, keyed by ``id`` (by ``cio_id`` for people without one)."""
        listing = self._get("/_sandbox/people")["people"]
        return {person["id"] or person["cio_id"]: person["attributes"] for person in listing}

    def events(self) -> list[dict[str, Any]]:
        """Every stored event (duplicates excluded), oldest first: id, name, person_id, cio_id,
        timestamp, data, received_at."""
        return self._get("/_sandbox/events")["events"]

    def objects(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Attributes of every object, keyed by ``(object_type_id, object_id)``."""
        listing = self._get("/_sandbox/objects")["objects"]
        return {
            (o["identifiers"]["object_type_id"], o["identifiers"]["object_id"]): {
                name: value for name, value in o["attributes"].items() if name != "object_id"
            }
            for o in listing
        }

    def relationships(self) -> dict[tuple[str, str, str], dict[str, Any]]:
        """Relationship attributes keyed by ``(person id or cio_id, object_type_id, object_id)``."""
        listing = self._get("/_sandbox/relationships")["relationships"]
        return {
            (
                r["person"]["id"] or r["person"]["cio_id"],
                r["identifiers"]["object_type_id"],
                r["identifiers"]["object_id"],
            ): r["relationship_attributes"]
            for r in listing
        }

    def segments(self) -> dict[str, list[str]]:
        """Members of every manual segment (their id, else email, else cio_id), by name."""
        listing = self._get("/_sandbox/segments")["segments"]
        return {
            segment["name"]: [m["id"] or m["email"] or m["cio_id"] for m in segment["members"]]
            for segment in listing
        }

    def suppressions(self) -> list[dict[str, Any]]:
        """Suppressions in force, oldest first: keys, identifiers, suppressed_at."""
        return self._get("/_sandbox/suppressions")["suppressions"]

    def merges(self) -> list[dict[str, Any]]:
        """Merges done, oldest first: primary, secondary, what moved, merged_at."""
        return self._get("/_sandbox/merges")["merges"]

    def stats(self) -> dict[str, Any]:
        return self._get("/_sandbox/stats")

    def requests(self) -> list[dict[str, Any]]:
        """The request log, oldest first: method, path, status (None if dropped), bytes,
        entries, time, duration_ms, fault."""
        return self._get("/_sandbox/requests")["requests"]

    def reset(self) -> None:
        """Forget people, events, counters and the request log; the config is kept."""
        self._client.post("/_sandbox/reset").raise_for_status()

    def config(self) -> dict[str, Any]:
        return self._get("/_sandbox/config")

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change latency/faults/App API limit (names of :class:`SandboxConfig`); returns all."""
        response = self._client.post("/_sandbox/config", json=changes)
        if response.status_code == 400:
            raise ValueError(response.json()["errors"][0]["message"])
        response.raise_for_status()
        return response.json()

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (Linux ``/proc``): benchmarks compare it
        with a run's wall time to show whether the sandbox was what limited the run."""
        if self.pid is None:
            raise RuntimeError("this handle did not start the sandbox: its process is unknown")
        # Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str) -> Any:
        response = self._client.get(path)
        response.raise_for_status()
        return response.json()


@contextmanager
def running_sandbox(
    *,
    site_id: str = DEFAULT_SITE_ID,
    api_key: str = DEFAULT_API_KEY,
    app_api_key: str = DEFAULT_APP_API_KEY,
    region: str = DEFAULT_REGION,
    state_file: Path | None = None,
    startup_timeout: float = 20.0,
    stop_timeout: float = 10.0,
    **config: Any,
) -> Iterator[SandboxHandle]:
    """Run a sandbox for the duration of the ``with`` block.

    ``config`` takes the :class:`SandboxConfig` names (``latency_ms=80``, ``seed=1``,
    ``error_429_rate=0.1``, ``app_rate_limit=0`` ...); a bad name or value raises ValueError
    before anything starts.
    """
    SandboxConfig().updated(config)
    command = [sys.executable, "-m", "cio_sandbox", "--host", "127.0.0.1", "--port", "0"]
    command += ["--site-id", site_id, "--api-key", api_key, "--app-api-key", app_api_key]
    command += ["--region", region]
    if state_file is not None:
        command += ["--state-file", str(state_file)]
    for name, value in config.items():
        if value is not None:
            command += ["--" + name.replace("_", "-"), str(value)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_PARENT, env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    handle = None
    try:
        deadline = time.monotonic() + startup_timeout
        url = _read_url(process, deadline)
        handle = SandboxHandle(url, site_id, api_key, app_api_key, pid=process.pid)
        _wait_until_answering(handle, deadline)
        yield handle
    finally:
        if handle is not None:
            handle.close()
        _stop(process, stop_timeout)


def _read_url(process: subprocess.Popen[bytes], deadline: float) -> str:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise RuntimeError("cio_sandbox did not announce its URL in time")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"cio_sandbox exited ({process.poll()}) before announcing")
            buffer += chunk
    line = buffer.split(b"\n", 1)[0].decode().strip()
    if not line.startswith(URL_PREFIX):
        raise RuntimeError(f"unexpected first line from cio_sandbox: {line!r}")
    return line[len(URL_PREFIX) :]


def _wait_until_answering(handle: SandboxHandle, deadline: float) -> None:
    while True:
        try:
            handle.stats()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM the process group (lets it save state), SIGKILL it if it lingers."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.stdout is not None:
            process.stdout.close()
