"""The Track API client: validated, packed, paced, parallel and retried batch sends.

Operations are packed on the caller's thread as the caller's iterable yields them, and
sent by a pool of worker threads sharing one httpx.Client (one connection pool). At most
two batches per worker are packed ahead, so memory stays bounded whatever the input size.
Each batch's fate is reported per row key: accepted, or rejected with a reason.
"""

import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from types import TracebackType
from typing import Final, Self

import httpx
import orjson

from resources.customerio.errors import (
    CustomerIOAPIError,
    CustomerIOAuthError,
    CustomerIOConfigError,
    CustomerIORegionError,
)
from resources.customerio.limits import (
    DEFAULT_BATCH_MAX_BYTES,
    DEFAULT_MAX_ENTRIES_PER_BATCH,
    DEFAULT_TRACK_MAX_RPS,
    SEGMENT_MAX_IDS_PER_REQUEST,
)
from resources.customerio.operations import (
    BatchOutcome,
    MembershipChange,
    Operation,
    Reason,
    RegionInfo,
    Rejection,
    SendResult,
)
from resources.customerio.packing import Batch, check_batch_limits, decode_errors, pack
from resources.customerio.rate import RateLimiter
from resources.customerio.retry import Exhausted, RetryBudget, RetryPolicy, send_with_retries
from resources.customerio.urls import normalise_region, track_base_url

BATCH_PATH: Final = "/api/v2/batch"
SEGMENT_PATH: Final = "/api/v1/segments/{segment_id}/{verb}"
REGION_PATH: Final = "/api/v1/accounts/region"
USER_AGENT: Final = "retention-assets-reverse-etl"
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
# Requests one 400 or 413 may spend on binary splitting before the rest of the batch is rejected
# whole; enough to isolate a few bad rows in a 1000-row batch (about 2 * bad * log2(rows)).
DEFAULT_MAX_NARROWING_REQUESTS: Final = 64
# Batches packed ahead of the workers, per worker: keeps them busy without buffering input.
_QUEUED_BATCHES_PER_WORKER: Final = 2
# Customer.io's texts are stored with each rejection: keep them short.
_REASON_CHARS: Final = 100
_MESSAGE_CHARS: Final = 300


def _text(value: object, limit: int) -> str:
    return str(value)[:limit]


def _rejection(key: str, error: dict[str, object], fallback_reason: str) -> Rejection:
    field = error.get("field")
    return Rejection(
        key,
        _text(error.get("reason") or fallback_reason, _REASON_CHARS),
        _text(field, _REASON_CHARS) if field else None,
        _text(error.get("message") or "", _MESSAGE_CHARS),
    )


class TrackClient:
    """Client of Customer.io's Track API (writes). Use it as a context manager.

    Thread-safe; one instance owns one connection pool and one pool of worker threads.
    """

    def __init__(
        self,
        site_id: str,
        api_key: str,
        *,
        region: str = "us",
        region_source: str = "region",
        base_url: str | None = None,
        max_rps: float = DEFAULT_TRACK_MAX_RPS,
        concurrency: int = 8,
        batch_max_bytes: int = DEFAULT_BATCH_MAX_BYTES,
        max_entries_per_batch: int = DEFAULT_MAX_ENTRIES_PER_BATCH,
        max_narrowing_requests: int = DEFAULT_MAX_NARROWING_REQUESTS,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not site_id or not api_key:
            raise CustomerIOConfigError("Customer.io site_id and api_key must both be set")
        if concurrency < 1:
            raise CustomerIOConfigError("concurrency must be at least 1")
        if max_narrowing_requests < 0:
            raise CustomerIOConfigError("max_narrowing_requests must not be negative")
        try:
            check_batch_limits(batch_max_bytes, max_entries_per_batch)
            self._limiter = RateLimiter(max_rps)
        except ValueError as exc:
            raise CustomerIOConfigError(str(exc)) from None
        self.region = normalise_region(region)
        # What a region mismatch tells the reader to set: the caller knows where it is configured.
        self.region_source = region_source
        self.base_url = track_base_url(self.region, base_url)
        self.concurrency = concurrency
        self.batch_max_bytes = batch_max_bytes
        self.max_entries_per_batch = max_entries_per_batch
        self.max_narrowing_requests = max_narrowing_requests
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(site_id, api_key),
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            timeout=timeout,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            # A redirect means the wrong region; following it could carry credentials
            # to a host nobody configured.
            follow_redirects=False,
            transport=transport,
        )
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"TrackClient(base_url={self.base_url!r}, region={self.region!r}, "
            f"max_rps={self._limiter.rate:g}, concurrency={self.concurrency})"
        )

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
        """Stop the worker threads and close the connections."""
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None
        self._http.close()

    def check_credentials(self) -> RegionInfo:
        """Check the credentials and that the workspace lives in the configured region.

        Raises CustomerIOAuthError on 401, CustomerIORegionError when the workspace is in
        another region (or Customer.io redirects there), CustomerIOAPIError otherwise.
        """
        result = send_with_retries(
            lambda: self._http.get(REGION_PATH),
            api="Track",
            policy=self.retry,
            limiter=self._limiter,
            tally=BatchOutcome(),
        )
        if isinstance(result, Exhausted):
            raise CustomerIOAPIError(
                f"Customer.io Track API region check failed: {result.describe()}"
            )
        status = result.status_code
        if result.is_redirect:
            raise CustomerIORegionError(
                f"Customer.io redirected the region check (HTTP {status}): the workspace "
                f"is not in region {self.region!r}; set {self.region_source} to its region"
            )
        if status != 200:
            raise CustomerIOAPIError(
                f"Customer.io Track API region check answered HTTP {status}", status
            )
        try:
            body = orjson.loads(result.content)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise CustomerIOAPIError("Customer.io region check answered a body that is not JSON")
        region = str(body.get("region") or "").lower()
        if region != self.region:
            raise CustomerIORegionError(
                f"The Customer.io workspace is in region {region!r} but the client is "
                f"configured for {self.region!r}; set {self.region_source}={region or '?'}"
            )
        return RegionInfo(str(body.get("url") or ""), region, body.get("environment_id"))

    def iter_send(self, operations: Iterable[Operation]) -> Iterator[BatchOutcome]:
        """Send operations through /api/v2/batch, yielding outcomes as requests complete.

        The iterable is consumed lazily and only on the calling thread, between yields (so
        it may share state with the loop that consumes the outcomes); every operation ends
        up exactly once in some outcome, accepted or rejected. Raises CustomerIOAuthError
        on a 401 after yielding the outcomes of requests that had already completed.
        Closing the generator early stops the workers; operations not yet reported were
        then not acknowledged.
        """
        executor = self._workers()
        batches = pack(
            operations, max_bytes=self.batch_max_bytes, max_entries=self.max_entries_per_batch
        )
        budget = RetryBudget(self.retry.budget)
        stop = threading.Event()
        pending: set[Future[BatchOutcome]] = set()
        queue_limit = self.concurrency * _QUEUED_BATCHES_PER_WORKER
        source_open = True
        try:
            while True:
                while source_open and len(pending) < queue_limit:
                    item = next(batches, None)
                    if item is None:
                        source_open = False
                    elif isinstance(item, Batch):
                        pending.add(executor.submit(self._deliver, item, budget, stop))
                    else:
                        yield BatchOutcome(rejected=item)
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()
                    pending.discard(future)
                    yield outcome
        except CustomerIOAuthError:
            # Fail fast: no request still queued is worth sending with bad credentials.
            stop.set()
            for future in pending:
                future.cancel()
            yield from _settle(pending)
            raise
        except Exception:
            # The input (or a worker) failed: report what Customer.io already acknowledged
            # so the caller's ledger keeps it, then surface the error.
            yield from _settle(pending)
            raise
        finally:
            stop.set()
            for future in pending:
                future.cancel()
            wait(pending)

    def iter_segment_changes(
        self, segment_id: int, changes: Iterable[MembershipChange]
    ) -> Iterator[BatchOutcome]:
        """Add people to, or remove them from, a manual segment, yielding an outcome per request.

        Changes are consumed lazily on the calling thread and grouped by direction into
        requests of at most ``min(1000, max_entries_per_batch)`` ids (``add_customers``,
        ``remove_customers``), paced and retried like batches. A 200 accepts every id of the
        request: Customer.io ignores ids of people it does not know without saying so, so a
        caller that must know reads the segment back. Any other final answer rejects them all.
        Raises CustomerIOAuthError on a 401.
        """
        size = min(SEGMENT_MAX_IDS_PER_REQUEST, self.max_entries_per_batch)
        budget = RetryBudget(self.retry.budget)
        pending: dict[bool, list[MembershipChange]] = {True: [], False: []}
        for change in changes:
            group = pending[change.add]
            group.append(change)
            if len(group) >= size:
                yield self._send_segment_request(segment_id, change.add, group, budget)
                pending[change.add] = []
        for add, group in pending.items():
            if group:
                yield self._send_segment_request(segment_id, add, group, budget)

    def _send_segment_request(
        self, segment_id: int, add: bool, group: list[MembershipChange], budget: RetryBudget
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        keys = [change.key for change in group]
        body = orjson.dumps({"ids": [change.person_id for change in group]})
        path = SEGMENT_PATH.format(
            segment_id=int(segment_id), verb="add_customers" if add else "remove_customers"
        )
        result = send_with_retries(
            partial(self._http.post, path, content=body),
            api="Track",
            policy=self.retry,
            limiter=self._limiter,
            tally=outcome,
            body_bytes=len(body),
            budget=budget,
        )
        if isinstance(result, Exhausted):
            message = result.describe()
            outcome.rejected.extend(
                Rejection(key, Reason.RETRY_BUDGET_EXHAUSTED, None, message) for key in keys
            )
        elif result.status_code == 200:
            outcome.accepted.extend(keys)
        else:
            errors = decode_errors(result.content)
            reason = f"http_{result.status_code}"
            field = errors[0].get("field") if errors else None
            detail = _text(errors[0].get("message") or "", _MESSAGE_CHARS) if errors else ""
            message = f"Customer.io refused the segment request with HTTP {result.status_code}"
            outcome.rejected.extend(
                Rejection(
                    key,
                    reason,
                    _text(field, _REASON_CHARS) if field else None,
                    f"{message}: {detail}" if detail else message,
                )
                for key in keys
            )
        return outcome

    def send(self, operations: Iterable[Operation]) -> SendResult:
        """Send everything and return the totals (see iter_send)."""
        started = time.perf_counter()
        result = SendResult()
        for outcome in self.iter_send(operations):
            result.add(outcome)
        result.seconds = time.perf_counter() - started
        return result

    def _workers(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.concurrency, thread_name_prefix="customerio-track"
                )
            return self._executor

    def _deliver(self, batch: Batch, budget: RetryBudget, stop: threading.Event) -> BatchOutcome:
        """Send one batch (narrowing a 400 by splitting it) and account for every row."""
        outcome = BatchOutcome()
        groups = deque([batch])
        splits_left = self.max_narrowing_requests
        while groups:
            group = groups.popleft()
            body = group.body()
            result = send_with_retries(
                partial(self._http.post, BATCH_PATH, content=body),
                api="Track",
                policy=self.retry,
                limiter=self._limiter,
                tally=outcome,
                body_bytes=len(body),
                budget=budget,
                stop=stop,
            )
            if isinstance(result, Exhausted):
                message = result.describe()
                outcome.rejected.extend(
                    Rejection(key, Reason.RETRY_BUDGET_EXHAUSTED, None, message)
                    for key in group.keys
                )
                continue
            status = result.status_code
            if status == 207:
                _apply_partial(group, result, outcome)
            elif 200 <= status < 300:
                outcome.accepted.extend(group.keys)
            elif status in (400, 413) and len(group) > 1 and splits_left >= 2:
                # The whole request was refused for some of its rows (or its size, should a
                # proxy allow less than Customer.io): halve it until the bad rows stand
                # alone, so the good ones still get through.
                splits_left -= 2
                groups.extend(group.split())
            else:
                _reject_all(group, result, outcome)
        return outcome


def _apply_partial(group: Batch, response: httpx.Response, outcome: BatchOutcome) -> None:
    """207: the listed entries were refused and every other entry was accepted."""
    bad: dict[int, Rejection] = {}
    ambiguous = False
    for error in decode_errors(response.content):
        index = error.get("batch_index")
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(group):
            bad.setdefault(index, _rejection(group.keys[index], error, Reason.REJECTED))
        else:
            ambiguous = True
    if not bad:
        ambiguous = True
    for index, key in enumerate(group.keys):
        rejection = bad.get(index)
        if rejection is not None:
            outcome.rejected.append(rejection)
        elif ambiguous:
            # An error that names no row could be about any of them: claim none, so the
            # caller sends them again (identify and event ids make that harmless).
            outcome.rejected.append(
                Rejection(
                    key,
                    Reason.AMBIGUOUS_RESPONSE,
                    None,
                    "Customer.io answered 207 with an error that names no batch entry",
                )
            )
        else:
            outcome.accepted.append(key)


def _reject_all(group: Batch, response: httpx.Response, outcome: BatchOutcome) -> None:
    """A final non-2xx answer: every row of the request is rejected."""
    status = response.status_code
    errors = decode_errors(response.content)
    if len(group) == 1 and errors:
        outcome.rejected.append(_rejection(group.keys[0], errors[0], f"http_{status}"))
        return
    detail = f": {_text(errors[0].get('reason'), _REASON_CHARS)}" if errors else ""
    if response.is_redirect:
        detail = " (redirect: is the workspace in another region?)"
    message = f"Customer.io refused the whole request with HTTP {status}{detail}"
    outcome.rejected.extend(Rejection(key, f"http_{status}", None, message) for key in group.keys)


def _settle(pending: set[Future[BatchOutcome]]) -> Iterator[BatchOutcome]:
    """Wait for the given futures and yield the outcomes of those that completed."""
    finished, _ = wait(pending)
    pending.clear()
    for future in finished:
        # Failed ones (aborted, 401) acknowledged nothing that could be reported.
        if not future.cancelled() and future.exception() is None:
            yield future.result()
