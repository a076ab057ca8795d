"""A spec checked against its relation's columns: names, types and zones, before any run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from resources.warehouse import WarehouseResource
from retention_assets.models.build import ensure_table
from retention_assets.models.customer_state import CUSTOMER_STATE_COLUMNS
from retention_assets.models.events import EVENT_COLUMNS
from retention_assets.specs import SyncSpec, check_spec_against_relation
from retention_assets.specs.load import load_component_spec
from retention_assets.specs.relation import relation_columns, type_family
from retention_assets.tables import CUSTOMER_STATE_TABLE, EVENTS_TABLE
from tests.retention_assets.specs.edits import EVENTS, PROFILES, loads, only

STATE_COLUMNS = {column.name: column.sql_type for column in CUSTOMER_STATE_COLUMNS}
EVENTS_COLUMNS = {column.name: column.sql_type for column in EVENT_COLUMNS}


@pytest.fixture(scope="module")
def warehouse(make_warehouse: Callable[[], WarehouseResource]) -> Iterator[WarehouseResource]:
    """The example models' tables (empty), plus a custom-shaped relation, in each warehouse."""
    warehouse = make_warehouse()
    with warehouse.session() as session:
        ensure_table(session, CUSTOMER_STATE_TABLE, CUSTOMER_STATE_COLUMNS)
        ensure_table(session, EVENTS_TABLE, EVENT_COLUMNS)
        session.execute("CREATE SCHEMA IF NOT EXISTS analytics")
        session.execute(
            "CREATE TABLE analytics.users (user_uuid VARCHAR, ltv_usd DECIMAL(12,2),"
            " orders BIGINT, signed_up_at TIMESTAMP)"
        )
    yield warehouse


def _spec(spec_file: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> SyncSpec:
    return loads(tmp_path, spec_file, edit)


def test_example_specs_fit_the_example_models_in_each_warehouse(
    warehouse: WarehouseResource,
) -> None:
    with warehouse.session() as session:
        for spec_file in (PROFILES, EVENTS):
            spec = load_component_spec(spec_file)
            columns = relation_columns(session, spec.source.relation)
            assert columns, spec.source.relation
            assert check_spec_against_relation(spec, columns) == []


def test_decimal_declared_integer_is_refused_in_each_warehouse(
    warehouse: WarehouseResource, tmp_path: Path
) -> None:
    """Snowflake names every fixed-point column NUMBER: the scale must tell them apart."""

    def edit(data: dict[str, Any]) -> None:
        data["source"]["relation"] = "analytics.users"
        data["source"]["partitioning"] = {"kind": "snapshot"}
        data["identity"] = {"column": "user_uuid"}
        data["attributes"] = [
            {"column": "ltv_usd", "kind": "integer"},
            {"column": "orders", "kind": "integer"},
            {"column": "signed_up_at", "kind": "timestamp"},
        ]

    spec = _spec(PROFILES, tmp_path, edit)
    with warehouse.session() as session:
        errors = check_spec_against_relation(spec, relation_columns(session, "analytics.users"))
    error = only(errors, "attributes[0].column")
    assert "cannot be sent as of kind integer" in error.problem
    assert [e.field for e in errors] == ["attributes[0].column"]


def test_relation_that_does_not_exist_is_one_error_on_the_relation(
    warehouse: WarehouseResource,
) -> None:
    spec = load_component_spec(PROFILES)
    with warehouse.session() as session:
        columns = relation_columns(session, "analytics.no_such_view")
    (error,) = check_spec_against_relation(spec, columns)
    assert (error.field, error.file) == ("source.relation", str(PROFILES))
    assert "build the upstream model first" in error.fix


def test_unknown_column_gets_the_closest_existing_column(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][1]["column"] = "lifetime_order"

    spec = _spec(PROFILES, tmp_path, edit)
    error = only(check_spec_against_relation(spec, STATE_COLUMNS), "attributes[1].column")
    assert error.problem == "column 'lifetime_order' is not in the relation"
    assert "did you mean 'lifetime_orders'?" in error.fix
    assert error.file == str(spec.path)
    assert error.line == spec.lines["attributes[1].column"]


def test_unknown_identity_column_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["identity"] = {"column": "user_id"}

    spec = _spec(PROFILES, tmp_path, edit)
    assert only(check_spec_against_relation(spec, STATE_COLUMNS), "identity.column")


def test_column_of_the_wrong_type_for_its_kind_names_the_types_that_fit(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][0]["kind"] = "timestamp"  # email, a VARCHAR

    spec = _spec(PROFILES, tmp_path, edit)
    error = only(check_spec_against_relation(spec, STATE_COLUMNS), "attributes[0].column")
    assert error.problem == "column 'email' is VARCHAR, which cannot be sent as of kind timestamp"
    assert "TIMESTAMP WITH TIME ZONE" in error.fix


def test_boolean_declared_as_number_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"] = [{"column": "is_vip", "kind": "number"}]
        data["identity"].pop("email_attribute")  # the email is no attribute any more

    spec = _spec(PROFILES, tmp_path, edit)
    assert only(check_spec_against_relation(spec, STATE_COLUMNS), "attributes[0].column")


def test_partition_column_must_be_a_date_for_as_of_state(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["source"]["partitioning"]["column"] = "last_order_at"

    spec = _spec(PROFILES, tmp_path, edit)
    error = only(check_spec_against_relation(spec, STATE_COLUMNS), "source.partitioning.column")
    assert "a DATE" in error.problem


def test_event_name_column_must_hold_strings(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["name"] = {"column": "occurred_at"}

    spec = _spec(EVENTS, tmp_path, edit)
    assert only(check_spec_against_relation(spec, EVENTS_COLUMNS), "events.name.column")


def test_source_zone_on_a_column_that_already_has_one_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["occurred_at"]["time_zone"] = "Europe/Berlin"

    spec = _spec(EVENTS, tmp_path, edit)
    error = only(check_spec_against_relation(spec, EVENTS_COLUMNS), "events.occurred_at.time_zone")
    assert "set `time_zone: UTC`" in error.fix


def test_source_zone_on_a_naive_timestamp_column_is_accepted(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["events"]["occurred_at"]["time_zone"] = "Europe/Berlin"

    spec = _spec(EVENTS, tmp_path, edit)
    naive = {**EVENTS_COLUMNS, "occurred_at": "TIMESTAMP"}
    assert check_spec_against_relation(spec, naive) == []


def test_source_zone_on_a_timestamp_attribute_that_has_one_is_refused(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attributes"][3]["time_zone"] = "Europe/Berlin"  # first_order_at, TIMESTAMPTZ

    spec = _spec(PROFILES, tmp_path, edit)
    error = only(check_spec_against_relation(spec, STATE_COLUMNS), "attributes[3].time_zone")
    assert "already holds absolute instants" in error.problem
    assert "set `time_zone: UTC`" in error.fix
    assert error.line == spec.lines["attributes[3].time_zone"]


def test_source_zone_on_a_naive_timestamp_attribute_is_accepted_in_each_warehouse(
    warehouse: WarehouseResource, tmp_path: Path
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["source"]["relation"] = "analytics.users"
        data["source"]["partitioning"] = {"kind": "snapshot"}
        data["identity"] = {"column": "user_uuid"}
        data["attributes"] = [
            {"column": "signed_up_at", "kind": "timestamp", "time_zone": "Europe/Berlin"}
        ]

    spec = _spec(PROFILES, tmp_path, edit)
    with warehouse.session() as session:
        columns = relation_columns(session, "analytics.users")
    assert check_spec_against_relation(spec, columns) == []


def test_naive_timestamp_attribute_without_a_zone_is_read_as_utc(tmp_path: Path) -> None:
    """As for events.occurred_at: no zone means UTC, for naive and zoned columns alike."""
    spec = load_component_spec(PROFILES)
    naive = {**STATE_COLUMNS, "first_order_at": "TIMESTAMP"}
    assert check_spec_against_relation(spec, naive) == []


def test_column_names_compare_case_insensitively_as_snowflake_reports_them() -> None:
    upper = {name.upper(): sql_type for name, sql_type in STATE_COLUMNS.items()}
    assert check_spec_against_relation(load_component_spec(PROFILES), upper) == []


@pytest.mark.parametrize(
    ("type_name", "family"),
    [
        ("DECIMAL(18,2)", "DECIMAL"),
        ("NUMBER(38,0)", "NUMBER(p,0)"),
        ("decimal(18, 0)", "NUMBER(p,0)"),
        ("NUMBER", "NUMBER(p,0)"),
        ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"),
        ("VARCHAR(255)", "VARCHAR"),
    ],
)
def test_type_family_reads_precision_and_scale(type_name: str, family: str) -> None:
    assert type_family(type_name) == family
