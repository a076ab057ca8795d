"""A thread-safe request-rate limiter shared by every worker of a client.

Customer.io's rate limit is per workspace and shared with real-time traffic, so the
client paces its own requests instead of waiting for 429s; a Retry-After received by one
worker pauses all of them.
"""

import threading
import time


class SendAborted(Exception):
    """A wait was cut short because the send it belongs to is being stopped."""


class RateLimiter:
    """Token bucket holding one token: requests are spaced ``1 / rate`` seconds apart.

    A one-token bucket never bursts, so no window of one second sees more than `rate`
    requests (plus the one on its boundary) however many threads share it. Each caller
    reserves its slot under the lock and sleeps outside it, so waiting threads are served
    in arrival order without holding the lock.
    """

    def __init__(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError("rate must be a positive number of requests per second")
        self._interval = 1.0 / rate
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0

    @property
    def rate(self) -> float:
        return 1.0 / self._interval

    def acquire(self, stop: threading.Event | None = None) -> None:
        """Block until this caller may send one request.

        Raises SendAborted if `stop` is set while waiting.
        """
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot, self._paused_until)
            self._next_slot = slot + self._interval
        delay = slot - now
        if delay > 0:
            if stop is None:
                time.sleep(delay)
            elif stop.wait(delay):
                raise SendAborted
        elif stop is not None and stop.is_set():
            raise SendAborted

    def pause(self, seconds: float) -> None:
        """Hold back every caller for `seconds` from now (a server asked us to back off)."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
