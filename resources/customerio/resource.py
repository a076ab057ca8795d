"""The Dagster resource that configures Customer.io clients from run configuration.

Credentials come in through dg.EnvVar so that the Dagster UI only ever shows variable
names; the resource's repr and str redact them once they are resolved in a run.
"""

from collections.abc import Iterable
from typing import Any, Final

import dagster as dg
import httpx
from pydantic import ConfigDict, Field, field_validator, model_validator

from resources.customerio.app import AppClient, check_app_rate
from resources.customerio.errors import CustomerIOConfigError
from resources.customerio.limits import (
    APP_MAX_RPS,
    BATCH_MAX_BYTES,
    DEFAULT_BATCH_MAX_BYTES,
    DEFAULT_MAX_ENTRIES_PER_BATCH,
    DEFAULT_TRACK_MAX_RPS,
    TRACK_SOFT_MAX_RPS,
)
from resources.customerio.packing import MIN_BATCH_MAX_BYTES
from resources.customerio.retry import RetryPolicy
from resources.customerio.track import DEFAULT_MAX_NARROWING_REQUESTS, TrackClient
from resources.customerio.urls import app_base_url, checked_base_url, normalise_region

SECRET_FIELDS: Final = frozenset({"api_key", "app_api_key"})
REDACTED: Final = "**********"


class CustomerIOResource(dg.ConfigurableResource):
    """Customer.io Track (write) and App (read-back) API access for the sync assets."""

    # A refused value may be a key (a URL with credentials in it): pydantic's errors would
    # echo most of it (merged with Dagster's own model configuration).
    model_config = ConfigDict(hide_input_in_errors=True)

    site_id: str = Field(description="Track API site id. Set it with dg.EnvVar.")
    api_key: str = Field(description="Track API key. Always set it with dg.EnvVar: it is a secret.")
    region: str = Field(
        default="us", description="Workspace region, 'us' or 'eu'; picks the API hosts."
    )
    region_source: str = Field(
        default="region",
        description=(
            "Where `region` is configured (e.g. the name of an environment variable): a region"
            " mismatch error tells to set it."
        ),
    )
    track_url: str | None = Field(
        default=None,
        description=("Track API base URL override (sandbox, proxy). https only, except loopback."),
    )
    app_url: str | None = Field(
        default=None,
        description="App API base URL override (sandbox, proxy). https only, except loopback.",
    )
    app_api_key: str | None = Field(
        default=None,
        description="App API key, for the read-back of a test cohort. Set it with dg.EnvVar.",
    )
    app_api_key_source: str = Field(
        default="app_api_key",
        description=(
            "Where `app_api_key` is configured (e.g. the name of an environment variable): the"
            " error of a read-back without a key tells to set it."
        ),
    )
    max_rps: float = Field(
        default=DEFAULT_TRACK_MAX_RPS,
        gt=0,
        le=TRACK_SOFT_MAX_RPS,
        description=(
            "Ceiling of Track API requests per second. Customer.io's soft limit (~1000/s) "
            "is shared with real-time tracking: leave it headroom."
        ),
    )
    concurrency: int = Field(default=8, ge=1, description="Track API requests in flight at once.")
    batch_max_bytes: int = Field(
        default=DEFAULT_BATCH_MAX_BYTES,
        ge=MIN_BATCH_MAX_BYTES,
        lt=BATCH_MAX_BYTES,
        description="Largest /api/v2/batch request body in bytes; must stay under 500000.",
    )
    max_entries_per_batch: int = Field(
        default=DEFAULT_MAX_ENTRIES_PER_BATCH,
        ge=1,
        description="Most entries in one /api/v2/batch request.",
    )
    max_retries: int = Field(
        default=6,
        ge=0,
        description="Retries of one request on 429, 5xx and network errors.",
    )
    retry_budget: int = Field(
        default=1000,
        ge=0,
        description=(
            "Retries allowed across one whole send; past it, failing batches are reported "
            "as rejected with reason retry_budget_exhausted."
        ),
    )
    backoff_base_seconds: float = Field(
        default=0.5,
        ge=0,
        description="Upper bound of the first retry delay (full jitter, doubling per retry).",
    )
    backoff_max_seconds: float = Field(
        default=30.0, ge=0, description="Cap of the retry delay's upper bound."
    )
    retry_after_max_seconds: float = Field(
        default=120.0, ge=0, description="Longest Retry-After honoured; longer ones are cut."
    )
    max_narrowing_requests: int = Field(
        default=DEFAULT_MAX_NARROWING_REQUESTS,
        ge=0,
        description=(
            "Requests one rejected (400) batch may spend on splitting to isolate its bad "
            "rows; past it, the rest of the batch is reported rejected."
        ),
    )
    timeout_seconds: float = Field(
        default=30.0, gt=0, description="Read/write timeout of one HTTP request."
    )
    connect_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Connect timeout of one HTTP request."
    )
    app_max_rps: float = Field(
        default=APP_MAX_RPS,
        gt=0,
        description=(
            "App API requests per second: at most 10 (Customer.io's limit), more only for a"
            " local emulator (a loopback `app_url`)."
        ),
    )

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        return normalise_region(value)

    @field_validator("track_url", "app_url")
    @classmethod
    def _safe_url(cls, value: str | None) -> str | None:
        return None if value is None else checked_base_url(value)

    @model_validator(mode="after")
    def _app_rate_within_limit(self) -> "CustomerIOResource":
        check_app_rate(self.app_max_rps, app_base_url(self.region, self.app_url))
        return self

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        # pydantic builds both repr() and str() from these pairs.
        for name, value in super().__repr_args__():
            yield name, (REDACTED if name in SECRET_FIELDS and value else value)

    def _retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.max_retries,
            budget=self.retry_budget,
            backoff_base=self.backoff_base_seconds,
            backoff_max=self.backoff_max_seconds,
            retry_after_max=self.retry_after_max_seconds,
        )

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout_seconds, connect=self.connect_timeout_seconds)

    def track_client(
        self, parallel_senders: int = 1, transport: httpx.BaseTransport | None = None
    ) -> TrackClient:
        """A new Track API client; use it in a ``with`` block.

        ``parallel_senders`` clients that run at once (the shards of one sync) each get that
        share of the request rate and of the requests in flight, so that together they stay
        within the workspace's limits. ``transport`` answers in place of the network (the
        benchmark's measure of the client alone).
        """
        return TrackClient(
            self.site_id,
            self.api_key,
            region=self.region,
            region_source=self.region_source,
            base_url=self.track_url,
            max_rps=self.max_rps / parallel_senders,
            concurrency=max(1, self.concurrency // parallel_senders),
            batch_max_bytes=self.batch_max_bytes,
            max_entries_per_batch=self.max_entries_per_batch,
            max_narrowing_requests=self.max_narrowing_requests,
            retry=self._retry_policy(),
            timeout=self._timeout(),
            transport=transport,
        )

    def app_client(self) -> AppClient:
        """A new App API client for read-back; use it in a ``with`` block."""
        if not self.app_api_key:
            raise CustomerIOConfigError(
                f"The App API read-back needs an App API key: set {self.app_api_key_source}"
            )
        return AppClient(
            self.app_api_key,
            region=self.region,
            base_url=self.app_url,
            max_rps=self.app_max_rps,
            retry=self._retry_policy(),
            timeout=self._timeout(),
        )
