"""Loading a spec file: shape errors name the file, the YAML field path and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from retention_assets.specs import SpecInvalid, load_spec
from retention_assets.specs.load import load_component_spec
from tests.retention_assets.specs.edits import EVENTS, PROFILES, broken, example, only, write


def _attribute(data: dict[str, Any], column: str) -> dict[str, Any]:
    return next(mapping for mapping in data["attributes"] if mapping["column"] == column)


def test_misspelt_field_name_gets_the_closest_field_as_fix(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][3]["null_polcy"] = "clear"

    error = only(broken(tmp_path, PROFILES, edit), "attributes[3].null_polcy")
    assert error.problem == "unknown field 'null_polcy'"
    assert "did you mean 'null_policy'?" in error.fix


def test_misspelt_top_level_field_names_its_allowed_fields(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadance"] = data.pop("cadence")

    errors = broken(tmp_path, PROFILES, edit)
    assert "did you mean 'cadence'?" in only(errors, "cadance").fix
    assert only(errors, "cadence").problem == "required field is missing"


def test_wrong_enum_value_lists_the_allowed_values_and_a_close_match(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][1]["kind"] = "integr"

    error = only(broken(tmp_path, PROFILES, edit), "attributes[1].kind")
    assert error.problem == "'integr' is not allowed"
    assert "'string', 'integer', 'number', 'boolean', 'timestamp'" in error.fix
    assert "did you mean 'integer'?" in error.fix


def test_wrong_null_policy_lists_skip_and_clear(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        _attribute(data, "loyalty_tier")["null_policy"] = "remove"

    index = [mapping["column"] for mapping in example(PROFILES)["attributes"]].index("loyalty_tier")
    error = only(broken(tmp_path, PROFILES, edit), f"attributes[{index}].null_policy")
    assert "use one of 'skip', 'clear'" in error.fix


def test_wrong_backfill_policy_in_events_lists_the_policies(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["backfill_policy"] = "renamed"

    error = only(broken(tmp_path, EVENTS, edit), "events.backfill_policy")
    assert "'rename', 'mark', 'suppress'" in error.fix
    assert "did you mean 'rename'?" in error.fix


def test_unknown_partitioning_kind_names_the_kind_field_and_the_kinds(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["source"]["partitioning"]["kind"] = "daily_asof"

    error = only(broken(tmp_path, PROFILES, edit), "source.partitioning.kind")
    assert "'daily_as_of', 'daily_events', 'snapshot'" in error.fix
    assert "did you mean 'daily_as_of'?" in error.fix


def test_misspelt_field_inside_a_tagged_union_names_the_yaml_path(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["source"]["partitioning"]["colum"] = data["source"]["partitioning"].pop("column")

    errors = broken(tmp_path, PROFILES, edit)
    assert "did you mean 'column'?" in only(errors, "source.partitioning.colum").fix
    assert only(errors, "source.partitioning.column").problem == "required field is missing"


def test_no_identity_says_to_add_the_column_sent_as_id(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["identity"]

    error = only(broken(tmp_path, PROFILES, edit), "identity")
    assert error.problem == "required field is missing"
    assert error.fix.startswith("add `identity:`")
    assert "`id`" in error.fix


def test_key_pasted_instead_of_its_variable_name_is_refused_and_never_echoed(
    tmp_path: Path,
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["workspace"]["track_key_env"] = "sk-live-abc123"

    error = only(broken(tmp_path, PROFILES, edit), "workspace.track_key_env")
    assert "NAME of an environment variable" in error.fix
    assert "sk-live" not in str(error)


def test_every_error_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][1]["kind"] = "integr"
        data["attributes"][2]["colour"] = "red"
        del data["cadence"]

    invalid_fields = {error.field for error in broken(tmp_path, PROFILES, edit)}
    assert {"attributes[1].kind", "attributes[2].colour", "cadence"} <= invalid_fields


CUSTOM_SPEC = """\
version: 1
name: dbt_users
source:
  asset: analytics/users
  relation: analytics.users
  partitioning: {kind: snapshot}
workspace:
  site_id_env: EU_SITE_ID
  track_key_env: EU_TRACK_KEY
  region_env: EU_REGION
identity:
  column: user_uuid
attributes:
  - column: ltv_usd
    name: lifetime_value
    kind: numbr
  - column: plan
    kind: strin
cadence:
  cron: "0 3 * * *"
"""


def test_message_has_one_line_per_error_with_file_line_field_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "dbt_users.yaml"
    path.write_text(CUSTOM_SPEC, encoding="utf-8")
    with pytest.raises(SpecInvalid) as raised:
        load_spec(path)
    lines = str(raised.value).splitlines()
    assert lines[0] == "invalid sync spec (2 errors):"
    assert lines[1] == (
        f"{path}:16: attributes[0].kind: 'numbr' is not allowed. Fix: use one of 'string',"
        " 'integer', 'number', 'boolean', 'timestamp' (did you mean 'number'?)"
    )
    assert lines[2].startswith(f"{path}:18: attributes[1].kind: 'strin' is not allowed. Fix: ")


def test_missing_field_points_at_the_line_of_its_parent(tmp_path: Path) -> None:
    path = tmp_path / "dbt_users.yaml"
    path.write_text(CUSTOM_SPEC.replace("    kind: strin\n", ""), encoding="utf-8")
    with pytest.raises(SpecInvalid) as raised:
        load_spec(path)
    missing = next(e for e in raised.value.errors if e.field == "attributes[1].kind")
    assert (missing.problem, missing.line) == ("required field is missing", 17)


def test_custom_shaped_spec_loads_with_its_own_names(tmp_path: Path) -> None:
    path = tmp_path / "dbt_users.yaml"
    path.write_text(CUSTOM_SPEC.replace("numbr", "number").replace("strin", "string"), "utf-8")
    spec = load_spec(path)
    assert [m.attribute for m in spec.attributes] == ["lifetime_value", "plan"]
    assert spec.workspace.app_key_env is None
    assert spec.guards.max_rps > 0


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sync.yaml"
    path.write_text("version: 1\nname: a: b\n", encoding="utf-8")
    with pytest.raises(SpecInvalid) as raised:
        load_spec(path)
    (error,) = raised.value.errors
    assert error.file == str(path)
    assert (error.field, error.line) == ("(YAML)", 2)
    assert error.problem.startswith("not valid YAML at column 8: ")
    assert error.fix == "correct the syntax"


def test_file_holding_a_list_is_not_a_spec(tmp_path: Path) -> None:
    path = write(tmp_path, [1, 2])
    with pytest.raises(SpecInvalid, match="not a mapping"):
        load_spec(path)


def test_missing_file_is_a_spec_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(SpecInvalid) as raised:
        load_spec(tmp_path / "absent.yaml")
    assert raised.value.errors[0].file == str(tmp_path / "absent.yaml")
    assert raised.value.errors[0].fix == "check the path"


def test_loaded_spec_remembers_its_file(tmp_path: Path) -> None:
    path = write(tmp_path, example(PROFILES))
    assert load_spec(path).path == path
    assert load_spec(str(write(tmp_path, example(EVENTS), "events.yaml"))).stream == "events"


def test_a_defs_yaml_spec_is_read_from_its_attributes_with_the_files_lines(
    tmp_path: Path,
) -> None:
    assert load_component_spec(PROFILES).path == PROFILES
    text = PROFILES.read_text(encoding="utf-8").replace("kind: integer", "kind: integr", 1)
    broken_defs = tmp_path / "defs.yaml"
    broken_defs.write_text(text, encoding="utf-8")
    with pytest.raises(SpecInvalid) as raised:
        load_component_spec(broken_defs)
    (error,) = raised.value.errors
    assert (error.file, error.field) == (str(broken_defs), "attributes[1].kind")
    assert text.splitlines()[error.line - 1].strip() == "kind: integr"  # type: ignore[operator]


def test_a_defs_yaml_without_attributes_says_where_the_spec_goes(tmp_path: Path) -> None:
    defs_yaml = tmp_path / "defs.yaml"
    defs_yaml.write_text("type: retention_assets.components.CustomerIOSync\n", encoding="utf-8")
    with pytest.raises(SpecInvalid, match="write the spec under `attributes:`"):
        load_component_spec(defs_yaml)


def test_partitioning_without_kind_lists_the_kinds(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["source"]["partitioning"]["kind"]

    error = only(broken(tmp_path, PROFILES, edit), "source.partitioning.kind")
    assert error.fix == "add `kind:`, one of 'daily_as_of', 'daily_events', 'snapshot'"


def test_value_of_the_wrong_type_says_what_the_field_holds(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadence"]["trailing_days"] = "three"

    error = only(broken(tmp_path, EVENTS, edit), "cadence.trailing_days")
    assert "'three'" in error.problem
    assert error.fix.startswith("correct the value: daily partitions each scheduled run")


def test_request_rate_above_customerios_soft_limit_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["guards"] = {"max_rps": 5000}

    assert "1000" in only(broken(tmp_path, EVENTS, edit), "guards.max_rps").problem
