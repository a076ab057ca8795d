"""The published JSON Schema of sync specs, generated from the spec models.

Editors (VS Code's YAML extension, JetBrains) read it through the
``# yaml-language-server: $schema=...`` line of a spec, so a person writing a spec gets
completion, descriptions and errors as they type. It is committed as
``docs/sync-spec.schema.json``; a test regenerates it and fails when the file is stale.

A sync is declared as the ``attributes:`` of a ``CustomerIOSync`` component's ``defs.yaml``
(docs/components.md); ``docs/sync-defs.schema.json`` validates such a whole file, the spec
under ``attributes:``, and is the one the example shop's files point at.

Write it with ``python -m retention_assets.specs.schema``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from retention_assets.specs.model import SyncSpec

SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "docs" / "sync-spec.schema.json"
DEFS_SCHEMA_PATH: Final = SCHEMA_PATH.with_name("sync-defs.schema.json")
COMPONENT_TYPE: Final = "retention_assets.components.CustomerIOSync"
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of one sync spec file."""
    schema = SyncSpec.model_json_schema()
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "Customer.io sync spec"}


def defs_schema() -> dict[str, Any]:
    """The JSON Schema of a ``defs.yaml`` that declares one sync as a ``CustomerIOSync``."""
    spec = SyncSpec.model_json_schema()
    definitions = spec.pop("$defs", {})
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Customer.io sync (defs.yaml of a CustomerIOSync component)",
        "type": "object",
        "properties": {
            "type": {"const": COMPONENT_TYPE, "description": "The component type."},
            "attributes": {"$ref": "#/$defs/SyncSpec"},
            "post_processing": {
                "type": "object",
                "description": "Dagster's post-processing of the component's assets (optional).",
            },
            "requirements": {
                "type": "object",
                "description": "Dagster's component requirements (optional).",
            },
        },
        "required": ["type", "attributes"],
        "additionalProperties": False,
        "$defs": {**definitions, "SyncSpec": {**spec, "title": "Customer.io sync spec"}},
    }


def schema_text(schema: dict[str, Any] | None = None) -> str:
    """A schema as committed (the spec's by default): stable key order, two-space indent."""
    return json.dumps(schema or spec_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    for path, schema in ((SCHEMA_PATH, spec_schema()), (DEFS_SCHEMA_PATH, defs_schema())):
        path.write_text(schema_text(schema), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
