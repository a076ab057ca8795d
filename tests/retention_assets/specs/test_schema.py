"""The published JSON Schema and the field reference are never stale."""

from __future__ import annotations

import jsonschema
import yaml

from retention_assets.shop_specs import CUSTOMER_STATE_DEFS, EVENTS_DEFS
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


def test_committed_defs_schema_equals_the_generated_one() -> None:
    committed = schema.DEFS_SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == schema.schema_text(schema.defs_schema()), (
        "run: python -m retention_assets.specs.schema"
    )


def test_defs_schema_accepts_the_shops_files_and_flags_a_misspelt_field() -> None:
    validator = jsonschema.Draft202012Validator(schema.defs_schema())
    for defs_yaml in (CUSTOMER_STATE_DEFS, EVENTS_DEFS):
        data = yaml.safe_load(defs_yaml.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(data)) == [], defs_yaml
        data["attributes"]["cadense"] = data["attributes"].pop("cadence")
        messages = [error.message for error in validator.iter_errors(data)]
        assert any("'cadense' was unexpected" in message for message in messages), messages
        assert any("'cadence' is a required property" in message for message in messages)
