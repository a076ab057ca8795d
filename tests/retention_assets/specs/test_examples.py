"""The example shop's specs are its registry and vocabulary: what the shop's models expect.

The attribute registry and the event vocabulary are data of the two ``defs.yaml`` files; the
shop's models, checks and lineage read them through ``retention_assets.shop_specs``. These
tests state what the shop relies on (every pipeline attribute of the model mapped once, with
its kind and null policy; the foreign attributes with their owners; the journeys' event
names), so that an edit of a spec that would change the shop fails here, in review.
"""

from __future__ import annotations

from retention_assets.attribute_types import NullPolicy, ValueKind
from retention_assets.models.customer_state import CUSTOMER_STATE_COLUMNS
from retention_assets.shop_specs import EVENT_NAMES, EVENT_VOCABULARY, SYNC_MAPPING
from retention_assets.specs.load import load_component_spec
from retention_assets.sync.policies import DEFAULT_BACKFILL_POLICY, EVENTS_TRAILING_DAYS
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE
from tests.retention_assets.specs.edits import EVENTS, PROFILES
from tests.shop_events import SHOP_EVENT_NAMES

# Columns of the customer state that are not attributes: the person's id and the partition.
NOT_ATTRIBUTES = ("customer_id", "as_of_date")


def test_profile_spec_maps_every_model_column_onto_the_attribute_of_its_name() -> None:
    columns = [c.name for c in CUSTOMER_STATE_COLUMNS if c.name not in NOT_ATTRIBUTES]
    assert list(SYNC_MAPPING) == columns
    assert all(column == attribute for column, attribute in SYNC_MAPPING.items())


def test_profile_spec_declares_kinds_and_clears_only_what_must_not_go_stale() -> None:
    spec = load_component_spec(PROFILES)
    kinds = {m.attribute: m.kind for m in spec.attributes}
    assert kinds["lifetime_revenue"] == ValueKind.NUMBER
    assert kinds["is_vip"] == ValueKind.BOOLEAN
    assert kinds["last_order_at"] == ValueKind.TIMESTAMP
    cleared = {m.attribute for m in spec.attributes if m.null_policy == NullPolicy.CLEAR}
    # A stale prediction would keep firing replenishment reminders, a stale tier its perks.
    assert cleared == {"predicted_next_purchase_at", "loyalty_tier"}
    assert all(m.description for m in spec.attributes)


def test_profile_spec_declares_every_foreign_attribute_with_its_owner() -> None:
    declared = {
        a.name: (a.owner, a.kind)
        for a in load_component_spec(PROFILES).workspace.foreign_attributes
    }
    assert declared == {
        "last_seen": ("realtime_tracking", ValueKind.TIMESTAMP),
        "created_at": ("customerio", ValueKind.TIMESTAMP),
        "unsubscribed": ("customerio", ValueKind.BOOLEAN),
    }


def test_events_spec_declares_the_vocabulary_in_order_with_descriptions() -> None:
    events = load_component_spec(EVENTS).events
    assert events is not None
    assert EVENT_NAMES == SHOP_EVENT_NAMES
    assert tuple(entry.name for entry in events.vocabulary) == EVENT_NAMES
    assert {e.name: e.description for e in events.vocabulary} == EVENT_VOCABULARY
    assert all(EVENT_VOCABULARY.values())
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
