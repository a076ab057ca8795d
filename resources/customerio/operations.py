"""The values that cross the boundary between the sync layer and the Customer.io client.

Operations go in, outcomes come out, keyed by the caller's own row key so that a ledger
can be written per row without the client knowing what a row is.
"""

from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple


class Operation(NamedTuple):
    """One Track API v2 batch entry, tagged with the caller's row key.

    `key` is what the caller accounts by (customer_id, event_key) and is never sent;
    `entry` is the v2 entry itself, e.g. ``{"type": "person", "identifiers": {"id": "c1"},
    "action": "identify", "attributes": {...}}``, which the client serialises and checks
    against every Customer.io limit. `serialised` is the alternative for producers that
    build entries in bulk (the warehouse, as JSON text): see :meth:`prechecked`. A tuple,
    because a sync creates millions of them and a tuple is the cheapest immutable record.
    """

    key: str
    entry: dict[str, Any] | None = None
    serialised: bytes | None = None

    @classmethod
    def prechecked(cls, key: str, serialised: bytes) -> "Operation":
        """An entry already serialised, whose producer vouches for its field limits.

        The producer guarantees a valid v2 entry whose identifier, event name and attribute
        names and values are within Customer.io's limits (as the sync's SQL does, with the
        constants of ``limits``, handing any row it cannot vouch for over as a plain
        ``Operation`` instead). The client still measures the entry against the entry size
        limit, and sends the bytes as they are.
        """
        return cls(key, None, serialised)


class MembershipChange(NamedTuple):
    """One person joining (``add``) or leaving a manual segment, tagged with the caller's key.

    ``person_id`` is the person's ``id`` in Customer.io; ``key`` is what the caller accounts
    by and is never sent.
    """

    key: str
    person_id: str
    add: bool


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that Customer.io did not take, or that was never sent because it breaks a limit.

    `message` is safe to log and store: it may name the field, never the credentials or the
    whole payload.
    """

    key: str
    reason: str
    field: str | None
    message: str


class Reason:
    """Reason codes of rejections decided by this client (Customer.io's own pass through)."""

    INVALID_ENTRY: Final = "invalid_entry"
    NOT_SERIALIZABLE: Final = "not_serializable"
    ENTRY_TOO_LARGE: Final = "entry_too_large"
    MISSING_IDENTIFIER: Final = "missing_identifier"
    MULTIPLE_IDENTIFIERS: Final = "multiple_identifiers"
    INVALID_IDENTIFIER: Final = "invalid_identifier"
    IDENTIFIER_TOO_LONG: Final = "identifier_too_long"
    MISSING_ACTION: Final = "missing_action"
    MISSING_EVENT_NAME: Final = "missing_event_name"
    EVENT_NAME_TOO_LONG: Final = "event_name_too_long"
    INVALID_ATTRIBUTES: Final = "invalid_attributes"
    TOO_MANY_ATTRIBUTES: Final = "too_many_attributes"
    ATTRIBUTE_NAME_TOO_LONG: Final = "attribute_name_too_long"
    ATTRIBUTE_VALUE_TOO_LONG: Final = "attribute_value_too_long"
    RETRY_BUDGET_EXHAUSTED: Final = "retry_budget_exhausted"
    AMBIGUOUS_RESPONSE: Final = "ambiguous_response"
    # Fallback when Customer.io rejects without saying why.
    REJECTED: Final = "rejected"


@dataclass(slots=True)
class BatchOutcome:
    """What happened to one packed batch: one per request, including its retries and any
    narrowing of a 400, or one per group of rows rejected locally (then ``requests == 0``).
    """

    accepted: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    requests: int = 0
    bytes_sent: int = 0
    retries: int = 0


@dataclass(slots=True)
class SendResult:
    """Totals of one send: counts, not keys, so it stays small for million-row syncs."""

    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    requests: int = 0
    bytes_sent: int = 0
    retries: int = 0
    seconds: float = 0.0

    def add(self, outcome: BatchOutcome) -> None:
        """Fold one batch outcome into the totals."""
        self.accepted += len(outcome.accepted)
        self.rejected.extend(outcome.rejected)
        self.requests += outcome.requests
        self.bytes_sent += outcome.bytes_sent
        self.retries += outcome.retries


@dataclass(frozen=True, slots=True)
class RegionInfo:
    """The answer of ``GET /api/v1/accounts/region``: where the workspace lives."""

    url: str
    region: str
    environment_id: int | str | None
