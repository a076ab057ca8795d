"""Cross-field rules of a spec, checked on load: each error names its field and fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from resources.customerio.limits import (
    ATTRIBUTE_NAME_MAX_BYTES,
    ATTRIBUTES_MAX_COUNT,
    EVENT_NAME_MAX_BYTES,
)
from retention_assets.specs.load import load_component_spec
from retention_assets.sync.policies import DEFAULT_VOLUME_GUARD
from tests.retention_assets.specs.edits import EVENTS, PROFILES, broken, example, loads, only


def _edited(edit: Callable[[dict[str, Any]], None], base: Path = PROFILES) -> dict[str, Any]:
    """The example after ``edit``: where the test's broken entry sits."""
    data = example(base)
    edit(data)
    return data


def _index(data: dict[str, Any], column: str) -> int:
    return [mapping["column"] for mapping in data["attributes"]].index(column)


def test_mapping_onto_a_foreign_attribute_names_its_owner(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][_index(data, "last_activity_at")]["name"] = "last_seen"

    errors = broken(tmp_path, PROFILES, edit)
    error = only(errors, f"attributes[{_index(_edited(edit), 'last_activity_at')}].name")
    assert "owned by realtime_tracking" in error.problem
    assert "remove the mapping" in error.fix


def test_column_named_like_a_foreign_attribute_is_refused_on_its_column(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"].append({"column": "unsubscribed", "kind": "boolean"})

    errors = broken(tmp_path, PROFILES, edit)
    error = only(errors, f"attributes[{len(_edited(edit)['attributes']) - 1}].column")
    assert "owned by customerio" in error.problem


def test_same_customerio_attribute_twice_names_the_first_mapping(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"].append({"column": "vip_tier_v2", "name": "vip_tier", "kind": "string"})

    last = len(_edited(edit)["attributes"]) - 1
    error = only(broken(tmp_path, PROFILES, edit), f"attributes[{last}].name")
    first = _index(_edited(edit), "vip_tier")
    assert error.problem == f"attribute 'vip_tier' is already written by attributes[{first}]"
    assert "map each Customer.io attribute once" in error.fix


def test_email_as_identity_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["identity"]["column"] = "email"

    error = only(broken(tmp_path, PROFILES, edit), "identity.column")
    assert "never the person's id" in error.problem
    assert "map the email as an attribute" in error.fix


def test_column_mapped_to_the_email_attribute_cannot_be_the_identity(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][_index(data, "email")].update(column="contact", name="email")
        data["identity"]["column"] = "contact"

    assert (
        "never the person's id" in only(broken(tmp_path, PROFILES, edit), "identity.column").problem
    )


def test_attribute_named_id_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"].append({"column": "customer_id", "name": "id", "kind": "string"})

    last = len(_edited(edit)["attributes"]) - 1
    error = only(broken(tmp_path, PROFILES, edit), f"attributes[{last}].name")
    assert "identity.column" in error.fix


def test_bad_time_zone_gets_a_close_iana_name(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["occurred_at"]["time_zone"] = "Europe/Berln"

    error = only(broken(tmp_path, EVENTS, edit), "events.occurred_at.time_zone")
    assert error.problem == "'Europe/Berln' is not an IANA time zone"
    assert "did you mean 'Europe/Berlin'?" in error.fix


def test_bad_time_zone_of_a_timestamp_attribute_gets_a_close_iana_name(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][3]["time_zone"] = "europe/berlin"  # first_order_at

    error = only(broken(tmp_path, PROFILES, edit), "attributes[3].time_zone")
    assert error.problem == "'europe/berlin' is not an IANA time zone"
    assert "did you mean 'Europe/Berlin'?" in error.fix
    assert error.line is not None


def test_time_zone_of_an_attribute_that_is_no_timestamp_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][0]["time_zone"] = "Europe/Berlin"  # email, a string

    error = only(broken(tmp_path, PROFILES, edit), "attributes[0].time_zone")
    assert "applies to timestamps, this attribute is string" in error.problem
    assert "remove `time_zone`" in error.fix


def test_timestamp_attribute_with_an_iana_zone_loads(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][3]["time_zone"] = "Europe/Berlin"

    spec = loads(tmp_path, PROFILES, edit)
    assert spec.attributes[3].time_zone == "Europe/Berlin"
    assert spec.attributes[4].time_zone == "UTC"


def test_constant_event_name_outside_the_vocabulary_lists_the_vocabulary(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["name"] = {"constant": "Order Plased"}

    error = only(broken(tmp_path, EVENTS, edit), "events.name.constant")
    assert error.problem == "'Order Plased' is not in the event vocabulary"
    assert "did you mean 'Order Placed'?" in error.fix
    assert "add it to `events.vocabulary`" in error.fix


def test_constant_event_name_inside_the_vocabulary_loads(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["name"] = {"constant": "Order Refunded"}

    assert loads(tmp_path, EVENTS, edit).events.name.constant == "Order Refunded"  # type: ignore[union-attr]


def test_event_name_given_as_constant_and_column_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["name"] = {"constant": "Order Placed", "column": "event_name"}

    assert "not both" in only(broken(tmp_path, EVENTS, edit), "events.name").problem


def test_event_name_given_as_neither_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["name"] = {}

    error = only(broken(tmp_path, EVENTS, edit), "events.name")
    assert "{constant: <event name>}" in error.fix


def test_vocabulary_name_listed_twice_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["vocabulary"].append({"name": "Order Placed"})

    last = len(_edited(edit, EVENTS)["events"]["vocabulary"]) - 1
    assert only(broken(tmp_path, EVENTS, edit), f"events.vocabulary[{last}].name")


def test_spec_with_attributes_and_events_must_be_split(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"] = [{"column": "customer_id", "name": "shop_id", "kind": "string"}]

    assert "split it" in only(broken(tmp_path, EVENTS, edit), "events").fix


def test_spec_with_neither_attributes_nor_events_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"] = []

    assert "neither" in only(broken(tmp_path, PROFILES, edit), "attributes").problem


def test_profiles_partitioned_as_events_are_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["source"]["partitioning"] = {"kind": "daily_events", "column": "as_of_date"}

    assert "daily_as_of" in only(broken(tmp_path, PROFILES, edit), "source.partitioning.kind").fix


def test_profiles_from_an_unpartitioned_snapshot_load(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["source"]["partitioning"] = {"kind": "snapshot"}

    assert loads(tmp_path, PROFILES, edit).source.partitioning.kind == "snapshot"


def test_continuous_cadence_on_profiles_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadence"]["continuous"] = True

    assert only(broken(tmp_path, PROFILES, edit), "cadence.continuous")


def test_continuous_cadence_needs_the_landing_time_column(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadence"]["continuous"] = True
        del data["events"]["loaded_at"]

    assert "add `loaded_at:`" in only(broken(tmp_path, EVENTS, edit), "events.loaded_at").fix


def test_continuous_cadence_on_events_with_landing_time_loads(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadence"]["continuous"] = True

    assert loads(tmp_path, EVENTS, edit).cadence.continuous


def test_bad_cron_is_refused_with_the_cron_form(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadence"]["cron"] = "every hour"

    assert "five fields" in only(broken(tmp_path, EVENTS, edit), "cadence.cron").fix


def test_sync_listed_after_itself_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadence"]["after"] = [data["name"]]

    assert "after itself" in only(broken(tmp_path, PROFILES, edit), "cadence.after").problem


def test_sync_listed_twice_in_after_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadence"]["after"] = ["crm_people", "crm_people"]

    assert "more than once" in only(broken(tmp_path, EVENTS, edit), "cadence.after").problem


def test_after_another_sync_loads(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cadence"]["after"] = ["crm_people"]

    assert loads(tmp_path, EVENTS, edit).cadence.after == ("crm_people",)


def test_property_sent_twice_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["properties"] = [{"column": "a", "name": "total"}, {"column": "total"}]

    assert only(broken(tmp_path, EVENTS, edit), "events.properties[1]")


def test_guards_default_to_the_engines_volume_guard() -> None:
    assert load_component_spec(PROFILES).guards.volume.to_policy() == DEFAULT_VOLUME_GUARD


def test_guard_thresholds_declared_in_the_spec_reach_the_engines_guard(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["guards"] = {"volume": {"events_floor": 10}, "max_rps": 5, "concurrency": 2}

    spec = loads(tmp_path, EVENTS, edit)
    assert spec.guards.volume.to_policy().events_floor == 10
    assert (spec.guards.max_rps, spec.guards.concurrency) == (5, 2)


def test_attribute_name_over_customerio_limit_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][_index(data, "email")]["name"] = "é" * 76  # 152 bytes

    error = only(
        broken(tmp_path, PROFILES, edit), f"attributes[{_index(example(PROFILES), 'email')}].name"
    )
    assert error.problem == f"attribute name is longer than {ATTRIBUTE_NAME_MAX_BYTES} bytes"


def test_a_profile_over_customerio_attribute_count_counts_foreign_attributes(
    tmp_path: Path,
) -> None:
    # The shop's own attributes plus its three foreign ones, topped up to one over the limit.
    def edit(data: dict[str, Any]) -> None:
        present = len(data["attributes"]) + len(data["workspace"]["foreign_attributes"])
        data["attributes"] += [
            {"column": f"extra_{index}", "kind": "string"}
            for index in range(ATTRIBUTES_MAX_COUNT - present + 1)
        ]

    error = only(broken(tmp_path, PROFILES, edit), "attributes")
    assert error.problem.startswith(f"{ATTRIBUTES_MAX_COUNT + 1} attributes with the workspace's")


def test_vocabulary_name_over_customerio_limit_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["vocabulary"].append({"name": "E" * (EVENT_NAME_MAX_BYTES + 1)})

    last = len(_edited(edit, EVENTS)["events"]["vocabulary"]) - 1
    error = only(broken(tmp_path, EVENTS, edit), f"events.vocabulary[{last}].name")
    assert error.problem == f"event name is longer than {EVENT_NAME_MAX_BYTES} bytes"


def test_cohort_member_expected_in_and_not_in_one_segment_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cohort"] = {
            "members": [{"id": "c1", "in_segments": ["VIP"], "not_in_segments": ["VIP"]}]
        }

    error = only(broken(tmp_path, PROFILES, edit), "cohort.members[0].not_in_segments")
    assert error.problem == "'c1' is expected both in and not in segment 'VIP'"
    assert error.line is not None


def test_cohort_member_listed_twice_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cohort"] = {"members": [{"id": "c1"}, {"id": "c1"}]}

    error = only(broken(tmp_path, EVENTS, edit), "cohort.members[1].id")
    assert "listed twice" in error.problem


def test_cohort_members_on_an_object_stream_are_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["object_type"] = {"id": 1}
        data["cohort"] = {"members": [{"id": "c1"}]}

    error = only(broken(tmp_path, PROFILES, edit), "cohort.members")
    assert "reads people back" in error.problem


def test_cohort_severity_is_warn_or_error(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cohort"] = {"severity": "fatal"}

    error = only(broken(tmp_path, PROFILES, edit), "cohort.severity")
    assert "warn" in error.fix or "warn" in error.problem
