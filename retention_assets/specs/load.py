"""Read a sync spec from its YAML file, or say everything that is wrong with it.

Errors are collected, not first-only: a person fixing a spec in review should see every
problem of the file in one go. Shape errors (pydantic) come first; the cross-field rules run
only on a spec whose shape is right, since they read the parsed fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from retention_assets.specs.errors import (
    SpecError,
    SpecInvalid,
    field_path,
    from_validation_error,
    with_lines,
)
from retention_assets.specs.model import SyncSpec
from retention_assets.specs.rules import spec_errors

# The key of a component's defs.yaml (Dagster's format) that holds the spec.
ATTRIBUTES_KEY: Final = "attributes"


def load_spec(path: Path | str) -> SyncSpec:
    """The validated spec in ``path``; raises :class:`SpecInvalid` with every error found."""
    path = Path(path)
    text = _read(path)
    return parse_spec(_parse_yaml(text, path), path, field_lines(text))


def load_component_spec(path: Path | str) -> SyncSpec:
    """The spec held by the ``attributes:`` of a component's ``defs.yaml`` (one document).

    Errors name the spec's fields (``source.relation``) with their lines in ``path``.
    """
    path = Path(path)
    text = _read(path)
    data = _parse_yaml(text, path)
    if not isinstance(data, dict) or not isinstance(data.get(ATTRIBUTES_KEY), dict):
        raise SpecInvalid(
            [
                SpecError(
                    str(path),
                    "(top level)",
                    f"the file holds no `{ATTRIBUTES_KEY}:` mapping",
                    f"write the spec under `{ATTRIBUTES_KEY}:`, next to `type:`",
                )
            ]
        )
    lines = nested_lines(field_lines(text), ATTRIBUTES_KEY)
    return parse_spec(data[ATTRIBUTES_KEY], path, lines)


def parse_spec(data: Any, path: Path, lines: Mapping[str, int] | None = None) -> SyncSpec:
    """Validate already-read YAML data as the spec of ``path`` (also used by components).

    ``lines`` (field path -> line, from :func:`field_lines`) puts line numbers in the errors.
    """
    lines = lines or {}
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
        errors = from_validation_error(path, error, SyncSpec)
        raise SpecInvalid(with_lines(errors, lines)) from None
    spec._path, spec._lines = path, dict(lines)
    errors = spec_errors(spec)
    if errors:
        raise SpecInvalid(with_lines(errors, lines))
    return spec


def field_lines(text: str) -> dict[str, int]:
    """Field path as errors spell it (``attributes[3].kind``) -> its 1-based line in ``text``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, loc: tuple[str | int, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[field_path((*loc, key.value))] = key.start_mark.line + 1
                walk(value, (*loc, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[field_path((*loc, index))] = item.start_mark.line + 1
                walk(item, (*loc, index))

    if root is not None:
        walk(root, ())
    return lines


def nested_lines(lines: Mapping[str, int], key: str) -> dict[str, int]:
    """The lines of the fields under top-level ``key``, named as if ``key`` were the top."""
    prefix = f"{key}."
    return {
        field.removeprefix(prefix): line
        for field, line in lines.items()
        if field.startswith(prefix)
    }


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        fix = "check the path" if isinstance(error, FileNotFoundError) else "check permissions"
        problem = error.strerror or str(error)
        raise SpecInvalid([SpecError(str(path), "(file)", problem, fix)]) from None


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise yaml_syntax_error(error, path) from None


def yaml_syntax_error(error: yaml.YAMLError, path: Path | str | None = None) -> SpecInvalid:
    """A YAML syntax error as a spec error: the file, the line, what is wrong and where.

    ``path`` defaults to the file the parser names (Dagster's defs loader names it); the
    line is where the parser stopped, and the construct it was reading is named with its own
    line (an unclosed ``[`` is usually the mistake, a few lines above).
    """
    mark = getattr(error, "problem_mark", None)
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    at = f" at column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or str(error)
    if context and context_mark is not None:
        problem += f", {context} at line {context_mark.line + 1}"
    file = str(path) if path is not None else (mark.name if mark else "(unknown file)")
    line = mark.line + 1 if mark else None
    return SpecInvalid(
        [SpecError(file, "(YAML)", f"not valid YAML{at}: {problem}", "correct the syntax", line)]
    )


def defs_yaml_syntax_error(error: BaseException) -> SpecInvalid | None:
    """The spec error of a YAML syntax error behind ``error``, raised by Dagster's defs loader.

    Dagster parses each ``defs.yaml`` itself before any component sees it, and raises the
    parser's error (possibly wrapped); it is found along the exception's causes.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, yaml.MarkedYAMLError):
            return yaml_syntax_error(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
