"""Helpers for the sync tests: a model-shaped warehouse, the sandbox, and a run helper.

The sync reads only ``retention.customer_state`` and ``retention.events``; these helpers
write those tables directly with small, named rows, then materialize the real ``cio_sync``
assets and checks in-process against a real sandbox over HTTP. The fixtures that build them
are in this package's conftest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import dagster as dg
import orjson

from asset_checks.sync_checks import stream_checks
from cio_sandbox.testing import SandboxHandle
from resources.customerio import CustomerIOResource
from resources.customerio.app import AppClient
from resources.customerio.rate import RateLimiter
from resources.warehouse import WarehouseResource
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.shop import (
    CUSTOMER_STATE_PLAN,
    CUSTOMER_STATE_SYNC,
    EVENTS_PLAN,
    EVENTS_SYNC,
)
from retention_assets.sync.sends import stream_assets
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.shapes import SHOP, SourceShape

AS_OF = dt.date(2026, 11, 1)
# Sandbox settings for a clean run: no injected errors, drops, rejections or latency.
NO_FAULTS = {
    "error_429_rate": 0.0,
    "error_500_rate": 0.0,
    "error_503_rate": 0.0,
    "drop_rate": 0.0,
    "slow_rate": 0.0,
    "entry_reject_rate": 0.0,
    "latency_ms": 0.0,
}


def fault_suite(seed: int) -> dict[str, float | int]:
    """The sandbox settings every stream's fault test runs under: 429s (with Retry-After 0),
    5xx, dropped connections and rejected entries, drawn repeatably from ``seed``."""
    return {
        "error_429_rate": 0.1,
        "retry_after_s": 0,
        "error_500_rate": 0.05,
        "error_503_rate": 0.05,
        "drop_rate": 0.05,
        "entry_reject_rate": 0.05,
        "seed": seed,
    }


# The sync tests' sandbox answers the App API without a rate limit (``app_rate_limit=0``), so
# their read-backs (cohort check, delivery audit, identity lookups) need not be paced at
# Customer.io's 10 requests/s; the pacing itself is tested on the client.
SANDBOX_APP_RPS = 200.0

UTC = dt.UTC


class SandboxCustomerIO(CustomerIOResource):
    """The workspace resource pointed at the unlimited test sandbox: App reads paced faster."""

    def app_client(self) -> AppClient:
        client = super().app_client()
        client._limiter = RateLimiter(SANDBOX_APP_RPS)
        return client


STATE_SYNC = [CUSTOMER_STATE_PLAN, CUSTOMER_STATE_SYNC]
EVENTS_SYNC_KEYS = [EVENTS_PLAN, EVENTS_SYNC]


def state_row(customer_id: str, as_of: dt.date = AS_OF, **values: Any) -> dict[str, Any]:
    """A customer-state row with plausible defaults; keyword arguments override columns."""
    row: dict[str, Any] = {
        "customer_id": customer_id,
        "as_of_date": as_of,
        "email": f"{customer_id}@example.com",
        "lifetime_orders": 2,
        "lifetime_revenue": 120.5,
        "first_order_at": dt.datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        "last_order_at": dt.datetime(2026, 10, 20, 9, 30, tzinfo=UTC),
        "top_category": "coffee",
        "predicted_next_purchase_at": dt.datetime(2026, 11, 19, 9, 30, tzinfo=UTC),
        "needs_replenishment": False,
        "vip_tier": "none",
        "is_vip": False,
        "vip_definition_version": 1,
        "subscription_status": "active",
        "has_active_subscription": True,
        "last_refund_at": None,
        "gross_margin_bucket": "high",
        "discount_eligible": True,
        "last_activity_at": dt.datetime(2026, 10, 20, 9, 30, tzinfo=UTC),
        "is_reactivation_eligible": False,
        "loyalty_points": 40,
        "loyalty_tier": "bronze",
    }
    row.update(values)
    return row


def event_row(
    key: str, customer_id: str, name: str, occurred_at: dt.datetime, **properties: Any
) -> dict[str, Any]:
    return {
        "event_key": key,
        "event_name": name,
        "customer_id": customer_id,
        "occurred_at": occurred_at,
        "event_date": occurred_at.date(),
        "properties": orjson.dumps(properties).decode(),
        "loaded_at": occurred_at,
    }


class SyncHarness:
    """A temporary warehouse wired to a sandbox, with helpers to load rows and run syncs."""

    def __init__(
        self, warehouse: WarehouseResource, sandbox: SandboxHandle, shape: SourceShape = SHOP
    ) -> None:
        self.warehouse = warehouse
        self.sandbox = sandbox
        self.shape = shape
        self.customerio = self.customerio_resource()
        # One instance for the test's runs, as a deployment has one: creating one costs 0.7 s.
        self.instance = dg.DagsterInstance.ephemeral()
        with self.warehouse.session() as session:
            shape.create(session)

    def customerio_resource(self, **options: Any) -> SandboxCustomerIO:
        """The resource pointed at the sandbox, with fast retries; options override fields."""
        settings: dict[str, Any] = {
            "site_id": self.sandbox.site_id,
            "api_key": self.sandbox.api_key,
            "app_api_key": self.sandbox.app_api_key,
            "track_url": self.sandbox.url,
            "app_url": self.sandbox.url,
            "max_rps": 1000,
            "backoff_base_seconds": 0.01,
            "backoff_max_seconds": 0.05,
            "retry_after_max_seconds": 0.1,
        }
        return SandboxCustomerIO(**{**settings, **options})

    def put_state(self, rows: list[dict[str, Any]]) -> None:
        """Replace the state rows of the given customers and days."""
        relation, table = self.shape.state_rows(rows)
        with self.warehouse.session() as session:
            # One DELETE per row already there, not per row given: most rows are new, and a
            # statement costs a parse and a translation on fakesnow.
            stored = set(session.fetch_all(self.shape.state_keys_sql()))
            for row in rows:
                if (row["customer_id"], row["as_of_date"]) in stored:
                    session.execute(
                        self.shape.delete_state_sql(),
                        {"customer_id": row["customer_id"], "as_of": row["as_of_date"]},
                    )
            session.insert_arrow(relation, table)

    def put_events(self, rows: list[dict[str, Any]]) -> None:
        relation, table = self.shape.event_rows(rows)
        with self.warehouse.session() as session:
            session.insert_arrow(relation, table)

    def query(self, sql: str) -> list[tuple]:
        with self.warehouse.session() as session:
            return session.fetch_all(sql)

    def run(
        self,
        selection: list[dg.AssetKey],
        first: dt.date = AS_OF,
        last: dt.date | None = None,
        tags: dict[str, str] | None = None,
        raise_on_error: bool = True,
        shards: int = 1,
        run_config: dict[str, Any] | None = None,
        streams: Sequence[SyncStream] | None = None,
        resources: dict[str, Any] | None = None,
    ) -> dg.ExecuteInProcessResult:
        """Materialize the selected cio_sync assets (with their checks) for a day range.

        With ``shards`` above one the sends run as that many steps, one after the other.
        ``streams`` are the syncs defined (the shape's by default); ``resources`` add to or
        replace the warehouse and the workspace.
        """
        last = last or first
        streams = streams or self.shape.streams
        return dg.materialize(
            [
                *self.shape.external_sources,
                *(asset for stream in streams for asset in stream_assets(stream, shards)),
                *(check for stream in streams for check in stream_checks(stream)),
            ],
            selection=selection,
            resources={
                "warehouse": self.warehouse,
                "customerio": self.customerio,
                **(resources or {}),
            },
            instance=self.instance,
            tags={
                RANGE_START_TAG: first.isoformat(),
                RANGE_END_TAG: last.isoformat(),
                **(tags or {}),
            },
            raise_on_error=raise_on_error,
            run_config=run_config,
        )


def with_volume_guard(stream: SyncStream, **limits: float) -> SyncStream:
    """The stream with other volume-guard limits, as a spec declaring them would have."""
    guards = stream.spec.guards
    volume = guards.volume.model_copy(update=limits)
    return SyncStream(
        stream.spec.model_copy(update={"guards": guards.model_copy(update={"volume": volume})})
    )


def metadata_of(result: dg.ExecuteInProcessResult, key: str) -> dict[str, Any]:
    """The numeric/text metadata of one asset's materialization in a result."""
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization is not None and materialization.asset_key.to_user_string() == key:
            return {name: value.value for name, value in materialization.metadata.items()}
    raise AssertionError(f"{key} was not materialized")
