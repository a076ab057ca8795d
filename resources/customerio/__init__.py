"""Customer.io client and Dagster resource: validated, batched, paced and retried writes
to the Track API, and read-back through the App API.

The sync assets build Operations, hand them to ``TrackClient.iter_send`` and record each
row's outcome; limits live in ``limits`` and are shared with the asset checks.
"""

from resources.customerio.app import AppClient
from resources.customerio.errors import (
    CustomerIOAPIError,
    CustomerIOAuthError,
    CustomerIOConfigError,
    CustomerIOError,
    CustomerIORegionError,
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
from resources.customerio.packing import attribute_value_bytes, entry_violation, utf8_len
from resources.customerio.resource import CustomerIOResource
from resources.customerio.retry import RetryPolicy
from resources.customerio.track import TrackClient

__all__ = [
    "AppClient",
    "BatchOutcome",
    "CustomerIOAPIError",
    "CustomerIOAuthError",
    "CustomerIOConfigError",
    "CustomerIOError",
    "CustomerIORegionError",
    "CustomerIOResource",
    "MembershipChange",
    "Operation",
    "Reason",
    "RegionInfo",
    "Rejection",
    "RetryPolicy",
    "SendResult",
    "TrackClient",
    "attribute_value_bytes",
    "entry_violation",
    "utf8_len",
]
