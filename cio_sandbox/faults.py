"""Decides which Track writes misbehave, so clients can be tested against a flaky Customer.io.

Every decision is a draw from one ``random.Random``: with a ``seed`` the same sequence of
requests meets the same faults, so fault tests are repeatable. Draws happen only for rates
above zero, which keeps the fault-free path free of RNG calls.
"""

import random
from typing import Literal

from cio_sandbox.config import SandboxConfig

Fault = Literal["429", "500", "503", "drop"]


class FaultInjector:
    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        """Restart the draw sequence; ``None`` seeds from the OS (not repeatable)."""
        self._rng = random.Random(seed)

    def request_fault(self, config: SandboxConfig) -> Fault | None:
        """The fault that replaces this request's response, if any."""
        rates: tuple[tuple[Fault, float], ...] = (
            ("429", config.error_429_rate),
            ("500", config.error_500_rate),
            ("503", config.error_503_rate),
            ("drop", config.drop_rate),
        )
        if not any(rate for _, rate in rates):
            return None
        draw = self._rng.random()
        for fault, rate in rates:
            if draw < rate:
                return fault
            draw -= rate
        return None

    def is_slow(self, config: SandboxConfig) -> bool:
        return config.slow_rate > 0 and self._rng.random() < config.slow_rate

    def fails_event(self, config: SandboxConfig) -> bool:
        """Whether an accepted event is recorded as a ``failed_event`` activity instead."""
        return config.event_fail_rate > 0 and self._rng.random() < config.event_fail_rate

    def rejects_entry(self, config: SandboxConfig) -> bool:
        return config.entry_reject_rate > 0 and self._rng.random() < config.entry_reject_rate
