"""The checks a sync spec yields, on canonical source views holding good and bad rows.

Each test builds the engine's canonical view for a spec (a table in the canonical shape and
the view over it, in a ledger schema), writes clean rows plus the one bad case it shows, and
evaluates the spec's checks the way a run of the checked day would. The example shop's specs
and two small specs written here (other column names, a snapshot) are used, so descriptions
can be seen naming the user's own columns. The warehouse tests run on DuckDB and on fakesnow;
the Dagster run, on DuckDB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from asset_checks import names, sql
from asset_checks.factory import (
    FAILED_RULES,
    FAILING_ROWS,
    RUN_PARTITION,
    SAMPLE_PREFIX,
    Scope,
    SqlRule,
    WarehouseCheck,
    build_asset_check,
    latest_scope,
)
from asset_checks.spec_checks import (
    CUSTOMERIO_LIMITS,
    DUPLICATE_CUSTOMER_ID,
    DUPLICATE_PAIR,
    IMPLAUSIBLY_EARLY_TIMESTAMP,
    MISSING_OBJECT_ID,
    NEAR_DUPLICATE_NAMES,
    OBJECT_ID_TOO_LONG,
    PADDED_CUSTOMER_ID,
    PADDED_EVENT_KEY,
    PADDED_OBJECT_ID,
    PERSON_ID,
    TIMESTAMPS,
    UNIQUE_ID,
    UNIQUE_KEY,
    UNIQUE_PAIR,
    VOCABULARY,
    check_name,
    quoted_relation,
    spec_checks,
)
from asset_checks.vocabulary_drift import SAME_BUT_FORMATTING, SAME_WORDS_REORDERED, VISIBLE_SPACE
from resources.customerio.limits import ENTRY_MAX_BYTES, IDENTIFIER_MAX_BYTES
from resources.dialect import translate
from resources.warehouse import WarehouseResource
from retention_assets.attribute_types import ValueKind
from retention_assets.shop_specs import CUSTOMER_STATE_SPEC, EVENTS_SPEC
from retention_assets.specs.load import parse_spec
from retention_assets.specs.model import SyncSpec
from tests.metadata_tables import as_text
from tests.warehouses import duckdb_only

UTC = dt.UTC
DAY = dt.date(2025, 3, 10)
NOW = dt.datetime(2025, 3, 12, 12, 0, tzinfo=UTC)
STATE_SPEC = CUSTOMER_STATE_SPEC
# The example shop's prediction: after the as-of day by design.
PREDICTION = "predicted_next_purchase_at"
EPOCH_DAY = dt.date(1970, 1, 1)
WIDE_ID = "é" * 76  # 76 characters, 152 bytes

WORKSPACE = {
    "site_id_env": "CRM_SITE_ID",
    "track_key_env": "CRM_TRACK_KEY",
    "region_env": "CRM_REGION",
}


def custom_profiles(partitioning: Mapping[str, Any] | None = None) -> SyncSpec:
    """A team's own profile model: other id, day and attribute columns than the shop's."""
    return parse_spec(
        {
            "version": 1,
            "name": "crm_users",
            "source": {
                "asset": "analytics/crm_users",
                "relation": "analytics.crm_users",
                "partitioning": partitioning or {"kind": "daily_as_of", "column": "snapshot_date"},
            },
            "workspace": WORKSPACE,
            "identity": {"column": "user_uuid"},
            "attributes": [
                {"column": "ltv_usd", "name": "lifetime_value", "kind": "number"},
                {"column": "signup_ts", "name": "signed_up_at", "kind": "timestamp"},
                {"column": "plan_name", "name": "plan", "kind": "string"},
                {"column": "renews_on", "name": "renews_at", "kind": "timestamp"},
            ],
            "cadence": {"cron": "0 3 * * *", "trailing_days": 1},
        },
        Path("crm_users.yaml"),
    )


def custom_relationships() -> SyncSpec:
    """A team's own membership model: each user's seats on accounts (Customer.io objects)."""
    return parse_spec(
        {
            "version": 1,
            "name": "account_seats",
            "source": {
                "asset": "analytics/account_seats",
                "relation": "analytics.account_seats",
                "partitioning": {"kind": "daily_as_of", "column": "snapshot_date"},
            },
            "workspace": WORKSPACE,
            "identity": {"column": "user_uuid"},
            "relationships": {
                "object_type": {"id": 2, "name": "accounts"},
                "object_id": {"column": "account_ref"},
                "attributes": [
                    {"column": "seat_role", "name": "role", "kind": "string"},
                    {"column": "joined_ts", "name": "joined_at", "kind": "timestamp"},
                ],
            },
            "cadence": {"cron": "0 3 * * *", "trailing_days": 1},
        },
        Path("account_seats.yaml"),
    )


def custom_segment() -> SyncSpec:
    """A team's own audience model, kept as a manual segment."""
    return parse_spec(
        {
            "version": 1,
            "name": "trial_audience",
            "source": {
                "asset": "analytics/trial_audience",
                "relation": "analytics.trial_audience",
                "partitioning": {"kind": "daily_as_of", "column": "snapshot_date"},
            },
            "workspace": {**WORKSPACE, "app_key_env": "CRM_APP_KEY"},
            "identity": {"column": "user_uuid"},
            "segment": {"name": "Trials"},
            "cadence": {"cron": "0 3 * * *", "trailing_days": 1},
        },
        Path("trial_audience.yaml"),
    )


def custom_events(partitioning: Mapping[str, Any] | None = None) -> SyncSpec:
    """A team's own event model: a Berlin-time column, custom names and keys."""
    return parse_spec(
        {
            "version": 1,
            "name": "app_events",
            "source": {
                "asset": "analytics/app_events",
                "relation": "analytics.app_events",
                "partitioning": partitioning or {"kind": "daily_events", "column": "ts_local"},
            },
            "workspace": WORKSPACE,
            "identity": {"column": "user_uuid"},
            "events": {
                "key": "evt_id",
                "name": {"column": "action"},
                "vocabulary": [{"name": "Trial Started"}, {"name": "Plan Upgraded"}],
                "occurred_at": {"column": "ts_local", "time_zone": "Europe/Berlin"},
                "properties": [{"column": "plan_name", "name": "plan"}],
            },
            "cadence": {"cron": "*/15 * * * *", "trailing_days": 2},
        },
        Path("app_events.yaml"),
    )


_KIND_TYPES = {
    ValueKind.STRING: "VARCHAR",
    ValueKind.INTEGER: "BIGINT",
    ValueKind.NUMBER: "DECIMAL(18, 2)",
    ValueKind.BOOLEAN: "BOOLEAN",
    ValueKind.TIMESTAMP: "TIMESTAMPTZ",
}
_KIND_VALUES: dict[ValueKind, Any] = {
    ValueKind.STRING: "gold",
    ValueKind.INTEGER: 3,
    ValueKind.NUMBER: Decimal("120.50"),
    ValueKind.BOOLEAN: True,
    ValueKind.TIMESTAMP: dt.datetime(2025, 3, 1, 9, tzinfo=UTC),
}
EVENT_COLUMNS = {
    "event_key": "VARCHAR",
    "event_name": "VARCHAR",
    "customer_id": "VARCHAR",
    "occurred_at": "TIMESTAMPTZ",
    "event_date": "DATE",
    "properties": "VARCHAR",
}


def columns_of(spec: SyncSpec) -> dict[str, str]:
    """The canonical view's columns for ``spec`` (the engine's contract), with types."""
    if spec.events is not None:
        return EVENT_COLUMNS
    attributes = {m.attribute: _KIND_TYPES[m.kind] for m in spec.written_attributes}
    target = {"target_id": "VARCHAR"} if spec.membership is not None else {}
    return {"customer_id": "VARCHAR", **target, "as_of_date": "DATE", **attributes}


def profile(spec: SyncSpec, customer_id: str | None, **overrides: Any) -> dict[str, Any]:
    """A clean canonical profile row on DAY; ``overrides`` set the case a test shows."""
    row = {"customer_id": customer_id, "as_of_date": DAY}
    row |= {m.attribute: _KIND_VALUES[m.kind] for m in spec.attributes}
    return row | overrides


def pair(
    spec: SyncSpec, customer_id: str | None, target_id: str | None, **overrides: Any
) -> dict[str, Any]:
    """A clean canonical membership row on DAY (a segment's members have target '')."""
    row = {"customer_id": customer_id, "target_id": target_id, "as_of_date": DAY}
    row |= {m.attribute: _KIND_VALUES[m.kind] for m in spec.written_attributes}
    return row | overrides


def event(event_key: str | None, **overrides: Any) -> dict[str, Any]:
    """A clean canonical event on DAY; ``overrides`` set the case a test shows."""
    occurred_at = overrides.get("occurred_at", dt.datetime.combine(DAY, dt.time(14, 30), UTC))
    row = {
        "event_key": event_key,
        "event_name": "Order Placed",
        "customer_id": "cust_1",
        "occurred_at": occurred_at,
        "event_date": occurred_at.date() if occurred_at else DAY,
        "properties": '{"order_id": "1001"}',
    }
    return row | overrides


class Verdict:
    """A check result, read the way a person reads it in the UI."""

    def __init__(self, check: WarehouseCheck, result: dg.AssetCheckResult) -> None:
        self.check = check
        self.result = result

    @property
    def passed(self) -> bool:
        return self.result.passed

    @property
    def failing_rows(self) -> int:
        return self.result.metadata[FAILING_ROWS].value

    @property
    def failed_rules(self) -> list[str]:
        text = self.result.metadata[FAILED_RULES].value
        return [] if text == "none" else text.split(", ")

    def sample(self, rule: str) -> str:
        return as_text(self.result.metadata[f"{SAMPLE_PREFIX}{rule}"])


class CanonicalView:
    """A spec's canonical source view: a table in the canonical shape and the view over it."""

    def __init__(self, warehouse: WarehouseResource, spec: SyncSpec, day_sql: str = "") -> None:
        self.warehouse = warehouse
        self.spec = spec
        self.columns = columns_of(spec)
        schema = f'"sync_{spec.name}"'
        self.table = f'{schema}."{spec.name}__rows"'
        self.relation = f'{schema}."{spec.name}__source"'
        definitions = ", ".join(f'"{name}" {sql_type}' for name, sql_type in self.columns.items())
        # A snapshot's view computes its day: every row is as of today.
        selected = "*" if not day_sql else f'* REPLACE ({day_sql} AS "as_of_date")'
        with warehouse.session() as session:
            session.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            session.execute(f"CREATE TABLE {self.table} ({definitions})")
            session.execute(f"CREATE VIEW {self.relation} AS SELECT {selected} FROM {self.table}")

    def add(self, *rows: Mapping[str, Any]) -> None:
        with self.warehouse.session() as session:
            for row in rows:
                columns = ", ".join(f'"{name}"' for name in row)
                values = ", ".join(f"$p{index}" for index in range(len(row)))
                params = {f"p{index}": value for index, value in enumerate(row.values())}
                session.execute(f"INSERT INTO {self.table} ({columns}) VALUES ({values})", params)

    def checks(self, **options: Any) -> list[WarehouseCheck]:
        asset = dg.AssetKey(self.spec.source.asset.split("/"))
        return spec_checks(self.spec, self.relation, asset, clock=lambda: NOW, **options)

    def check(self, check: str, scope: Scope | None = None, **options: Any) -> Verdict:
        """Evaluate one of the spec's checks on DAY, as a run of that partition would."""
        name = check_name(self.spec, check)
        (found,) = [c for c in self.checks(**options) if c.name == name]
        with self.warehouse.session() as session:
            outcome = found.evaluate(session, scope or Scope(DAY, DAY, RUN_PARTITION))
        return Verdict(found, found.result(outcome))


@pytest.fixture
def view(make_warehouse: Callable[[], WarehouseResource]) -> Callable[..., CanonicalView]:
    def make(spec: SyncSpec, *rows: Mapping[str, Any], day_sql: str = "") -> CanonicalView:
        canonical = CanonicalView(make_warehouse(), spec, day_sql)
        canonical.add(*rows)
        return canonical

    return make


def state_view(view: Callable[..., CanonicalView], *rows: Mapping[str, Any]) -> CanonicalView:
    """The example shop's customer state view: two clean customers plus ``rows``."""
    spec = STATE_SPEC
    clean = [profile(spec, "cust_1"), profile(spec, "cust_2", vip_tier="silver")]
    # The prediction lies after the day, as the shop's model computes it.
    future = {PREDICTION: dt.datetime(2025, 4, 1, tzinfo=UTC)}
    return view(spec, *(row | future for row in clean), *rows)


def events_view(view: Callable[..., CanonicalView], *rows: Mapping[str, Any]) -> CanonicalView:
    """The example shop's events view: three clean events plus ``rows``."""
    return view(
        EVENTS_SPEC,
        event("order:1"),
        event("refund:1", event_name="Order Refunded"),
        event("ticket:1", event_name="Support Ticket Opened", customer_id="cust_2"),
        *rows,
    )


SHOP_FUTURE = {"may_be_future": [PREDICTION]}


# --- profiles ---------------------------------------------------------------------------


def test_clean_profiles_pass_every_check(view: Callable[..., CanonicalView]) -> None:
    canonical = state_view(view)
    checks = canonical.checks(**SHOP_FUTURE)
    assert [c.name for c in checks] == [
        "customer_state__unique_id",
        "customer_state__timestamps",
        "customer_state__customerio_limits",
    ]
    # Over-limit rows are rejected one by one by the send, the rest sent: the limits warn.
    warn = [c.name for c in checks if c.severity == dg.AssetCheckSeverity.WARN]
    assert warn == ["customer_state__customerio_limits"]
    assert all(c.blocking for c in checks if c.name not in warn)
    for check in (UNIQUE_ID, TIMESTAMPS, CUSTOMERIO_LIMITS):
        verdict = canonical.check(check, **SHOP_FUTURE)
        assert verdict.passed, (check, verdict.failed_rules)


def test_a_duplicate_id_fails_with_every_copy_in_the_sample(
    view: Callable[..., CanonicalView],
) -> None:
    canonical = state_view(view, profile(STATE_SPEC, "cust_2"))
    verdict = canonical.check(UNIQUE_ID)
    assert not verdict.passed
    assert verdict.failed_rules == [DUPLICATE_CUSTOMER_ID]
    assert verdict.failing_rows == 2
    sample = verdict.sample(DUPLICATE_CUSTOMER_ID)
    assert sample.count("| cust_2 |") == 2
    assert "unique" in sample  # Pandera's verdict on each copy


def test_the_same_id_on_another_day_is_no_duplicate(view: Callable[..., CanonicalView]) -> None:
    canonical = state_view(view, profile(STATE_SPEC, "cust_2", as_of_date=DAY + dt.timedelta(1)))
    last = DAY + dt.timedelta(1)
    assert canonical.check(UNIQUE_ID, Scope(DAY, last, RUN_PARTITION)).passed


@pytest.mark.parametrize("missing", [None, "", "  \t", "\u00a0\u00a0"])
def test_a_null_or_blank_id_fails(view: Callable[..., CanonicalView], missing: str | None) -> None:
    canonical = state_view(view, profile(STATE_SPEC, missing, email="nobody@example.com"))
    verdict = canonical.check(UNIQUE_ID)
    assert verdict.failed_rules == [names.MISSING_CUSTOMER_ID]
    assert verdict.failing_rows == 1


@pytest.mark.parametrize("padded", [" cust_3", "cust_3 ", "cust_3\t", "\u00a0cust_3"])
def test_a_padded_id_fails_and_is_not_trimmed(
    view: Callable[..., CanonicalView], padded: str
) -> None:
    canonical = state_view(view, profile(STATE_SPEC, padded))
    verdict = canonical.check(UNIQUE_ID)
    assert verdict.failed_rules == [PADDED_CUSTOMER_ID]
    sample = verdict.sample(PADDED_CUSTOMER_ID)
    assert "trimmed(customer_id)" in sample
    # Between quotes, so the padding shows (as one space, the way the UI's tables show it).
    assert '| " cust_3" |' in sample or '| "cust_3 " |' in sample
    # A padded id next to its trimmed twin is two people, not a duplicate.
    canonical.add(profile(STATE_SPEC, "cust_3"))
    assert canonical.check(UNIQUE_ID).failed_rules == [PADDED_CUSTOMER_ID]


def test_a_future_timestamp_fails_naming_the_attribute(view: Callable[..., CanonicalView]) -> None:
    leaked = dt.datetime.combine(DAY + dt.timedelta(1), dt.time(9), UTC)
    canonical = state_view(view, profile(STATE_SPEC, "cust_3", last_order_at=leaked))
    verdict = canonical.check(TIMESTAMPS, **SHOP_FUTURE)
    assert verdict.failed_rules == [names.FUTURE_TIMESTAMP]
    assert verdict.failing_rows == 1
    sample = verdict.sample(names.FUTURE_TIMESTAMP)
    assert "cust_3" in sample and "last_order_at" in sample
    assert leaked.isoformat() in sample


def test_a_timestamp_within_the_skew_passes(view: Callable[..., CanonicalView]) -> None:
    end_of_day = dt.datetime.combine(DAY + dt.timedelta(1), dt.time(0, 4), UTC)
    canonical = state_view(view, profile(STATE_SPEC, "cust_3", last_order_at=end_of_day))
    assert canonical.check(TIMESTAMPS, **SHOP_FUTURE).passed


def test_a_prediction_may_lie_in_the_future_only_when_declared(
    view: Callable[..., CanonicalView],
) -> None:
    canonical = state_view(view)
    assert canonical.check(TIMESTAMPS, **SHOP_FUTURE).passed
    verdict = canonical.check(TIMESTAMPS)
    assert verdict.failed_rules == [names.FUTURE_TIMESTAMP]
    assert PREDICTION in verdict.sample(names.FUTURE_TIMESTAMP)
    with pytest.raises(ValueError, match="email"):
        canonical.checks(may_be_future=["email"])


@pytest.mark.parametrize(
    "sentinel", [dt.datetime(1, 1, 1, tzinfo=UTC), dt.datetime(1900, 1, 1, tzinfo=UTC)]
)
def test_a_sentinel_timestamp_fails(
    view: Callable[..., CanonicalView], sentinel: dt.datetime
) -> None:
    canonical = state_view(view, profile(STATE_SPEC, "cust_3", last_refund_at=sentinel))
    verdict = canonical.check(TIMESTAMPS, **SHOP_FUTURE)
    assert verdict.failed_rules == [IMPLAUSIBLY_EARLY_TIMESTAMP]
    assert "last_refund_at" in verdict.sample(IMPLAUSIBLY_EARLY_TIMESTAMP)


def test_an_old_but_real_date_passes(view: Callable[..., CanonicalView]) -> None:
    birthday = dt.datetime(1950, 6, 1, tzinfo=UTC)
    canonical = state_view(view, profile(STATE_SPEC, "cust_3", first_order_at=birthday))
    assert canonical.check(TIMESTAMPS, **SHOP_FUTURE).passed


def test_an_identifier_too_long_in_bytes_fails(view: Callable[..., CanonicalView]) -> None:
    assert len(WIDE_ID) < IDENTIFIER_MAX_BYTES < len(WIDE_ID.encode())
    canonical = state_view(view, profile(STATE_SPEC, WIDE_ID))
    verdict = canonical.check(CUSTOMERIO_LIMITS)
    assert verdict.failed_rules == [names.CUSTOMER_ID_TOO_LONG]
    assert "| 152 |" in verdict.sample(names.CUSTOMER_ID_TOO_LONG)


def test_a_text_attribute_value_too_long_fails(view: Callable[..., CanonicalView]) -> None:
    canonical = state_view(view, profile(STATE_SPEC, "cust_3", top_category="x" * 1001))
    verdict = canonical.check(CUSTOMERIO_LIMITS)
    assert verdict.failed_rules == [names.ATTRIBUTE_VALUE_TOO_LONG]
    sample = verdict.sample(names.ATTRIBUTE_VALUE_TOO_LONG)
    assert "| cust_3 |" in sample and "top_category" in sample and "| 1001 |" in sample
    assert "xxxx" not in sample


# --- a team's own profile model ---------------------------------------------------------


def test_custom_profiles_checks_name_the_users_columns(
    view: Callable[..., CanonicalView],
) -> None:
    spec = custom_profiles()
    canonical = view(spec, profile(spec, "u-1"), profile(spec, "u-1"))
    checks = {c.name: c for c in canonical.checks(may_be_future=["renews_at"])}
    unique = checks["crm_users__unique_id"]
    assert "user_uuid (the identity column)" in unique.description
    assert "snapshot_date (the partition day)" in unique.description
    assert "lifetime_value is ltv_usd" in unique.description
    assert "analytics.crm_users" in unique.description
    (missing,) = [r for r in unique.rules if r.name == names.MISSING_CUSTOMER_ID]
    assert "user_uuid (the identity column)" in missing.description
    timestamps = checks["crm_users__timestamps"]
    (future,) = [r for r in timestamps.rules if r.name == names.FUTURE_TIMESTAMP]
    assert "signup_ts as signed_up_at" in future.description
    assert "renews_on as renews_at may lie in the future" in future.description
    limits = checks["crm_users__customerio_limits"]
    (too_long,) = [r for r in limits.rules if r.name == names.ATTRIBUTE_VALUE_TOO_LONG]
    assert "plan_name as plan" in too_long.description

    verdict = canonical.check(UNIQUE_ID)
    assert verdict.failed_rules == [DUPLICATE_CUSTOMER_ID]
    assert "u-1" in verdict.sample(DUPLICATE_CUSTOMER_ID)


def test_a_timestamp_read_in_a_local_zone_is_described_as_converted() -> None:
    spec = custom_profiles()
    berlin = [
        mapping.model_copy(update={"time_zone": "Europe/Berlin"})
        if mapping.column == "signup_ts"
        else mapping
        for mapping in spec.attributes
    ]
    spec = spec.model_copy(update={"attributes": tuple(berlin)})
    checks = {
        c.name: c
        for c in spec_checks(spec, "cio_crm_users.crm_users__source", dg.AssetKey("crm_users"))
    }

    (future,) = [
        r for r in checks["crm_users__timestamps"].rules if r.name == names.FUTURE_TIMESTAMP
    ]
    assert "signup_ts as signed_up_at (converted from Europe/Berlin to UTC)" in future.description
    assert "renews_on as renews_at (converted" not in future.description


def test_custom_profiles_future_signup_fails_and_future_renewal_passes(
    view: Callable[..., CanonicalView],
) -> None:
    spec = custom_profiles()
    later = dt.datetime(2025, 5, 1, tzinfo=UTC)
    canonical = view(spec, profile(spec, "u-1", renews_at=later))
    assert canonical.check(TIMESTAMPS, may_be_future=["renews_at"]).passed
    canonical.add(profile(spec, "u-2", signed_up_at=later))
    verdict = canonical.check(TIMESTAMPS, may_be_future=["renews_at"])
    assert verdict.failed_rules == [names.FUTURE_TIMESTAMP]
    sample = verdict.sample(names.FUTURE_TIMESTAMP)
    assert "u-2" in sample and "signed_up_at" in sample and "u-1" not in sample


def test_a_snapshot_is_checked_as_of_today(view: Callable[..., CanonicalView]) -> None:
    spec = custom_profiles({"kind": "snapshot"})
    canonical = view(
        spec,
        profile(spec, "u-1"),
        profile(spec, "u-1 "),
        day_sql="CAST(current_timestamp AS DATE)",
    )
    (unique,) = [c for c in canonical.checks() if c.name == "crm_users__unique_id"]
    assert "the run's UTC date (a snapshot" in unique.description
    with canonical.warehouse.session() as session:
        scope = latest_scope(session, unique.partitions)
    assert scope is not None and scope.first_day == dt.datetime.now(UTC).date()
    verdict = canonical.check(UNIQUE_ID, scope)
    assert verdict.failed_rules == [PADDED_CUSTOMER_ID]


# --- relationships and segment members -------------------------------------------------


def seats_view(view: Callable[..., CanonicalView], *rows: Mapping[str, Any]) -> CanonicalView:
    """A relationship view: u-1 on two accounts, u-2 on one, plus ``rows``."""
    spec = custom_relationships()
    clean = [pair(spec, "u-1", "acme"), pair(spec, "u-1", "globex"), pair(spec, "u-2", "acme")]
    return view(spec, *clean, *rows)


def test_clean_relationships_pass_every_check(view: Callable[..., CanonicalView]) -> None:
    canonical = seats_view(view)
    checks = canonical.checks()
    assert [c.name for c in checks] == [
        "account_seats__unique_pair",
        "account_seats__timestamps",
        "account_seats__customerio_limits",
    ]
    assert [c.name for c in checks if not c.blocking] == ["account_seats__customerio_limits"]
    unique = checks[0]
    assert "user_uuid (the identity column)" in unique.description
    assert "account_ref (the object id)" in unique.description
    assert "target_id is account_ref (the object id)" in unique.description
    assert "role is seat_role" in unique.description
    for check in (UNIQUE_PAIR, TIMESTAMPS, CUSTOMERIO_LIMITS):
        verdict = canonical.check(check)
        assert verdict.passed, (check, verdict.failed_rules)


def test_a_pair_listed_twice_fails_with_both_copies(view: Callable[..., CanonicalView]) -> None:
    spec = custom_relationships()
    canonical = seats_view(view, pair(spec, "u-2", "acme", role="owner"))
    verdict = canonical.check(UNIQUE_PAIR)
    assert verdict.failed_rules == [DUPLICATE_PAIR]
    assert verdict.failing_rows == 2
    sample = verdict.sample(DUPLICATE_PAIR)
    assert sample.count("| u-2 | acme |") == 2


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (("u-3", None), MISSING_OBJECT_ID),
        (("u-3", " \t"), MISSING_OBJECT_ID),
        (("u-3", "acme "), PADDED_OBJECT_ID),
        ((None, "acme"), names.MISSING_CUSTOMER_ID),
        ((" u-3", "acme"), PADDED_CUSTOMER_ID),
    ],
    ids=["null-object", "blank-object", "padded-object", "null-person", "padded-person"],
)
def test_a_pair_without_both_ids_set_and_trimmed_fails(
    view: Callable[..., CanonicalView], row: tuple[str | None, str | None], rule: str
) -> None:
    canonical = seats_view(view, pair(custom_relationships(), *row))
    verdict = canonical.check(UNIQUE_PAIR)
    assert verdict.failed_rules == [rule]
    assert verdict.failing_rows == 1


def test_a_relationship_timestamp_in_the_future_or_a_sentinel_fails(
    view: Callable[..., CanonicalView],
) -> None:
    spec = custom_relationships()
    canonical = seats_view(
        view,
        pair(spec, "u-3", "acme", joined_at=dt.datetime(2025, 6, 1, tzinfo=UTC)),
        pair(spec, "u-4", "acme", joined_at=dt.datetime(1, 1, 1, tzinfo=UTC)),
    )
    verdict = canonical.check(TIMESTAMPS)
    assert verdict.failed_rules == [names.FUTURE_TIMESTAMP, IMPLAUSIBLY_EARLY_TIMESTAMP]
    assert "| u-3 | acme |" in verdict.sample(names.FUTURE_TIMESTAMP)
    assert "joined_at" in verdict.sample(IMPLAUSIBLY_EARLY_TIMESTAMP)


def test_an_object_id_too_long_warns_and_a_long_relationship_value_does_not(
    view: Callable[..., CanonicalView],
) -> None:
    spec = custom_relationships()
    canonical = seats_view(view, pair(spec, "u-4", "a", role="x" * 1001))
    assert canonical.check(CUSTOMERIO_LIMITS).passed  # only a 100 KB total applies
    canonical.add(pair(spec, "u-3", WIDE_ID))
    verdict = canonical.check(CUSTOMERIO_LIMITS)
    assert verdict.failed_rules == [OBJECT_ID_TOO_LONG]
    assert "| 152 |" in verdict.sample(OBJECT_ID_TOO_LONG)


def test_a_segment_member_listed_twice_or_padded_fails(view: Callable[..., CanonicalView]) -> None:
    spec = custom_segment()
    canonical = view(spec, pair(spec, "u-1", ""), pair(spec, "u-2", ""))
    checks = canonical.checks()
    assert [c.name for c in checks] == [
        "trial_audience__unique_id",
        "trial_audience__customerio_limits",
    ]
    assert "target_id" not in checks[0].description  # a member joins no object
    assert canonical.check(UNIQUE_ID).passed
    canonical.add(pair(spec, "u-2", ""), pair(spec, "u-3 ", ""))
    verdict = canonical.check(UNIQUE_ID)
    assert verdict.failed_rules == [PADDED_CUSTOMER_ID, DUPLICATE_CUSTOMER_ID]
    assert verdict.sample(DUPLICATE_CUSTOMER_ID).count("| u-2 |") == 2


# --- events -----------------------------------------------------------------------------


def test_clean_events_pass_every_check(view: Callable[..., CanonicalView]) -> None:
    canonical = events_view(view)
    checks = canonical.checks()
    assert [c.name for c in checks] == [
        "events__unique_key",
        "events__person_id",
        "events__timestamps",
        "events__vocabulary",
        "events__near_duplicate_names",
        "events__customerio_limits",
    ]
    warn = [c.name for c in checks if c.severity == dg.AssetCheckSeverity.WARN]
    assert warn == ["events__near_duplicate_names", "events__customerio_limits"]
    assert all(c.blocking for c in checks if c.name not in warn)
    for check in (UNIQUE_KEY, PERSON_ID, TIMESTAMPS, VOCABULARY, NEAR_DUPLICATE_NAMES):
        verdict = canonical.check(check)
        assert verdict.passed, (check, verdict.failed_rules)
    assert canonical.check(CUSTOMERIO_LIMITS).passed


def test_a_duplicate_event_key_fails(view: Callable[..., CanonicalView]) -> None:
    canonical = events_view(view, event("order:1", customer_id="cust_9"))
    verdict = canonical.check(UNIQUE_KEY)
    assert verdict.failed_rules == [names.DUPLICATE_EVENT_KEY]
    sample = verdict.sample(names.DUPLICATE_EVENT_KEY)
    assert sample.count("| order:1 |") == 2 and "cust_9" in sample


def test_a_key_of_the_checked_day_also_on_another_day_is_a_duplicate(
    view: Callable[..., CanonicalView],
) -> None:
    # A rebuild moved order:1 a day earlier without deleting the old copy: one id, two events.
    earlier = dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(9), UTC)
    canonical = events_view(view, event("order:1", occurred_at=earlier))
    verdict = canonical.check(UNIQUE_KEY)
    assert verdict.failed_rules == [names.DUPLICATE_EVENT_KEY]
    assert verdict.failing_rows == 2
    sample = verdict.sample(names.DUPLICATE_EVENT_KEY)
    assert "| order:1 | 2025-03-09 |" in sample and "| order:1 | 2025-03-10 |" in sample
    # Keys of other days alone are not this day's business.
    other = events_view(
        view, event("order:5", occurred_at=earlier), event("order:5", occurred_at=earlier)
    )
    assert other.check(UNIQUE_KEY).passed


def test_a_null_or_padded_event_key_fails(view: Callable[..., CanonicalView]) -> None:
    canonical = events_view(view, event(None), event("order:2 "))
    verdict = canonical.check(UNIQUE_KEY)
    assert verdict.failed_rules == [names.MISSING_EVENT_KEY, PADDED_EVENT_KEY]
    assert "order:2" in verdict.sample(PADDED_EVENT_KEY)


def test_a_null_or_padded_customer_id_fails(view: Callable[..., CanonicalView]) -> None:
    canonical = events_view(view, event("order:2", customer_id=None))
    verdict = canonical.check(PERSON_ID)
    assert verdict.failed_rules == [names.MISSING_CUSTOMER_ID]
    assert "order:2" in verdict.sample(names.MISSING_CUSTOMER_ID)
    canonical.add(event("order:3", customer_id=" cust_1"))
    verdict = canonical.check(PERSON_ID)
    assert verdict.failed_rules == [names.MISSING_CUSTOMER_ID, PADDED_CUSTOMER_ID]
    assert "order:3" in verdict.sample(PADDED_CUSTOMER_ID)


def test_a_future_or_epoch_event_time_fails(view: Callable[..., CanonicalView]) -> None:
    future = NOW + dt.timedelta(hours=1)
    epoch = dt.datetime(1970, 1, 1, tzinfo=UTC)
    canonical = events_view(
        view,
        event("order:2", occurred_at=future),
        event("order:3", occurred_at=epoch),
    )
    verdict = canonical.check(TIMESTAMPS, Scope(EPOCH_DAY, NOW.date(), RUN_PARTITION))
    assert verdict.failed_rules == [names.FUTURE_TIMESTAMP, IMPLAUSIBLY_EARLY_TIMESTAMP]
    assert "order:2" in verdict.sample(names.FUTURE_TIMESTAMP)
    assert "order:3" in verdict.sample(IMPLAUSIBLY_EARLY_TIMESTAMP)


def test_an_event_within_the_skew_passes(view: Callable[..., CanonicalView]) -> None:
    soon = NOW + dt.timedelta(minutes=4)
    canonical = events_view(view, event("order:2", occurred_at=soon))
    assert canonical.check(TIMESTAMPS, Scope(DAY, NOW.date(), RUN_PARTITION)).passed


def test_an_unknown_event_name_fails_and_resembles_nothing(
    view: Callable[..., CanonicalView],
) -> None:
    canonical = events_view(view, event("coupon:1", event_name="Coupon Redeemed"))
    verdict = canonical.check(VOCABULARY)
    assert verdict.failed_rules == [names.UNKNOWN_EVENT_NAME]
    assert "Coupon Redeemed" in verdict.sample(names.UNKNOWN_EVENT_NAME)
    assert canonical.check(NEAR_DUPLICATE_NAMES).passed


def test_a_near_duplicate_name_warns_naming_the_vocabulary_name(
    view: Callable[..., CanonicalView],
) -> None:
    canonical = events_view(view, event("order:2", event_name="order placed"))
    warning = canonical.check(NEAR_DUPLICATE_NAMES)
    assert not warning.passed
    assert warning.result.severity == dg.AssetCheckSeverity.WARN
    sample = warning.sample(names.NEAR_DUPLICATE_EVENT_NAME)
    assert "| order placed | Order Placed |" in sample
    # Off the vocabulary all the same: the blocking check stops it.
    blocking = canonical.check(VOCABULARY)
    assert blocking.failed_rules == [names.UNKNOWN_EVENT_NAME]
    assert blocking.result.severity == dg.AssetCheckSeverity.ERROR
    assert "Order Placed" in blocking.sample(names.UNKNOWN_EVENT_NAME)


def test_a_drifted_name_shows_its_spacing_and_how_it_differs(
    view: Callable[..., CanonicalView],
) -> None:
    canonical = events_view(
        view,
        event("order:2", event_name="Order  Placed"),
        event("order:3", event_name="Placed Order"),
    )
    sample = canonical.check(NEAR_DUPLICATE_NAMES).sample(names.NEAR_DUPLICATE_EVENT_NAME)
    # Markdown would collapse the double space: it is shown, so the drift can be seen.
    assert f"| Order{VISIBLE_SPACE * 2}Placed | Order Placed | {SAME_BUT_FORMATTING} |" in sample
    assert f"| Placed Order | Order Placed | {SAME_WORDS_REORDERED} |" in sample


def test_oversize_event_fields_fail(view: Callable[..., CanonicalView]) -> None:
    large = '{"note": "' + "x" * ENTRY_MAX_BYTES + '"}'
    canonical = events_view(
        view, event("order:2", properties=large), event("order:3", customer_id=WIDE_ID)
    )
    verdict = canonical.check(CUSTOMERIO_LIMITS)
    assert verdict.failed_rules == [names.CUSTOMER_ID_TOO_LONG, names.PROPERTIES_TOO_LARGE]
    assert "order:2" in verdict.sample(names.PROPERTIES_TOO_LARGE)
    assert "xxxx" not in verdict.sample(names.PROPERTIES_TOO_LARGE)
    assert "order:3" in verdict.sample(names.CUSTOMER_ID_TOO_LONG)


def test_custom_events_checks_name_the_users_columns(view: Callable[..., CanonicalView]) -> None:
    spec = custom_events()
    canonical = view(
        spec,
        event("e-1", event_name="Trial Started"),
        event("e-2", event_name="plan-upgraded"),
    )
    checks = {c.name: c for c in canonical.checks()}
    description = checks["app_events__timestamps"].description
    assert "ts_local (converted from Europe/Berlin to UTC)" in description
    assert "event_key is evt_id" in description
    assert "customer_id is user_uuid" in description
    assert "action (the event name)" in checks["app_events__vocabulary"].description
    (too_large,) = [
        r
        for r in checks["app_events__customerio_limits"].rules
        if r.name == names.PROPERTIES_TOO_LARGE
    ]
    assert "event data (from plan_name)" in too_large.description

    warning = canonical.check(NEAR_DUPLICATE_NAMES)
    assert "| plan-upgraded | Plan Upgraded |" in warning.sample(names.NEAR_DUPLICATE_EVENT_NAME)
    assert canonical.check(VOCABULARY).failed_rules == [names.UNKNOWN_EVENT_NAME]


def test_a_snapshot_event_stream_is_checked_whole(view: Callable[..., CanonicalView]) -> None:
    spec = custom_events({"kind": "snapshot"})
    old = dt.datetime(2024, 1, 5, 8, tzinfo=UTC)
    canonical = view(
        spec,
        event("e-1", event_name="Trial Started"),
        event("e-1", event_name="Trial Started", occurred_at=old),
    )
    (unique,) = [c for c in canonical.checks() if c.name == "app_events__unique_key"]
    with canonical.warehouse.session() as session:
        scope = latest_scope(session, unique.partitions)
    assert scope is not None
    verdict = canonical.check(UNIQUE_KEY, scope)
    assert verdict.failed_rules == [names.DUPLICATE_EVENT_KEY]
    assert verdict.failing_rows == 2


# --- relations, SQL and Dagster ---------------------------------------------------------


def test_the_relation_is_quoted_whatever_it_holds() -> None:
    assert quoted_relation('"cio_sync"."events__source"') == '"cio_sync"."events__source"'
    assert quoted_relation("db.cio_sync.x") == '"db"."cio_sync"."x"'
    assert quoted_relation('a."b""; DROP TABLE x; --"') == '"a"."b""; DROP TABLE x; --"'
    for bad in ("events__source", "a.b.c.d", 'a."b'):
        with pytest.raises(ValueError):
            quoted_relation(bad)


@pytest.mark.parametrize(
    "spec",
    [
        STATE_SPEC,
        EVENTS_SPEC,
        custom_profiles(),
        custom_events(),
        custom_relationships(),
        custom_segment(),
    ],
)
def test_every_query_translates_to_snowflake(spec: SyncSpec) -> None:
    """As the factory runs them (wrapped in its sample query), with the values it binds."""
    checks = spec_checks(spec, f'"sync"."{spec.name}__source"', dg.AssetKey("x"))
    rules = [rule for check in checks for rule in check.rules if isinstance(rule, SqlRule)]
    assert rules
    values = {
        **Scope(DAY, DAY, RUN_PARTITION).params(),
        "not_after": NOW,
        "skew_seconds": 300,
        "sample_rows": 10,
    }
    for rule in rules:
        for query in (
            sql.COUNT_FAILING.format(rule=rule.sql),
            sql.SAMPLE_FAILING.format(rule=rule.sql, order_by=rule.order_by),
        ):
            snowflake, _ = translate(query, {**values, **rule.params})
            assert snowflake.startswith("SELECT"), rule.name
            assert f'"SYNC"."{spec.name.upper()}__SOURCE"' in snowflake


UPSTREAM = dg.AssetKey(["analytics", "crm_users"])
DOWNSTREAM = "crm_users_send"


@duckdb_only
@pytest.mark.parametrize(
    ("second_id", "blocked"), [("u-2", False), ("u-2 ", True)], ids=["clean", "padded"]
)
def test_a_failed_spec_check_stops_the_downstream_asset_in_the_same_run(
    make_warehouse: Callable[[], WarehouseResource], second_id: str, blocked: bool
) -> None:
    spec = custom_profiles()
    warehouse = make_warehouse()
    canonical = CanonicalView(warehouse, spec)

    @dg.asset(key=UPSTREAM)
    def crm_users() -> None:
        """Writes the day's rows into the table under the canonical view."""
        canonical.add(profile(spec, "u-1"), profile(spec, second_id))

    @dg.asset(name=DOWNSTREAM, deps=[crm_users])
    def crm_users_send() -> None:
        """Stands in for the send: running at all means data would reach Customer.io."""

    checks = [build_asset_check(check) for check in canonical.checks()]
    result = dg.materialize(
        [crm_users, crm_users_send, *checks],
        resources={"warehouse": warehouse},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert (DOWNSTREAM in started) is not blocked
    evaluations = {
        e.check_name: e for e in result.get_asset_check_evaluations() if e.asset_key == UPSTREAM
    }
    assert set(evaluations) == {check.name for check in canonical.checks()}
    failed = {name for name, evaluation in evaluations.items() if not evaluation.passed}
    assert failed == ({"crm_users__unique_id"} if blocked else set())
    if blocked:
        unique = evaluations["crm_users__unique_id"]
        assert unique.metadata[FAILED_RULES].value == PADDED_CUSTOMER_ID
