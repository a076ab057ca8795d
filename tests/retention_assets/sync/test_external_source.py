"""A table nothing in the deployment builds, synced from a spec alone, with local wall-clock times.

The spec (``external/signups.yaml``) declares its relation as an external source asset
(``source.external``) and reads a naive Europe/Berlin timestamp column (``time_zone``). The
whole sync runs in Dagster against each warehouse (DuckDB, Snowflake on fakesnow) into the
sandbox over HTTP: Customer.io must receive the instants as unix seconds, on both sides of
the clock changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from cio_sandbox.testing import SandboxHandle
from resources.warehouse import WarehouseResource
from retention_assets.specs import load_spec
from retention_assets.sync.factory import check_external_sources, sync_definitions
from retention_assets.sync.stream import SyncStream

SPEC: Final = load_spec(Path(__file__).with_name("external") / "signups.yaml")
BERLIN: Final = ZoneInfo("Europe/Berlin")
CONFIRMED: Final = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
# subscriber -> (Berlin wall-clock time as the loader writes it, the instant in unix seconds).
SIGNED_UP: Final = {
    # 2026-03-29 01:30, before the clocks go forward at 02:00: UTC+1, 00:30 UTC.
    "s1": (dt.datetime(2026, 3, 29, 1, 30), 1774744200),
    # 2026-03-29 03:30, after: UTC+2, 01:30 UTC.
    "s2": (dt.datetime(2026, 3, 29, 3, 30), 1774747800),
    # 2026-10-25 01:30, before the clocks go back at 03:00: UTC+2, 23:30 UTC the day before.
    "s3": (dt.datetime(2026, 10, 25, 1, 30), 1792884600),
    # 2026-10-25 03:30, after: UTC+1, 02:30 UTC.
    "s4": (dt.datetime(2026, 10, 25, 3, 30), 1792895400),
}


def test_the_expected_instants_are_berlins_wall_clock_times() -> None:
    for local, seconds in SIGNED_UP.values():
        assert int(local.replace(tzinfo=BERLIN).timestamp()) == seconds


def _load_signups(warehouse: WarehouseResource) -> None:
    with warehouse.session() as session:
        session.execute("CREATE SCHEMA IF NOT EXISTS marketing")
        session.execute(
            "CREATE TABLE marketing.signups (subscriber_id VARCHAR, email VARCHAR,"
            " signed_up_local TIMESTAMP, confirmed_at TIMESTAMPTZ)"
        )
        for subscriber, (local, _) in SIGNED_UP.items():
            session.execute(
                "INSERT INTO marketing.signups VALUES ($id, $email, $local, $confirmed)",
                {
                    "id": subscriber,
                    "email": f"{subscriber}@example.com",
                    "local": local,
                    "confirmed": CONFIRMED,
                },
            )


def test_an_external_table_with_berlin_times_syncs_as_the_right_unix_seconds(
    make_warehouse: Callable[[], WarehouseResource],
    sandbox: SandboxHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox.reset()
    warehouse = make_warehouse()
    _load_signups(warehouse)
    for name, value in {
        "CUSTOMERIO_SITE_ID": sandbox.site_id,
        "CUSTOMERIO_API_KEY": sandbox.api_key,
        "CUSTOMERIO_APP_API_KEY": sandbox.app_api_key,
        "CUSTOMERIO_TRACK_URL": sandbox.url,
        "CUSTOMERIO_APP_URL": sandbox.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CUSTOMERIO_REGION", raising=False)
    defs = dg.Definitions.merge(
        sync_definitions(SPEC), dg.Definitions(resources={"warehouse": warehouse})
    )
    check_external_sources([SPEC], defs)
    stream = SyncStream(SPEC)
    source = dg.AssetKey(["marketing", "signups"])
    assert defs.resolve_asset_graph().get(stream.plan_key).parent_keys == {source}

    result = defs.resolve_job_def(f"retention_{SPEC.name}_sync_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )

    assert result.success
    people = sandbox.people()
    assert set(people) == set(SIGNED_UP)
    for subscriber, (_, seconds) in SIGNED_UP.items():
        assert people[subscriber]["signed_up_at"] == seconds, subscriber
        # A column with a time zone is an instant already: sent as it is.
        assert people[subscriber]["confirmed_at"] == int(CONFIRMED.timestamp())
