"""A healthy pipeline raises no alert; a genuinely flapping customer raises one that says what
to do.

The demo's sources (the generator on ``make demo``'s defaults: 5,000 customers, 180 days) are
built by the real models for the demo's 14 closed days, with every model check and the
freshness check, in a real Dagster instance; the alert sensor is ticked against a webhook
receiver on 127.0.0.1, the way the daemon does it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from asset_checks import FRESHNESS_CHECKS, MODEL_CHECKS, names
from asset_checks.model_checks import due_partition
from resources.warehouse import DuckDBWarehouse
from retention_assets.alerts import CHECK_ACTIONS
from retention_assets.models import MODEL_ASSETS
from retention_assets.sensors import check_failure_alerts, freshness_sensor
from retention_assets.settings import ALERT_WEBHOOK_URL, DEFAULT_SHOP_TIMEZONE, UI_BASE_URL
from retention_assets.sources.generator import generate_sources
from retention_assets.tables import CUSTOMER_STATE_TABLE

# make demo's defaults (tools/demo.py).
DEMO_CUSTOMERS = 5_000
DEMO_HISTORY_DAYS = 180
DEMO_SYNC_DAYS = 14


class Receiver(ThreadingHTTPServer):
    """A webhook on 127.0.0.1 that keeps the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/alerts"


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(ALERT_WEBHOOK_URL, server.url)
    monkeypatch.setenv(UI_BASE_URL, "http://127.0.0.1:3000")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _closed_days() -> tuple[dt.date, dt.date]:
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    return yesterday - dt.timedelta(days=DEMO_SYNC_DAYS - 1), yesterday


def _build(warehouse: DuckDBWarehouse, instance: dg.DagsterInstance) -> None:
    """The models and their checks over the demo's closed days, in one run (as make demo)."""
    first, last = _closed_days()
    result = dg.materialize(
        [*MODEL_ASSETS, *MODEL_CHECKS],
        resources={"warehouse": warehouse},
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )
    assert result.success


def _recheck(warehouse: DuckDBWarehouse, instance: dg.DagsterInstance, check: str) -> None:
    """One model check run alone, as from the UI: it validates the latest partition."""
    result = dg.materialize(
        [*MODEL_ASSETS, *MODEL_CHECKS],
        selection=dg.AssetSelection.checks(dg.AssetCheckKey(names.CUSTOMER_STATE_ASSET, check)),
        resources={"warehouse": warehouse},
        instance=instance,
    )
    assert result.success


def _check_freshness(instance: dg.DagsterInstance) -> None:
    # What the freshness sensor's run does: the freshness checks alone.
    result = dg.materialize(
        [*MODEL_ASSETS, *FRESHNESS_CHECKS],
        selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS),
        instance=instance,
        resources={"warehouse": DuckDBWarehouse(database=":memory:")},
    )
    assert result.success


def _tick(instance: dg.DagsterInstance, cursor: str | None) -> str | None:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"slack": dg.ResourceDefinition.none_resource()}
    )
    return check_failure_alerts.evaluate_tick(context).cursor


def _flap(warehouse: DuckDBWarehouse, customer_id: str) -> None:
    """The customer's VIP tier alternates day after day over the last six days."""
    first, last = _closed_days()
    with warehouse.session() as session:
        session.execute(
            f"UPDATE {CUSTOMER_STATE_TABLE}"
            " SET vip_tier = CASE WHEN (as_of_date - $first) % 2 = 0 THEN 'gold' ELSE 'silver' END"
            " WHERE customer_id = $customer_id AND as_of_date > $last - 6",
            {"first": first, "last": last, "customer_id": customer_id},
        )


def test_the_demo_raises_no_alert_and_a_flapping_customer_raises_one(
    tmp_path: Path, receiver: Receiver
) -> None:
    last = _closed_days()[1]
    warehouse = DuckDBWarehouse(database=str(tmp_path / "warehouse.duckdb"))
    with warehouse.session() as session:
        generate_sources(
            session.connection,
            customers=DEMO_CUSTOMERS,
            days=DEMO_HISTORY_DAYS,
            end_date=last,
            shop_timezone=DEFAULT_SHOP_TIMEZONE,
        )

    with dg.instance_for_test() as instance:
        _build(warehouse, instance)
        _check_freshness(instance)
        cursor = _tick(instance, None)

        assert receiver.messages == []

        with warehouse.session() as session:
            ((customer_id,),) = session.fetch_all(
                f"SELECT min(customer_id) FROM {CUSTOMER_STATE_TABLE}"
            )
        _flap(warehouse, customer_id)
        _recheck(warehouse, instance, names.STATE_ATTRIBUTE_FLAPPING)
        _tick(instance, cursor)

    (alert,) = receiver.messages
    assert alert["check"] == names.STATE_ATTRIBUTE_FLAPPING
    assert alert["failing_rows"] == 1
    assert alert["partition"] == last.isoformat()
    assert alert["what_to_do"] == CHECK_ACTIONS[names.STATE_ATTRIBUTE_FLAPPING]
    assert f"what to do: {alert['what_to_do']}" in alert["text"]


def test_the_freshness_sensor_evaluates_once_per_due_day() -> None:
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        request = freshness_sensor.evaluate_tick(context).run_requests[0]

    due = due_partition(dt.datetime.now(dt.UTC))
    assert request.run_key == f"freshness:{due.isoformat()}"
    assert set(request.asset_check_keys or []) == {
        dg.AssetCheckKey(names.CUSTOMER_STATE_ASSET, names.FRESHNESS),
        dg.AssetCheckKey(names.EVENTS_ASSET, names.FRESHNESS),
    }
