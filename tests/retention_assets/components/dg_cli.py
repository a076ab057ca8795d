"""Run the project's ``dg`` CLI as a person would, in a project root, and read what it says.

Each call is a subprocess of ``.venv/bin/dg`` in its own process group (killed whole on a
timeout), with a fresh ``DAGSTER_HOME`` whose telemetry is off. A test that changes the
project works on a copy (:func:`project_copy`): ``PYTHONPATH`` puts the copy's packages before
the editable install of the repository, so ``dg`` loads the copy's code and ``defs.yaml`` files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

REPO: Final = Path(__file__).resolve().parents[3]
DG: Final = Path(sys.executable).with_name("dg")
# What `dg` needs of the project: its configuration and the packages the definitions import.
PROJECT_PARTS: Final = ("pyproject.toml", "retention_assets", "asset_checks", "resources", "docs")
COMPONENT: Final = "retention_assets.components.CustomerIOSync"
TIMEOUT_SECONDS: Final = 240


def dagster_home(directory: Path) -> Path:
    """An empty Dagster instance directory with telemetry off."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    return directory


def dg(
    *args: str, project: Path, home: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``dg <args>`` run in ``project`` with Dagster home ``home``; never raises on failure."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CUSTOMERIO_", "RETENTION_", "DAGSTER_")) and key != "VIRTUAL_ENV"
    }
    environment.update(
        {
            "DAGSTER_HOME": str(home),
            "PYTHONPATH": str(project),
            "NO_COLOR": "1",
            "COLUMNS": "200",
            **(env or {}),
        }
    )
    child = subprocess.Popen(
        [str(DG), *args],
        cwd=project,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = child.communicate(timeout=TIMEOUT_SECONDS)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def project_copy(directory: Path) -> Path:
    """A copy of the project's code and configuration in ``directory``."""
    directory.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, directory / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, directory / part)
    return directory


def defs_yaml(project: Path, name: str) -> Path:
    return project / "retention_assets" / "defs" / name / "defs.yaml"


def edit_spec(path: Path, **changes: Any) -> None:
    """Rewrite the ``defs.yaml`` at ``path`` with top-level spec fields changed."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["attributes"].update(changes)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def listed_asset_keys(result: subprocess.CompletedProcess[str]) -> set[str]:
    """The asset keys of ``dg list defs --json``."""
    assert result.returncode == 0, result.stderr[-3000:]
    listing = json.loads(result.stdout[result.stdout.index("{") :])
    return {asset["asset_key"] for asset in listing["assets"]}
