"""Local stand-in for Customer.io's Track and App APIs.

The project syncs warehouse rows to Customer.io; this package lets it do so without a real
workspace: the README's demo syncs into it, and contract, fault-injection and benchmark tests
run against it. It follows the contract in the shared ``customerio-api.md`` page (auth,
limits, 207 partial failures, ULID event dedupe, App API read-back and its 10 req/s limit),
and Customer.io's data-in beyond people and events: objects and relationships, manual
segments, delete, suppress, unsuppress and merge (docs/customerio-sandbox.md says how and on
what sources). It can misbehave on purpose (429/5xx, slow or dropped responses, per-entry
rejections, silently failed events).

Run it with ``python -m cio_sandbox``; use :func:`cio_sandbox.testing.running_sandbox` from
tests. The credentials below are the defaults the server accepts unless told otherwise.
"""

DEFAULT_SITE_ID = "sandbox-site"
DEFAULT_API_KEY = "sandbox-key"
DEFAULT_APP_API_KEY = "sandbox-app-key"
DEFAULT_REGION = "us"

__all__ = ["DEFAULT_API_KEY", "DEFAULT_APP_API_KEY", "DEFAULT_REGION", "DEFAULT_SITE_ID"]
