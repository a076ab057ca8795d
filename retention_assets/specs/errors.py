"""Spec errors a person can act on: each names the file, the field and the fix.

pydantic's own messages name a location tuple and a problem ("Extra inputs are not
permitted"); someone editing YAML needs ``attributes[3].kind`` and what to write instead.
This module turns pydantic errors into :class:`SpecError` by walking the spec models along
the error's location, which is what lets a misspelt key get its closest valid key.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from retention_assets.specs.model import PATTERN_FIXES


@dataclass(frozen=True)
class SpecError:
    """One thing wrong with one spec, said so that it can be fixed without reading code."""

    file: str
    field: str
    problem: str
    fix: str
    # Line of the field in the file (1-based), or of its closest enclosing field.
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.problem}. Fix: {self.fix}"


class SpecInvalid(ValueError):
    """A spec that must not run; holds every error found, not only the first."""

    def __init__(self, errors: Sequence[SpecError]) -> None:
        self.errors = tuple(errors)
        count = f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}"
        super().__init__(f"invalid sync spec ({count}):\n" + "\n".join(map(str, self.errors)))


def field_path(loc: Iterable[str | int]) -> str:
    """``("attributes", 3, "kind")`` -> ``attributes[3].kind``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "(top level)"


def with_lines(errors: Iterable[SpecError], lines: Mapping[str, int]) -> list[SpecError]:
    """``errors`` with the line of each field (or of its closest enclosing field) filled in."""
    return [replace(error, line=_line_of(error.field, lines)) for error in errors]


def _line_of(field: str, lines: Mapping[str, int]) -> int | None:
    while field:
        if field in lines:
            return lines[field]
        field = _LAST_PART.sub("", field)
    return None


_LAST_PART = re.compile(r"(\.[^.\[]+|\[\d+\]|^[^.\[]+)$")


def did_you_mean(value: object, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a close option, else an empty string."""
    matches = difflib.get_close_matches(str(value), list(options), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def one_of(options: Iterable[str]) -> str:
    return ", ".join(repr(option) for option in options)


def from_validation_error(
    file: Path | str, error: ValidationError, model: type[BaseModel]
) -> list[SpecError]:
    """Every pydantic error of ``error`` as a :class:`SpecError` of ``file``."""
    return [_translate(str(file), detail, model) for detail in error.errors()]


def _translate(file: str, detail: ErrorDetails, root: type[BaseModel]) -> SpecError:
    loc, models = _walk(root, detail["loc"])
    kind, value, ctx = detail["type"], detail.get("input"), detail.get("ctx") or {}
    here = models[-1] if models else None
    # A value in an environment variable field may be a secret pasted by mistake: never echo it.
    secret = bool(loc) and str(loc[-1]).endswith("_env")
    shown = "the value (not shown)" if secret else repr(value)
    if kind == "extra_forbidden" and loc and len(models) >= 2:
        parent = models[-2]
        allowed = list(parent.model_fields) if parent else []
        return SpecError(
            file,
            field_path(loc),
            f"unknown field {loc[-1]!r}",
            f"remove it or use one of {one_of(allowed)}{did_you_mean(loc[-1], allowed)}",
        )
    if kind == "missing":
        parent = models[-2] if len(models) >= 2 else None
        described = _description(parent, loc[-1]) if parent and loc else ""
        fix = f"add `{loc[-1]}:`" + (f" ({described.rstrip('.')})" if described else "")
        return SpecError(file, field_path(loc), "required field is missing", fix)
    if kind in ("enum", "literal_error"):
        options = _options(here, ctx)
        return SpecError(
            file,
            field_path(loc),
            f"{value!r} is not allowed",
            f"use one of {one_of(options)}{did_you_mean(value, options)}",
        )
    if kind == "union_tag_invalid":
        tags = [tag.strip(" '") for tag in str(ctx.get("expected_tags", "")).split(",")]
        return SpecError(
            file,
            field_path([*loc, ctx.get("discriminator", "kind").strip("'")]),
            f"{ctx.get('tag')!r} is not a known kind",
            f"use one of {one_of(tags)}{did_you_mean(ctx.get('tag'), tags)}",
        )
    if kind == "union_tag_not_found":
        tags = [tag for member in _members(here) for tag in _tags(member)]
        return SpecError(
            file,
            field_path([*loc, "kind"]),
            "no `kind` given",
            f"add `kind:`, one of {one_of(tags)}",
        )
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern"))
        fix = PATTERN_FIXES.get(pattern, f"write it to match {pattern!r}")
        return SpecError(file, field_path(loc), f"{shown} has the wrong form", fix)
    parent = models[-2] if len(models) >= 2 else None
    described = _description(parent, loc[-1]) if parent and loc else ""
    fix = "correct the value" + (f": {described[0].lower()}{described[1:]}" if described else "")
    return SpecError(file, field_path(loc), f"{detail['msg']} (got {shown})", fix)


def _walk(root: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[list[str | int], list[Any]]:
    """The location as the YAML shows it, and the annotation met at each step.

    pydantic inserts the tag of a tagged union (``daily_as_of``) and the class name of a
    plain union member (``ConstantName``) into the location; neither is a key in the YAML,
    so they are dropped from the path, and the member they name becomes the current model.
    """
    path: list[str | int] = []
    chain: list[Any] = [root]
    current: Any = root
    for part in loc:
        members = _members(current)
        chosen = _member_named(members, part)
        if chosen is not None:
            current = chosen
            chain[-1] = chosen
            continue
        path.append(part)
        if isinstance(part, int):
            args = [arg for member in members for arg in get_args(member)]
            current = _single_model(args) if args else None
        else:
            model = _single_model(members)
            info = model.model_fields.get(part) if model else None
            current = info.annotation if info else None
        chain.append(_single_model(_members(current)) or current)
    return path, chain


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union (or Annotated / Optional), else the annotation itself."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return [member for arg in get_args(annotation) for member in _members(arg)]
    return [annotation]


def _member_named(members: list[Any], part: str | int) -> type[BaseModel] | None:
    """The union member a location part names, by class name or by its ``kind`` tag."""
    if isinstance(part, int) or len(members) < 2:
        return None
    for member in members:
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            continue
        if member.__name__ == part or _tags(member) == (part,):
            return member
    return None


def _tags(member: Any) -> tuple[str, ...]:
    """The ``kind`` tag of a tagged-union member, if it has one."""
    tag = (
        member.model_fields.get("kind")
        if isinstance(member, type) and issubclass(member, BaseModel)
        else None
    )
    return get_args(tag.annotation) if tag and get_origin(tag.annotation) is Literal else ()


def _single_model(candidates: list[Any]) -> type[BaseModel] | None:
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if len(models) == 1 else None


def _description(model: Any, name: str | int) -> str:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return ""
    info = model.model_fields.get(str(name))
    return info.description or "" if info else ""


def _options(annotation: Any, ctx: dict[str, Any]) -> list[str]:
    """The allowed values of an enum or literal field, in declaration order."""
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, Enum):
            return [str(item.value) for item in member]
        if get_origin(member) is Literal:
            return [str(arg) for arg in get_args(member)]
    expected = str(ctx.get("expected", ""))
    return [part.strip(" '") for part in expected.replace(" or ", ",").split(",") if part.strip()]
