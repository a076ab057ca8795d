"""Read a sync spec from its YAML file, or say everything that is wrong with it.

Errors are collected, not first-only: a person fixing a spec in review should see every
problem of the file in one go. Shape errors (pydantic) come first; the cross-field rules run
only on a spec whose shape is right, since they read the parsed fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from retention_assets.specs.errors import SpecError, SpecInvalid, from_validation_error
from retention_assets.specs.model import SyncSpec
from retention_assets.specs.rules import spec_errors


def load_spec(path: Path | str) -> SyncSpec:
    """The validated spec in ``path``; raises :class:`SpecInvalid` with every error found."""
    path = Path(path)
    return parse_spec(_read_yaml(path), path)


def parse_spec(data: Any, path: Path) -> SyncSpec:
    """Validate already-read YAML data as the spec of ``path`` (also used by components)."""
    if not isinstance(data, dict):
        raise SpecInvalid(
            [
                SpecError(
                    str(path),
                    "(top level)",
                    f"the file holds {type(data).__name__}, not a mapping",
                    "write the spec as YAML keys: version, name, source, workspace, ...",
                )
            ]
        )
    try:
        spec = SyncSpec.model_validate(data)
    except ValidationError as error:
        raise SpecInvalid(from_validation_error(path, error, SyncSpec)) from None
    spec._path = path
    errors = spec_errors(spec)
    if errors:
        raise SpecInvalid(errors)
    return spec


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        fix = "check the path" if isinstance(error, FileNotFoundError) else "check permissions"
        problem = error.strerror or str(error)
        raise SpecInvalid([SpecError(str(path), "(file)", problem, fix)]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(error, "problem", None) or str(error)
        raise SpecInvalid(
            [SpecError(str(path), where, f"not valid YAML: {problem}", "correct the YAML syntax")]
        ) from None
