"""Token bucket behind the App API's documented limit of 10 requests per second.

A bucket (burst = one second of requests) rather than fixed one-second windows, so a client
that paces itself at the limit is never refused and a burst above it is, as Customer.io does.
"""

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rate = rate
        self._tokens = max(rate, 1.0)
        self._updated = clock()

    def set_rate(self, rate: float) -> None:
        if rate != self._rate:
            self._rate = rate
            self.reset()

    def reset(self) -> None:
        self._tokens = max(self._rate, 1.0)
        self._updated = self._clock()

    def acquire(self) -> float:
        """Take a token: 0.0 if granted, else the seconds until one is available."""
        if self._rate <= 0:
            return 0.0
        now = self._clock()
        capacity = max(self._rate, 1.0)
        self._tokens = min(capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self._rate
