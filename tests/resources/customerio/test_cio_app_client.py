"""AppClient: chunked read-back and paged activities within the App API's 10 requests/s,
429s retried."""

import time
from urllib.parse import unquote

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


class FakeActivitiesAPI:
    """GET /v1/customers/{id}/activities over stored activities, newest first, in pages of 2."""

    PAGE = 2

    def __init__(self, activities: dict[str, list[dict[str, object]]]) -> None:
        self.activities = activities
        self.script: list[httpx.Response] = []
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            return self.script.pop(0)
        prefix, _, rest = request.url.raw_path.decode().partition("/v1/customers/")
        customer_id, _, tail = rest.partition("/")
        assert (prefix, tail.split("?")[0]) == ("", "activities")
        person = self.activities.get(unquote(customer_id))
        if person is None:
            return httpx.Response(404, json={"errors": [{"status": "404"}]})
        wanted = request.url.params["type"]
        matching = [a for a in person if a["type"] == wanted]
        start = int(request.url.params.get("start", "0"))
        page = matching[start : start + self.PAGE]
        following = str(start + self.PAGE) if start + self.PAGE < len(matching) else ""
        return httpx.Response(200, json={"activities": page, "next": following})


def _activity(kind: str, timestamp: int) -> dict[str, object]:
    return {"type": kind, "timestamp": timestamp, "data": {}}


def activities_client(api: FakeActivitiesAPI, **options: object) -> AppClient:
    options.setdefault("retry", RetryPolicy(max_retries=3, backoff_base=0.001))
    return AppClient(APP_KEY, transport=httpx.MockTransport(api.handler), **options)  # type: ignore[arg-type]


def test_activities_follow_pages_back_to_since_and_no_further() -> None:
    failed = [_activity("failed_attribute_change", t) for t in (500, 400, 300, 200, 100)]
    api = FakeActivitiesAPI({"c1": [_activity("attribute_change", 600), *failed]})
    with activities_client(api) as client:
        (result,) = client.customer_activities(
            ["c1"], activity_type="failed_attribute_change", since=300
        )
    assert result == ("c1", failed[:3])
    # Pages of two: [500, 400], then [300, 200] reaches past since; [100] is never read.
    assert [r.url.params.get("start") for r in api.requests] == [None, "2"]
    assert {r.url.params["type"] for r in api.requests} == {"failed_attribute_change"}


def test_activities_of_unknown_people_are_none_and_ids_are_escaped() -> None:
    api = FakeActivitiesAPI({"a/b c": [_activity("event", 1)]})
    with activities_client(api) as client:
        found = dict(client.customer_activities(["a/b c", "ghost", "ghost"], activity_type="event"))
    assert found == {"a/b c": [_activity("event", 1)], "ghost": None}
    assert api.requests[0].url.raw_path.startswith(b"/v1/customers/a%2Fb%20c/activities")


def test_activities_retry_429_and_stay_within_the_rate() -> None:
    api = FakeActivitiesAPI({f"c{i}": [] for i in range(6)})
    api.script.append(httpx.Response(429))
    with activities_client(api, max_rps=10) as client:
        started = time.monotonic()
        found = dict(client.customer_activities(list(api.activities), activity_type="event"))
        elapsed = time.monotonic() - started
    assert found == {f"c{i}": [] for i in range(6)}
    assert len(api.requests) == 7
    assert elapsed >= 6 * 0.1 * 0.8


def test_activities_errors_raise_api_error() -> None:
    api = FakeActivitiesAPI({"c1": []})
    api.script.append(httpx.Response(500))
    api.script.append(httpx.Response(403))
    with activities_client(api) as client, pytest.raises(CustomerIOAPIError, match="403"):
        list(client.customer_activities(["c1"], activity_type="event"))


def test_finds_people_by_email_at_most_10_requests_per_second_and_retries_429() -> None:
    """Identity reconciliation's lookup: ``GET /v1/customers?email=``, paced like every read."""
    times: list[float] = []
    answers = [httpx.Response(429, headers={"Retry-After": "0"})]

    def handler(request: httpx.Request) -> httpx.Response:
        times.append(time.monotonic())
        assert request.url.path == "/v1/customers"
        if answers:
            return answers.pop(0)
        email = request.url.params["email"]
        results = [
            {"email": email, "id": None, "cio_id": "e1"},
            {"email": email, "id": "c1", "cio_id": "a1"},
        ]
        return httpx.Response(200, json={"results": results})

    transport = httpx.MockTransport(handler)
    retry = RetryPolicy(max_retries=3, backoff_base=0.001)
    with AppClient(APP_KEY, transport=transport, retry=retry) as client:
        found = [client.customers_by_email(f"p{i}@example.com") for i in range(10)]

    assert found[0] == [
        {"id": None, "cio_id": "e1", "email": "p0@example.com"},
        {"id": "c1", "cio_id": "a1", "email": "p0@example.com"},
    ]
    # 11 requests (one retried 429) spaced 1/10 s apart: a full second at the least.
    assert len(times) == 11
    assert times[-1] - times[0] >= 0.95
