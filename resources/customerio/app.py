"""The App API client, used to read profiles back and compare them with the sync ledger.

The App API allows 10 requests per second and up to 100 people per attributes request;
this client stays within both and retries 429s the way the Track client does.
"""

from collections.abc import Generator, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Final, Self

import httpx
import orjson

from resources.customerio.errors import CustomerIOAPIError, CustomerIOConfigError
from resources.customerio.limits import APP_MAX_IDS_PER_REQUEST, APP_MAX_RPS
from resources.customerio.operations import BatchOutcome
from resources.customerio.packing import dumps
from resources.customerio.rate import RateLimiter
from resources.customerio.retry import Exhausted, RetryPolicy, send_with_retries
from resources.customerio.track import DEFAULT_TIMEOUT, USER_AGENT
from resources.customerio.urls import app_base_url, normalise_region

ATTRIBUTES_PATH: Final = "/v1/customers/attributes"


class _BearerAuth(httpx.Auth):
    """Bearer auth kept out of the client's default headers, so it is never printed."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def _customer_id(customer: dict[str, Any]) -> str | None:
    for source in (customer, customer.get("identifiers"), customer.get("attributes")):
        if isinstance(source, dict) and source.get("id") not in (None, ""):
            return str(source["id"])
    return None


class AppClient:
    """Client of Customer.io's App API (reads). Use it as a context manager."""

    def __init__(
        self,
        api_key: str,
        *,
        region: str = "us",
        base_url: str | None = None,
        max_rps: float = APP_MAX_RPS,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise CustomerIOConfigError("Customer.io App API key must be set for read-back")
        if not 0 < max_rps <= APP_MAX_RPS:
            raise CustomerIOConfigError(
                f"App API rate must be above 0 and at most {APP_MAX_RPS:g} requests/s"
            )
        self.region = normalise_region(region)
        self.base_url = app_base_url(self.region, base_url)
        self.retry = retry or RetryPolicy()
        self._limiter = RateLimiter(max_rps)
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=_BearerAuth(api_key),
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"AppClient(base_url={self.base_url!r}, region={self.region!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def customer_attributes(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Attributes of the given people by id; people Customer.io does not know are
        left out of the result.

        Raises CustomerIOAuthError on 401 and CustomerIOAPIError on any other failure.
        """
        unique = list(dict.fromkeys(str(value) for value in ids))
        found: dict[str, dict[str, Any]] = {}
        tally = BatchOutcome()
        for start in range(0, len(unique), APP_MAX_IDS_PER_REQUEST):
            body = dumps({"ids": unique[start : start + APP_MAX_IDS_PER_REQUEST]})
            result = send_with_retries(
                partial(self._http.post, ATTRIBUTES_PATH, params={"id_type": "id"}, content=body),
                api="App",
                policy=self.retry,
                limiter=self._limiter,
                tally=tally,
                body_bytes=len(body),
            )
            if isinstance(result, Exhausted):
                raise CustomerIOAPIError(f"Customer.io App API read-back: {result.describe()}")
            if result.status_code != 200:
                raise CustomerIOAPIError(
                    f"Customer.io App API read-back answered HTTP {result.status_code}",
                    result.status_code,
                )
            try:
                customers = orjson.loads(result.content).get("customers")
            except (orjson.JSONDecodeError, AttributeError):
                customers = None
            if not isinstance(customers, list):
                raise CustomerIOAPIError("Customer.io App API read-back answered no customers list")
            for customer in customers:
                if isinstance(customer, dict) and (key := _customer_id(customer)) is not None:
                    attributes = customer.get("attributes")
                    found[key] = attributes if isinstance(attributes, dict) else {}
        return found
