"""What clients sent to the sandbox: a bounded log of Track and App API requests.

Tests assert on it (how many requests, which were faulted, how many entries each carried)
and benchmarks read request counts from it; the ring buffer keeps a long run from growing
memory without bound, while the per-status counters cover the whole run.
"""

from collections import Counter, deque
from typing import Any

DEFAULT_LOG_SIZE = 10_000


class RequestLog:
    def __init__(self, size: int = DEFAULT_LOG_SIZE) -> None:
        self._records: deque[dict[str, Any]] = deque(maxlen=size)
        self._by_status: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    def reset(self) -> None:
        self._records.clear()
        self._by_status.clear()
        self._faults.clear()

    def record(
        self,
        method: str,
        path: str,
        status: int | None,
        size: int,
        entries: int,
        started: float,
        finished: float,
        fault: str | None,
    ) -> None:
        """``status`` None means the connection was dropped without a response."""
        self._records.append(
            {
                "method": method,
                "path": path,
                "status": status,
                "bytes": size,
                "entries": entries,
                "time": started,
                "duration_ms": round((finished - started) * 1000, 3),
                "fault": fault,
            }
        )
        self._by_status["dropped" if status is None else str(status)] += 1
        if fault is not None:
            self._faults[fault] += 1

    def records(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Oldest first; ``limit`` keeps the most recent ones."""
        records = list(self._records)
        return records if limit is None else records[len(records) - min(limit, len(records)) :]

    def stats(self) -> dict[str, Any]:
        return {
            "requests": sum(self._by_status.values()),
            "requests_by_status": dict(self._by_status),
            "faults_injected": dict(self._faults),
        }
