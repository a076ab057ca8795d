"""The example shop's specs declare exactly the registry and vocabulary the engine reads today.

While the engine still reads ``attributes.py`` and ``vocabulary.py``, the specs are a second
statement of the same facts; this test keeps the two equal until the engine reads the specs.
"""

from __future__ import annotations

from retention_assets.attributes import ATTRIBUTE_REGISTRY, PIPELINE_OWNER, SYNC_MAPPING
from retention_assets.specs.load import load_component_spec
from retention_assets.sync.policies import DEFAULT_BACKFILL_POLICY, EVENTS_TRAILING_DAYS
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE
from retention_assets.vocabulary import EVENT_DESCRIPTIONS, EVENT_NAMES
from tests.retention_assets.specs.edits import EVENTS, PROFILES


def test_profile_spec_maps_every_pipeline_attribute_in_registry_order() -> None:
    spec = load_component_spec(PROFILES)
    assert {m.column: m.attribute for m in spec.attributes} == SYNC_MAPPING
    assert [m.attribute for m in spec.attributes] == list(SYNC_MAPPING.values())


def test_profile_spec_agrees_on_each_attributes_kind_null_policy_and_description() -> None:
    for mapping in load_component_spec(PROFILES).attributes:
        registered = ATTRIBUTE_REGISTRY[mapping.attribute]
        assert registered.owner == PIPELINE_OWNER
        assert (mapping.kind, mapping.null_policy, mapping.description) == (
            registered.kind,
            registered.null_policy,
            registered.description,
        ), mapping.attribute


def test_profile_spec_declares_every_foreign_attribute_with_its_owner() -> None:
    declared = {
        a.name: (a.owner, a.kind, a.description)
        for a in load_component_spec(PROFILES).workspace.foreign_attributes
    }
    assert declared == {
        a.name: (a.owner, a.kind, a.description)
        for a in ATTRIBUTE_REGISTRY.values()
        if a.owner != PIPELINE_OWNER
    }


def test_events_spec_declares_the_vocabulary_in_order_with_descriptions() -> None:
    events = load_component_spec(EVENTS).events
    assert events is not None
    assert tuple(entry.name for entry in events.vocabulary) == EVENT_NAMES
    assert {e.name: e.description for e in events.vocabulary} == EVENT_DESCRIPTIONS
    assert events.backfill_policy == DEFAULT_BACKFILL_POLICY


def test_example_specs_read_the_example_models_and_share_one_workspace() -> None:
    profiles, events = load_component_spec(PROFILES), load_component_spec(EVENTS)
    assert (profiles.source.relation, events.source.relation) == (
        CUSTOMER_STATE_TABLE,
        EVENTS_TABLE,
    )
    assert (profiles.source.asset, events.source.asset) == (
        "retention_customer_state",
        "retention_events",
    )
    assert profiles.workspace.model_copy(update={"foreign_attributes": ()}) == events.workspace
    assert events.cadence.trailing_days == EVENTS_TRAILING_DAYS


def test_example_specs_carry_the_schema_line_for_editors() -> None:
    for spec_file in (PROFILES, EVENTS):
        first = spec_file.read_text(encoding="utf-8").splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix)
        assert (spec_file.parent / first.removeprefix(prefix)).resolve().is_file()
