"""The published JSON Schema of sync specs, generated from the spec models.

Editors (VS Code's YAML extension, JetBrains) read it through the
``# yaml-language-server: $schema=...`` line of a spec, so a person writing a spec gets
completion, descriptions and errors as they type. It is committed as
``docs/sync-spec.schema.json``; a test regenerates it and fails when the file is stale.

Write it with ``python -m retention_assets.specs.schema``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from retention_assets.specs.model import SyncSpec

SCHEMA_PATH: Final = Path(__file__).resolve().parents[2] / "docs" / "sync-spec.schema.json"
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of one sync spec file."""
    schema = SyncSpec.model_json_schema()
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "Customer.io sync spec"}


def schema_text() -> str:
    """The schema as committed: stable key order, two-space indent, final newline."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")


if __name__ == "__main__":
    main()
