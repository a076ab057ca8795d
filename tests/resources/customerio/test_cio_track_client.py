"""TrackClient against an in-process fake: row-level results, retries, pacing, streaming."""

import logging
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import orjson
import pytest

from resources.customerio import (
    BatchOutcome,
    CustomerIOAuthError,
    CustomerIOConfigError,
    CustomerIORegionError,
    Operation,
    Reason,
    RetryPolicy,
    TrackClient,
)

ClientFactory = Callable[..., TrackClient]
Identify = Callable[..., Operation]


def outcome_keys(outcomes: list[BatchOutcome]) -> tuple[list[str], dict[str, str]]:
    accepted = [key for outcome in outcomes for key in outcome.accepted]
    rejected = {r.key: r.reason for outcome in outcomes for r in outcome.rejected}
    return accepted, rejected


def test_send_accepts_everything_and_counts_requests_and_bytes(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    with make_client(max_entries_per_batch=100) as client:
        result = client.send(identify(f"c{i}", n=i) for i in range(1050))
    assert result.accepted == 1050
    assert result.rejected == []
    assert result.requests == fake.requests == 11
    assert result.bytes_sent == sum(len(body) for body in fake.bodies)
    assert result.retries == 0
    assert result.seconds > 0
    assert len(fake.people) == 1050


def test_207_maps_each_error_to_the_exact_row_key(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    operations = [identify(f"c{i}", bad=i in (3, 17, 18)) for i in range(20)]
    with make_client(max_entries_per_batch=10) as client:
        outcomes = list(client.iter_send(operations))
    accepted, rejected = outcome_keys(outcomes)
    assert rejected == {k: "invalid_attribute" for k in ("c3", "c17", "c18")}
    assert sorted(accepted) == sorted(op.key for op in operations if op.key not in rejected)
    rejection = next(r for o in outcomes for r in o.rejected if r.key == "c17")
    assert (rejection.field, rejection.message) == ("bad", "no")
    assert set(fake.people) == set(accepted)


def test_207_with_an_error_naming_no_entry_claims_no_row(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    fake.script.append(
        httpx.Response(207, json={"errors": [{"batch_index": 1, "reason": "r"}, {"reason": "?"}]})
    )
    with make_client() as client:
        outcomes = list(client.iter_send(identify(f"c{i}") for i in range(3)))
    accepted, rejected = outcome_keys(outcomes)
    assert accepted == []
    assert rejected == {"c0": Reason.AMBIGUOUS_RESPONSE, "c1": "r", "c2": Reason.AMBIGUOUS_RESPONSE}


def test_400_is_narrowed_to_the_bad_rows_and_good_rows_go_through(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    fake.reject_with_400 = True
    operations = [identify(f"c{i}", bad=i in (5, 40)) for i in range(64)]
    with make_client(max_entries_per_batch=64) as client:
        result = client.send(operations)
    assert result.accepted == 62
    assert [(r.key, r.reason, r.field) for r in sorted(result.rejected, key=lambda r: r.key)] == [
        ("c40", "invalid_attribute", "attributes.bad"),
        ("c5", "invalid_attribute", "attributes.bad"),
    ]
    assert set(fake.people) == {f"c{i}" for i in range(64)} - {"c5", "c40"}
    # Two bad rows in 64 are isolated in about 2 * 2 * log2(64) requests, not 64.
    assert result.requests <= 1 + 2 * 2 * 6


def test_400_narrowing_is_bounded(fake, make_client: ClientFactory, identify: Identify) -> None:
    fake.reject_with_400 = True
    operations = [identify(f"c{i}", bad=True) for i in range(32)]
    with make_client(max_entries_per_batch=32, max_narrowing_requests=6) as client:
        result = client.send(operations)
    assert result.accepted == 0
    assert len(result.rejected) == 32
    assert len({r.key for r in result.rejected}) == 32
    assert result.requests == 1 + 6
    assert {r.reason for r in result.rejected} == {"http_400"}


def test_413_splits_the_request(fake, make_client: ClientFactory, identify: Identify) -> None:
    fake.script.append(httpx.Response(413))
    with make_client() as client:
        result = client.send(identify(f"c{i}") for i in range(4))
    assert (result.accepted, result.rejected, result.requests) == (4, [], 3)
    assert [len(orjson.loads(body)["batch"]) for body in fake.bodies] == [2, 2]


def test_401_fails_fast(fake, make_client: ClientFactory, identify: Identify) -> None:
    fake.accepted_key = "another-key"
    with (
        make_client(concurrency=1, max_entries_per_batch=10) as client,
        pytest.raises(CustomerIOAuthError) as raised,
    ):
        client.send(identify(f"c{i}") for i in range(1000))
    assert fake.requests == 1
    assert "401" in str(raised.value)


def test_401_midway_reports_what_was_already_acknowledged(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    fake.script.extend([httpx.Response(200, json={})] * 2 + [httpx.Response(401)] * 50)
    seen: list[BatchOutcome] = []
    with (
        make_client(concurrency=2, max_entries_per_batch=10) as client,
        pytest.raises(CustomerIOAuthError),
    ):
        for outcome in client.iter_send(identify(f"c{i}") for i in range(10_000)):
            seen.append(outcome)
    accepted, _ = outcome_keys(seen)
    assert len(accepted) == 20
    assert fake.requests <= 4


def test_retry_after_is_honoured(fake, make_client: ClientFactory, identify: Identify) -> None:
    fake.script.append(httpx.Response(429, headers={"Retry-After": "1"}))
    with make_client() as client:
        started = time.monotonic()
        result = client.send([identify("c1")])
        elapsed = time.monotonic() - started
    assert result.accepted == 1
    assert result.retries == 1
    assert fake.request_times[1] - fake.request_times[0] >= 0.99
    assert elapsed < 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500),
        httpx.Response(503),
        httpx.Response(429),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset by peer"),
    ],
    ids=lambda failure: getattr(failure, "status_code", type(failure).__name__),
)
def test_429_5xx_and_network_errors_are_retried(
    fake, make_client: ClientFactory, identify: Identify, failure: object
) -> None:
    fake.script.extend([failure, failure])
    with make_client() as client:
        result = client.send([identify("c1"), identify("c2")])
    assert (result.accepted, result.retries, result.requests) == (2, 2, 3)
    assert set(fake.people) == {"c1", "c2"}


@pytest.mark.parametrize("status", [400, 403, 404, 413, 422])
def test_other_4xx_are_not_retried(
    fake, make_client: ClientFactory, identify: Identify, status: int
) -> None:
    error = {"reason": "nope", "field": "identifiers", "message": "refused"}
    fake.script.append(httpx.Response(status, json={"errors": [error]}))
    with make_client() as client:
        result = client.send([identify("c1")])
    assert (result.accepted, result.requests, result.retries) == (0, 1, 0)
    assert [(r.key, r.reason, r.field) for r in result.rejected] == [("c1", "nope", "identifiers")]


def test_whole_request_refusal_without_details_rejects_every_row(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    fake.script.append(httpx.Response(403, text="forbidden"))
    with make_client() as client:
        result = client.send([identify("c1"), identify("c2")])
    assert {(r.key, r.reason) for r in result.rejected} == {("c1", "http_403"), ("c2", "http_403")}


def test_retries_per_request_are_bounded_and_reported(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    fake.script.extend([httpx.Response(503)] * 100)
    policy = RetryPolicy(max_retries=4, budget=100, backoff_base=0.001, backoff_max=0.001)
    with make_client(retry=policy) as client:
        result = client.send([identify("c1"), identify("c2")])
    assert result.accepted == 0
    assert result.requests == 5
    assert {r.key for r in result.rejected} == {"c1", "c2"}
    assert {r.reason for r in result.rejected} == {Reason.RETRY_BUDGET_EXHAUSTED}
    assert "HTTP 503" in result.rejected[0].message


def test_total_retry_budget_of_a_send_is_shared(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    fake.script.extend([httpx.Response(503)] * 1000)
    policy = RetryPolicy(max_retries=50, budget=5, backoff_base=0.001, backoff_max=0.001)
    with make_client(retry=policy, concurrency=1, max_entries_per_batch=1) as client:
        result = client.send(identify(f"c{i}") for i in range(4))
    assert result.retries == 5
    assert result.requests == 4 + 5
    assert len(result.rejected) == 4


def test_requests_are_paced_to_max_rps(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    with make_client(max_rps=40, concurrency=4, max_entries_per_batch=1) as client:
        client.send(identify(f"c{i}") for i in range(21))
    gaps = [b - a for a, b in zip(fake.request_times, fake.request_times[1:], strict=False)]
    assert fake.request_times[-1] - fake.request_times[0] >= 20 / 40 * 0.95
    assert min(gaps) >= 1 / 40 * 0.5


def test_requests_run_in_parallel_up_to_concurrency(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    fake.latency = 0.1
    with make_client(concurrency=4, max_entries_per_batch=1) as client:
        started = time.monotonic()
        result = client.send(identify(f"c{i}") for i in range(8))
        elapsed = time.monotonic() - started
    assert result.accepted == 8
    assert fake.max_in_flight == 4
    assert elapsed < 0.6


def test_iter_send_streams_with_bounded_read_ahead(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    pulled = 0

    def warehouse() -> Iterator[Operation]:
        nonlocal pulled
        for i in range(1_000_000):
            pulled += 1
            yield identify(f"c{i}")

    with make_client(concurrency=2, max_entries_per_batch=100) as client:
        stream = client.iter_send(warehouse())
        first = next(stream)
        assert len(first.accepted) == 100
        # At most 2 batches per worker are packed ahead of the requests, plus one row.
        assert pulled <= 2 * 2 * 100 + 100 + 1
        stream.close()
    assert fake.requests <= 6


def test_a_failing_source_still_reports_acknowledged_rows(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    def warehouse() -> Iterator[Operation]:
        for i in range(30):
            yield identify(f"c{i}")
        raise RuntimeError("warehouse went away")

    seen: list[BatchOutcome] = []
    with (
        make_client(concurrency=4, max_entries_per_batch=10) as client,
        pytest.raises(RuntimeError, match="warehouse went away"),
    ):
        for outcome in client.iter_send(warehouse()):
            seen.append(outcome)
    accepted, _ = outcome_keys(seen)
    # The two batches already sent are reported; the one still being packed was never sent.
    assert sorted(accepted) == sorted(f"c{i}" for i in range(20))


def test_local_rejections_are_reported_and_never_sent(
    fake, make_client: ClientFactory, identify: Identify
) -> None:
    operations = [identify("ok"), identify("x" * 200), identify("big", note="v" * 2000)]
    with make_client() as client:
        result = client.send(operations)
    assert result.accepted == 1
    assert {(r.key, r.reason) for r in result.rejected} == {
        ("x" * 200, Reason.IDENTIFIER_TOO_LONG),
        ("big", Reason.ATTRIBUTE_VALUE_TOO_LONG),
    }
    assert fake.requests == 1
    assert set(fake.people) == {"ok"}


def test_check_credentials(fake, make_client: ClientFactory) -> None:
    with make_client() as client:
        info = client.check_credentials()
    assert (info.region, info.environment_id) == ("us", 7)


def test_check_credentials_reports_region_mismatch(fake, make_client: ClientFactory) -> None:
    fake.region = "eu"
    with make_client(region="us") as client, pytest.raises(CustomerIORegionError, match="'eu'"):
        client.check_credentials()


def test_check_credentials_treats_a_redirect_as_wrong_region(
    fake, make_client: ClientFactory
) -> None:
    fake.script.append(
        httpx.Response(307, headers={"Location": "https://track-eu.customer.io/api/v1/x"})
    )
    with make_client() as client, pytest.raises(CustomerIORegionError, match="redirect"):
        client.check_credentials()
    assert fake.requests == 1


def test_check_credentials_raises_auth_error_on_401(fake, make_client: ClientFactory) -> None:
    fake.accepted_key = "rotated"
    with make_client() as client, pytest.raises(CustomerIOAuthError):
        client.check_credentials()


@pytest.mark.parametrize(
    ("region", "base_url", "expected"),
    [
        ("us", None, "https://track.customer.io"),
        ("eu", None, "https://track-eu.customer.io"),
        ("EU", None, "https://track-eu.customer.io"),
        ("us", "https://proxy.example.com/cio/", "https://proxy.example.com/cio"),
        ("us", "http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("us", "http://127.4.5.6:80", "http://127.4.5.6:80"),
        ("eu", "http://localhost:9000", "http://localhost:9000"),
        ("us", "http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_host_selection(region: str, base_url: str | None, expected: str) -> None:
    with TrackClient("s", "k", region=region, base_url=base_url) as client:
        assert client.base_url == expected


@pytest.mark.parametrize(
    "base_url",
    [
        "http://track.customer.io",
        "http://10.0.0.5:8080",
        "http://localhost.example.com",
        "http://128.0.0.1",
        "ftp://127.0.0.1",
        "https://user:pass@track.customer.io",
        "track.customer.io",
    ],
)
def test_unsafe_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(CustomerIOConfigError):
        TrackClient("s", "k", base_url=base_url)


def test_unknown_region_is_refused() -> None:
    with pytest.raises(CustomerIOConfigError, match="region"):
        TrackClient("s", "k", region="ap")


def test_secrets_stay_out_of_reprs_errors_rejections_and_logs(
    fake, make_client: ClientFactory, identify: Identify, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script.extend(
        [
            httpx.ConnectError("boom"),
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "0"}),
        ]
    )
    fake.reject_with_400 = True
    texts: list[str] = []
    with make_client() as client:
        texts.append(repr(client))
        texts.append(str(client))
        result = client.send([identify("c1"), identify("c2", bad=True)])
        texts.extend(f"{r!r} {r.message}" for r in result.rejected)
        fake.accepted_key = "rotated"
        with pytest.raises(CustomerIOAuthError) as raised:
            client.check_credentials()
        texts.append(str(raised.value))
        texts.append(repr(raised.value))
    assert result.retries == 3
    assert any("retrying" in record.getMessage() for record in caplog.records)
    texts.extend(record.getMessage() for record in caplog.records)
    joined = "\n".join(texts)
    basic = httpx.BasicAuth("site-123", "track-key-s3cret-value")._auth_header
    for secret in ("track-key-s3cret-value", basic, basic.split()[1]):
        assert secret not in joined


def test_close_stops_worker_threads(make_client: ClientFactory, identify: Identify) -> None:
    before = threading.active_count()
    client = make_client(concurrency=4, max_entries_per_batch=1)
    client.send(identify(f"c{i}") for i in range(8))
    client.close()
    assert threading.active_count() <= before
