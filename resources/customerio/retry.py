"""When and how long to retry a Customer.io request.

429, 5xx and network failures are retried with exponential backoff and full jitter, and
a Retry-After header wins over the computed delay. Every other answer, including every
other 4xx, is returned to the caller at once; 401 raises, since no retry can fix it.
Retries are bounded twice: per request, and per send by a shared budget, so an outage
turns into reported rejections instead of an endless run.
"""

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

import httpx

from resources.customerio.errors import CustomerIOAuthError
from resources.customerio.rate import RateLimiter, SendAborted

logger = logging.getLogger("resources.customerio")

# Failures after which the same request may be sent again. LocalProtocolError and
# UnsupportedProtocol are bugs on our side and are left out on purpose.
RETRYABLE_EXCEPTIONS: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


def is_retryable_status(status_code: int) -> bool:
    return status_code == 429 or status_code >= 500


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry settings. Delays are in seconds; tests use tiny ones."""

    max_retries: int = 6
    """Retries of one request after its first attempt."""
    budget: int = 1000
    """Retries allowed across one whole send, all requests together."""
    backoff_base: float = 0.5
    """Upper bound of the first backoff; it doubles with every retry."""
    backoff_max: float = 30.0
    """Cap of the backoff's upper bound."""
    retry_after_max: float = 120.0
    """Longest Retry-After honoured; a longer one is cut to this."""

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.budget < 0:
            raise ValueError("max_retries and the retry budget must not be negative")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.retry_after_max < 0:
            raise ValueError("backoff delays must not be negative")

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        # Full jitter: spreads the retries of many workers over the whole window.
        return random.uniform(0.0, min(self.backoff_max, self.backoff_base * 2 ** (retry - 1)))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay


class RetryBudget:
    """Retries left for one send, shared by its worker threads."""

    def __init__(self, total: int) -> None:
        self._left = total
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


class Tally(Protocol):
    """Counters a request loop adds to (BatchOutcome is one)."""

    requests: int
    bytes_sent: int
    retries: int


@dataclass(frozen=True, slots=True)
class Exhausted:
    """A request given up after retries: what its last failure was, and how many tries."""

    last_failure: str
    attempts: int

    def describe(self) -> str:
        return f"gave up after {self.attempts} attempts; last failure: {self.last_failure}"


def send_with_retries(
    send: Callable[[], httpx.Response],
    *,
    api: str,
    policy: RetryPolicy,
    limiter: RateLimiter,
    tally: Tally,
    body_bytes: int = 0,
    budget: RetryBudget | None = None,
    stop: threading.Event | None = None,
) -> httpx.Response | Exhausted:
    """Send one request, pacing and retrying it; return the first final answer.

    `send` performs the HTTP call. Returns the response for any status that is not retried
    (2xx, 3xx, 4xx other than 401 and 429), or Exhausted when the retries run out.
    Raises CustomerIOAuthError on 401 and SendAborted when `stop` is set.
    """
    attempts = 0
    while True:
        limiter.acquire(stop)
        attempts += 1
        tally.requests += 1
        tally.bytes_sent += body_bytes
        retry_after: float | None = None
        try:
            response = send()
        except RETRYABLE_EXCEPTIONS as exc:
            failure = type(exc).__name__
        else:
            status = response.status_code
            if status == 401:
                raise CustomerIOAuthError(
                    f"Customer.io {api} API rejected the credentials (HTTP 401); "
                    "check the site id and API key"
                )
            if not is_retryable_status(status):
                return response
            failure = f"HTTP {status}"
            retry_after = parse_retry_after(response.headers.get("retry-after"))
        if attempts > policy.max_retries or (budget is not None and not budget.take()):
            return Exhausted(failure, attempts)
        tally.retries += 1
        delay = policy.delay(attempts, retry_after)
        if retry_after is not None:
            # The server asked everybody to back off, not only this request.
            limiter.pause(delay)
        logger.debug(
            "Customer.io %s API: retrying after %s (attempt %d of %d) in %.3f s",
            api,
            failure,
            attempts + 1,
            policy.max_retries + 1,
            delay,
        )
        if stop is None:
            time.sleep(delay)
        elif stop.wait(delay):
            raise SendAborted
