"""The sync engine as a Dagster component: a sync is a ``defs.yaml`` whose attributes are its spec.

Dagster validates a component's attributes against the model the component declares and
reports pydantic's own errors. Ours declares a model that takes any mapping and hands the
attributes, with the file and the line of each field, to the spec loader, so a wrong field
fails with the spec's error (file, line, field, fix) at ``dg check defs`` and at load time.
The component stays thin: it parses, then ``sync_definitions`` builds everything.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Self

import dagster as dg
from dagster_shared.record import copy
from dagster_shared.yaml_utils.source_position import SourcePosition, SourcePositionTree
from pydantic import BaseModel, ConfigDict

from retention_assets.settings import load_settings
from retention_assets.source_links import file_reference, with_source_links
from retention_assets.specs import SpecError, SpecInvalid, SyncSpec, parse_spec
from retention_assets.specs.errors import field_path
from retention_assets.specs.load import ATTRIBUTES_KEY
from retention_assets.specs.model import SYNC_NAME_PATTERN, Guards
from retention_assets.specs.schema import DEFS_SCHEMA_PATH
from retention_assets.sync.factory import sync_definitions

TEMPLATE: Final = Path(__file__).with_name("sync_template.yaml")
# A value of the scaffolded template still to be replaced: `"<upstream asset key>"`.
PLACEHOLDER: Final = re.compile(r"^<[^<>]+>$")
NAME_PLACEHOLDER: Final = "<sync name>"


class SpecAttributes(BaseModel):
    """A sync spec as written in ``attributes:``; the spec loader validates it."""

    model_config = ConfigDict(extra="allow")

    def data(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class CustomerIOSyncScaffolder(dg.Scaffolder):
    """``dg scaffold defs ...CustomerIOSync <name>``: a commented spec with placeholders."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        if request.scaffold_format != "yaml":
            raise ValueError("a CustomerIOSync is declared in YAML: scaffold it with --format yaml")
        request.target_path.mkdir(parents=True, exist_ok=True)
        defs_yaml = request.target_path / "defs.yaml"
        defs_yaml.write_text(
            template(request.type_name, request.target_path.name, request.target_path),
            encoding="utf-8",
        )


def template(type_name: str, name: str, directory: Path) -> str:
    """The scaffolded ``defs.yaml`` of a sync named ``name`` (if a valid name) in ``directory``."""
    schema = Path(os.path.relpath(DEFS_SCHEMA_PATH, directory.resolve())).as_posix()
    body = TEMPLATE.read_text(encoding="utf-8")
    if re.fullmatch(SYNC_NAME_PATTERN, name):
        body = body.replace(f'"{NAME_PLACEHOLDER}"', name, 1)
    return "\n".join(
        [
            f"# yaml-language-server: $schema={schema}",
            '# A Customer.io sync. Replace every "<...>" placeholder, read the comments, then run',
            "# `dg check defs`. Every field: docs/sync-spec.md; the commands: docs/components.md.",
            f"type: {type_name}",
            f"{ATTRIBUTES_KEY}:",
            body.rstrip("\n"),
            *_guards_comment(),
            "",
        ]
    )


def _guards_comment() -> Iterator[str]:
    """The guards block, commented out, with the engine's defaults and their meaning."""
    defaults = Guards()
    yield "  # What protects the workspace, with the defaults; syncs of one workspace must agree."
    yield "  # guards:"
    for field, info in Guards.model_fields.items():
        if field == "volume":
            continue
        yield f"  #   {field}: {getattr(defaults, field)}  # {info.description}"
    yield f"  #   volume:  # {Guards.model_fields['volume'].description}"
    for field, info in type(defaults.volume).model_fields.items():
        yield f"  #     {field}: {getattr(defaults.volume, field)}  # {info.description}"


@dg.scaffold_with(CustomerIOSyncScaffolder)
class CustomerIOSync(dg.Component):
    """A reviewed sync from a warehouse relation to Customer.io, declared by its spec.

    The attributes are the sync spec (docs/sync-spec.md); the component builds its plan and
    send assets, their checks, a job, a schedule and the workspace's Customer.io resource.
    """

    def __init__(self, spec: SyncSpec) -> None:
        self.spec = spec

    @classmethod
    def get_model_cls(cls) -> type[BaseModel]:
        return SpecAttributes

    @classmethod
    def get_spec(cls) -> dg.ComponentTypeSpec:
        return dg.ComponentTypeSpec(
            tags=["customerio", "reverse-etl"],
            produces=["asset", "asset_check", "job", "schedule", "resource"],
        )

    @classmethod
    def load(cls, attributes: BaseModel | None, context: dg.ComponentLoadContext) -> Self:
        tree = context.resolution_context.source_position_tree
        path = Path(tree.position.filename) if tree else context.path
        node = tree.children.get(ATTRIBUTES_KEY) if tree else None
        lines = dict(_lines(node)) if node else {}
        data = attributes.data() if isinstance(attributes, SpecAttributes) else {}
        placeholders = [
            SpecError(
                str(path),
                field,
                f"still holds the template's placeholder {value!r}",
                "replace it with the real value (the comment above it says what)",
                lines.get(field),
            )
            for field, value in _strings(data, ())
            if PLACEHOLDER.match(value)
        ]
        if placeholders:
            raise SpecInvalid(placeholders)
        return cls(parse_spec(data, path, lines))

    @classmethod
    def get_code_references_for_yaml(
        cls, yaml_path: Path, source_position: SourcePosition, context: dg.ComponentLoadContext
    ) -> Sequence[dg.LocalFileCodeReference | dg.UrlCodeReference]:
        """The ``defs.yaml`` of the sync, linked like the engine's code (``source_links``)."""
        return [file_reference(yaml_path, source_position.start.line, load_settings())]

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        settings = load_settings()
        defs = sync_definitions(self.spec, shards=settings.sync_shards)
        return copy(defs, assets=with_source_links(list(defs.assets or ()), settings))


def _lines(node: SourcePositionTree, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[str, int]]:
    """Field path (as spec errors name it) -> line, for every field under ``node``."""
    for key, child in node.children.items():
        here = (*loc, key)
        yield field_path(here), child.position.start.line
        yield from _lines(child, here)


def _strings(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    """Every string value in ``value`` with its field path."""
    if isinstance(value, str):
        yield field_path(loc), value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*loc, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*loc, index))
