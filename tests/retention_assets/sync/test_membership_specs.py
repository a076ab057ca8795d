"""The spec rules of membership streams, each error at its file and line with a fix.

A relationship or segment stream keeps a membership of people: it cannot be an event stream,
declares no profile attributes or top-level object type, names its segment by id or by name
(a name needs the App API key), and maps each relationship attribute once; the relation
check names a missing object id column at its line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retention_assets.specs import SpecInvalid, check_spec_against_relation, load_spec

HERE = Path(__file__).parent
SEGMENT = HERE / "membership" / "vip_audience.yaml"
RELATIONSHIPS = HERE / "membership" / "loyalty_members.yaml"
EVENTS = HERE / "custom_shape" / "member_actions.yaml"


def _errors(path: Path) -> str:
    with pytest.raises(SpecInvalid) as caught:
        load_spec(path)
    return str(caught.value)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_the_membership_specs_load() -> None:
    assert load_spec(SEGMENT).stream == load_spec(RELATIONSHIPS).stream == "membership"


def test_a_segment_named_neither_by_id_nor_by_name_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, SEGMENT.read_text().replace("  name: VIP customers\n", ""))

    message = _errors(path)

    assert f"{path}:18: segment: the segment is named neither by id nor by name" in message
    assert "Fix: write `segment: {id: <the manual segment's id>}`" in message


def test_a_segment_named_by_both_id_and_name_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, SEGMENT.read_text().replace("segment:\n", "segment:\n  id: 7\n"))

    assert f"{path}:20: segment.name: the segment is named both by id and by name" in _errors(path)


def test_a_segment_by_name_needs_the_app_api_key(tmp_path: Path) -> None:
    text = SEGMENT.read_text().replace("  app_key_env: CUSTOMERIO_APP_API_KEY\n", "")
    path = _write(tmp_path, text)

    assert f"{path}:18: segment.name: a segment named by name is looked up" in _errors(path)


def test_relationships_on_an_event_stream_are_refused_at_their_line(tmp_path: Path) -> None:
    text = EVENTS.read_text() + (
        "relationships:\n  object_type: {id: 4}\n  object_id: {column: member_id}\n"
    )
    path = _write(tmp_path, text)
    line = text.splitlines().index("relationships:") + 1

    message = _errors(path)

    assert f"{path}:{line}: relationships: an event stream cannot keep relationships" in message


def test_a_segment_stream_with_profile_attributes_is_refused(tmp_path: Path) -> None:
    text = SEGMENT.read_text() + "attributes:\n  - {column: tier, kind: string}\n"
    path = _write(tmp_path, text)
    line = text.splitlines().index("attributes:") + 1

    assert f"{path}:{line}: attributes: a segment stream writes no profile attributes" in (
        _errors(path)
    )


def test_a_relationship_attribute_mapped_twice_is_refused_at_its_line(tmp_path: Path) -> None:
    text = RELATIONSHIPS.read_text().replace(
        "    - column: points\n", "    - column: points\n      name: tier\n"
    )
    path = _write(tmp_path, text)

    message = _errors(path)

    assert (
        f"{path}:31: relationships.attributes[2].name: relationship attribute 'tier' is already"
        " written by relationships.attributes[1]"
    ) in message


def test_an_object_id_column_missing_from_the_relation_is_named_at_its_line() -> None:
    spec = load_spec(RELATIONSHIPS)
    columns = {
        "customer_id": "VARCHAR",
        "program": "VARCHAR",
        "joined_at": "TIMESTAMP WITH TIME ZONE",
        "tier": "VARCHAR",
        "points": "BIGINT",
        "note": "VARCHAR",
    }

    errors = [str(error) for error in check_spec_against_relation(spec, columns)]

    assert errors == [
        f"{RELATIONSHIPS}:23: relationships.object_id.column: column 'program_code' is not in"
        " the relation. Fix: name an existing column (did you mean 'program'?)"
    ]
