"""The example shop's whole-pipeline job, once, against the sandbox: every declared sync lands.

The real definitions (every ``defs.yaml`` of the example shop) over generated sources, run as
``make demo`` runs them: one ``retention_sync_job`` run for a closed day. In one run the syncs
go in the order their ``cadence.after`` declares, so the VIP segment is sent after the
profiles that create its members and no member is refused as unknown; the loyalty
relationships come after their objects, and erasures come before everything that identifies.
What Customer.io then holds equals the models, and a second run sends nothing. A customer who
asks to be erased after being synced is suppressed by the next run, leaves the models and the
segment, and nothing reports a rejected row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from cio_sandbox.testing import SandboxHandle, running_sandbox
from resources.warehouse import DuckDBWarehouse
from retention_assets.settings import DEFAULT_SHOP_TIMEZONE, DUCKDB_PATH, load_settings
from retention_assets.sources.generator import generate_sources
from retention_assets.tables import (
    CUSTOMER_STATE_TABLE,
    ERASURE_REQUESTS_TABLE,
    EVENTS_TABLE,
    LOYALTY_MEMBERS_TABLE,
    RAW_SCHEMA,
    VIP_AUDIENCE_TABLE,
)
from tools.demo import (
    SYNC_JOB,
    customerio_env,
    open_rejections,
    run_days,
    seed_signup_profiles,
)

CUSTOMERS = 400
HISTORY_DAYS = 120
DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
# A customer of the generated shop who asked to be erased before any sync ran.
ERASED_BEFORE = "7"


def _ask_to_be_erased(warehouse: DuckDBWarehouse, customer_id: str, request_id: int) -> None:
    """A request of the privacy tool, landed an hour before the end of DAY."""
    at = dt.datetime.combine(DAY, dt.time(23))
    with warehouse.session() as session:
        session.execute(
            f"INSERT INTO {RAW_SCHEMA}.privacy_requests"
            " VALUES ($id, $customer, 'erasure', $at, $at)",
            {"id": request_id, "customer": int(customer_id), "at": at},
        )


def _ids(warehouse: DuckDBWarehouse, sql: str) -> set[str]:
    with warehouse.session() as session:
        return {str(row[0]) for row in session.fetch_all(sql, {"day": DAY})}


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    """Generated sources in a DuckDB file of the test's own, and a sandbox the syncs point at."""
    database = tmp_path / "shop.duckdb"
    with DuckDBWarehouse(database=str(database)).session() as session:
        generate_sources(
            session.connection,
            customers=CUSTOMERS,
            days=HISTORY_DAYS,
            end_date=DAY,
            shop_timezone=DEFAULT_SHOP_TIMEZONE,
        )
    _ask_to_be_erased(DuckDBWarehouse(database=str(database)), ERASED_BEFORE, 1)
    monkeypatch.setenv(DUCKDB_PATH, str(database))
    with running_sandbox(app_rate_limit=0) as sandbox:
        for name, value in customerio_env(sandbox).items():
            monkeypatch.setenv(name, value)
        seed_signup_profiles(sandbox, DuckDBWarehouse(database=str(database)))
        yield sandbox


def test_every_declared_sync_lands_in_order_and_a_second_run_sends_nothing(
    shop: SandboxHandle,
) -> None:
    # Imported here: the definitions bind the settings of the environment the fixture set.
    from retention_assets.definitions import build_definitions

    job = build_definitions(load_settings()).resolve_job_def(SYNC_JOB)
    with dg.instance_for_test() as instance:
        first = run_days(job, instance, DAY, DAY)
        requests_after_first = len(shop.requests())
        second = run_days(job, instance, DAY, DAY)

    # The signup form's email-only profiles were adopted: each took its customer's id.
    identity = first["cio_sync/customer_state_identity_plan"]
    assert identity["adopt_profiles"] > 0
    assert identity["merge_profiles"] == identity["conflict_profiles"] == 0
    order = list(first)  # materialised in this order
    assert order.index("cio_sync/customer_state") < order.index("cio_sync/vip_audience_plan")
    assert order.index("cio_sync/loyalty_programs") < order.index("cio_sync/loyalty_members_plan")

    warehouse = DuckDBWarehouse(database=str(load_settings().duckdb_path))
    with warehouse.session() as session:
        vips = {
            row[0]
            for row in session.fetch_all(
                f"SELECT customer_id FROM {VIP_AUDIENCE_TABLE} WHERE as_of_date = $day",
                {"day": DAY},
            )
        }
        members = {
            (row[0], row[1])
            for row in session.fetch_all(
                f"SELECT customer_id, program_code FROM {LOYALTY_MEMBERS_TABLE}"
                " WHERE as_of_date = $day",
                {"day": DAY},
            )
        }

    assert vips, "the generated shop has VIP customers"
    assert set(shop.segments()["VIP customers"]) == vips
    assert first["cio_sync/vip_audience"]["accepted"] == len(vips)
    # No VIP was added before their profile existed (reason unknown_person).
    assert open_rejections(warehouse) == []
    related = {(person, object_id) for (person, _type, object_id) in shop.relationships()}
    assert related == members
    erased = _ids(warehouse, f"SELECT customer_id FROM {ERASURE_REQUESTS_TABLE}")
    assert ERASED_BEFORE in erased
    # Erased customers are in no model, were never identified, and are suppressed.
    assert not erased & _ids(
        warehouse, f"SELECT customer_id FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $day"
    )
    assert not erased & _ids(warehouse, f"SELECT DISTINCT customer_id FROM {EVENTS_TABLE}")
    assert {row["identifiers"].get("id") for row in shop.suppressions()} == erased
    # No duplicate: every profile is a customer's, found by id.
    assert len(shop.people()) == CUSTOMERS - len(erased)
    assert not erased & set(shop.people())
    assert order.index("cio_sync/erasure_requests") < order.index("cio_sync/customer_state_plan")
    assert order.index("cio_sync/erasure_requests") < order.index("cio_sync/events_plan")
    # Nothing changed: no sync sends a request (the cohort reads back through the App API).
    sent = [
        key
        for key, numbers in second.items()
        if key.startswith("cio_sync/") and numbers.get("requests", 0)
    ]
    assert sent == []
    assert requests_after_first > 0

    # A VIP loyalty member, synced, asks to be erased: the next run suppresses them and they
    # leave the segment, the relationships and the models, with no rejected row anywhere.
    member = sorted({person for person, _ in members} & vips)[0]
    _ask_to_be_erased(warehouse, member, 2)
    with dg.instance_for_test() as instance:
        third = run_days(job, instance, DAY, DAY)
    assert third["cio_sync/erasure_requests"]["accepted"] == 1
    assert member in {row["identifiers"].get("id") for row in shop.suppressions()}
    assert member not in shop.people()
    assert member not in shop.segments()["VIP customers"]
    assert member not in {person for (person, _type, _object) in shop.relationships()}
    assert member not in _ids(
        warehouse, f"SELECT customer_id FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $day"
    )
    assert open_rejections(warehouse) == []
