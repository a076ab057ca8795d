"""AppClient: chunked read-back within the App API's 10 requests/s, 429s retried."""

import time

import httpx
import orjson
import pytest

from resources.customerio import (
    AppClient,
    CustomerIOAPIError,
    CustomerIOAuthError,
    CustomerIOConfigError,
    RetryPolicy,
)

APP_KEY = "app-key-s3cret-value"


class FakeAppAPI:
    """POST /v1/customers/attributes over a store of people; scripted answers come first."""

    def __init__(self, people: dict[str, dict[str, object]]) -> None:
        self.people = people
        self.script: list[httpx.Response] = []
        self.times: list[float] = []
        self.batches: list[list[str]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.times.append(time.monotonic())
        if request.headers.get("authorization") != f"Bearer {APP_KEY}":
            return httpx.Response(401, json={"errors": [{"status": "401"}]})
        if self.script:
            return self.script.pop(0)
        assert request.url.path == "/v1/customers/attributes"
        assert request.url.params["id_type"] == "id"
        ids = orjson.loads(request.content)["ids"]
        assert 1 <= len(ids) <= 100
        self.batches.append(ids)
        customers = [
            {"id": i, "identifiers": {"id": i}, "attributes": {"id": i, **self.people[i]}}
            for i in ids
            if i in self.people
        ]
        return httpx.Response(200, json={"customers": customers})


def client_for(api: FakeAppAPI, key: str = APP_KEY, **options: object) -> AppClient:
    options.setdefault("retry", RetryPolicy(max_retries=3, backoff_base=0.001))
    return AppClient(key, transport=httpx.MockTransport(api.handler), **options)  # type: ignore[arg-type]


def test_reads_back_in_chunks_of_100_at_most_10_requests_per_second() -> None:
    people = {f"c{i}": {"lifetime_orders": i} for i in range(250)}
    api = FakeAppAPI(people)
    ids = [*people, "unknown-1", "c0"]
    with client_for(api) as client:
        found = client.customer_attributes(ids)
    assert [len(batch) for batch in api.batches] == [100, 100, 51]
    assert set(found) == set(people)
    assert found["c7"]["lifetime_orders"] == 7
    gaps = [b - a for a, b in zip(api.times, api.times[1:], strict=False)]
    assert min(gaps) >= 0.1 * 0.8


def test_429_is_retried_honouring_retry_after() -> None:
    api = FakeAppAPI({"c1": {"a": 1}})
    api.script.append(httpx.Response(429, headers={"Retry-After": "1"}))
    with client_for(api) as client:
        assert client.customer_attributes(["c1"]) == {"c1": {"id": "c1", "a": 1}}
    assert api.times[1] - api.times[0] >= 0.99


def test_401_raises_auth_error_without_the_key() -> None:
    api = FakeAppAPI({})
    with client_for(api, key="wrong-key-s3cret") as client:
        with pytest.raises(CustomerIOAuthError) as raised:
            client.customer_attributes(["c1"])
        assert "wrong-key-s3cret" not in str(raised.value) + repr(client)


def test_other_errors_raise_api_error() -> None:
    api = FakeAppAPI({})
    api.script.append(httpx.Response(404, json={"errors": [{"status": "404"}]}))
    with client_for(api) as client, pytest.raises(CustomerIOAPIError, match="404"):
        client.customer_attributes(["c1"])


def test_rate_above_the_app_api_limit_is_refused() -> None:
    with pytest.raises(CustomerIOConfigError):
        AppClient(APP_KEY, max_rps=20)


def test_eu_host() -> None:
    with AppClient(APP_KEY, region="eu") as client:
        assert client.base_url == "https://api-eu.customer.io"
    with AppClient(APP_KEY) as client:
        assert client.base_url == "https://api.customer.io"
