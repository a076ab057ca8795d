"""The published JSON Schema and the field reference are never stale."""

from __future__ import annotations

from retention_assets.specs import reference, schema


def test_committed_json_schema_equals_the_generated_one() -> None:
    committed = schema.SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == schema.schema_text(), "run: python -m retention_assets.specs.schema"


def test_committed_field_reference_equals_the_generated_one() -> None:
    committed = reference.DOC_PATH.read_text(encoding="utf-8")
    assert committed == reference.render(committed), (
        "run: python -m retention_assets.specs.reference"
    )


def test_schema_forbids_unknown_keys_so_editors_flag_misspellings() -> None:
    published = schema.spec_schema()
    assert published["additionalProperties"] is False
    assert all(
        definition.get("additionalProperties") is False
        for definition in published["$defs"].values()
        if definition.get("type") == "object"
    )


def test_schema_lists_the_allowed_kinds_and_null_policies() -> None:
    definitions = schema.spec_schema()["$defs"]
    assert definitions["ValueKind"]["enum"] == [
        "string",
        "integer",
        "number",
        "boolean",
        "timestamp",
    ]
    assert definitions["NullPolicy"]["enum"] == ["skip", "clear"]


def test_every_field_of_the_reference_has_a_description() -> None:
    rows = [line for line in reference.field_reference().splitlines() if line.startswith("| `")]
    assert rows
    assert all(not line.rstrip().endswith("|  |") for line in rows)
