"""Exceptions raised by the Customer.io client.

They live in their own module so that callers (the sync assets, the sandbox tests) can
catch them without importing the HTTP machinery. Messages never contain credentials or
request payloads: they may end up in Dagster run logs and alerts.
"""


class CustomerIOError(Exception):
    """Base class of every error raised by this package."""


class CustomerIOConfigError(CustomerIOError, ValueError):
    """The client was configured with values it refuses (bad region, unsafe URL, ...)."""


class CustomerIOAuthError(CustomerIOError):
    """Customer.io answered 401: the credentials are wrong. Nothing more is sent."""


class CustomerIORegionError(CustomerIOError):
    """The workspace lives in another region than the one the client is configured for."""


class CustomerIOAPIError(CustomerIOError):
    """An unexpected answer (or no answer after all retries) from Customer.io."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
