"""Helpers of the spec tests: start from an example spec, break one thing, load the file.

The example specs are the ``attributes:`` of the shop's ``defs.yaml`` files; a broken copy is
written as a bare spec file.

Each test writes its spec to a real file and loads it through ``load_spec``, so what it
checks is the message a person would see for that file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from retention_assets.shop_specs import CUSTOMER_STATE_DEFS, EVENTS_DEFS
from retention_assets.specs import SpecError, SpecInvalid, SyncSpec, load_spec

PROFILES = CUSTOMER_STATE_DEFS
EVENTS = EVENTS_DEFS


def example(path: Path) -> dict[str, Any]:
    """The spec of the ``defs.yaml`` at ``path``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))["attributes"]
    assert isinstance(data, dict)
    return data


def write(directory: Path, data: Any, name: str = "sync.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def broken(directory: Path, base: Path, edit: Callable[[dict[str, Any]], None]) -> list[SpecError]:
    """The errors of ``base`` after ``edit``; fails the test if the spec still loads."""
    data = example(base)
    edit(data)
    path = write(directory, data)
    try:
        load_spec(path)
    except SpecInvalid as invalid:
        assert all(error.file == str(path) for error in invalid.errors)
        return list(invalid.errors)
    raise AssertionError("the broken spec loaded")


def loads(directory: Path, base: Path, edit: Callable[[dict[str, Any]], None]) -> SyncSpec:
    data = example(base)
    edit(data)
    return load_spec(write(directory, data))


def only(errors: list[SpecError], field: str) -> SpecError:
    """The one error of ``field``, failing with every error when it is not alone."""
    matching = [error for error in errors if error.field == field]
    assert len(matching) == 1, "\n".join(map(str, errors))
    return matching[0]
