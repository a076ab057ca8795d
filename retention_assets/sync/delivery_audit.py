"""After a profile send: find the updates Customer.io answered 200 to and then dropped.

An identify whose email belongs to another Customer.io profile is accepted (200, no error
in the batch answer) and then dropped whole; only a ``failed_attribute_change`` activity on
the profile says so. Without this audit the ledger would claim the update forever and the
profile would stay stale with nothing in ``cio_sync.rejected_rows``.

Only an email can collide (the sync sends no other identifier), so the audit looks at the
profiles whose email this run set, in two steps that keep within the App API's 10 requests/s:

1. read them back, 100 per request, and keep those that do not hold the email as sent;
2. read the ``failed_attribute_change`` activities of those since the send started.

A profile with such an activity is recorded in ``cio_sync.rejected_rows`` (reason
``attribute_update_failure``) and its ledger rows of this run are marked undelivered, so the
``no_open_rejections`` check shows it and the next run sends it again with fresh data; once it
is delivered, the fold of its acknowledgement resolves the rejection as for any other.
A profile that does not hold its email but shows no failure (Customer.io may not have processed
it yet, it was deleted, or it was past the cap of activity reads) is unconfirmed: not a
rejection, but its ledger rows are marked undelivered too, so the next run sends it again and
audits it again; resending an identify is harmless, skipping one is not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import dagster as dg
import pyarrow as pa

from resources.customerio import AppClient, CustomerIOError, CustomerIOResource, Rejection
from resources.customerio.emails import EMAIL_WHITESPACE
from resources.warehouse import WarehouseSession, transaction
from retention_assets.attribute_types import Attribute
from retention_assets.sync import ledger
from retention_assets.sync.encoding import encode_value
from retention_assets.sync.stream import SyncStream

EMAIL_ATTRIBUTE: Final = "email"
FAILED_ATTRIBUTE_CHANGE: Final = "failed_attribute_change"
REASON: Final = "attribute_update_failure"
MESSAGE: Final = (
    "Customer.io answered 200 but dropped this profile's whole update: its email belongs to"
    " another Customer.io profile. Give each customer their own email in the source, or merge"
    " the two profiles in Customer.io; the row is sent again with fresh data on every run."
)
# Marks a ledger value or digest that Customer.io never applied; no md5 hash looks like it.
UNDELIVERED: Final = "undelivered"
# Caps of one audit: 100 read-back requests and 600 activity reads, about 70 s at 10/s.
# Customers sharing an email with another customer are audited first.
MAX_READ_BACK: Final = 10_000
MAX_ACTIVITY_READS: Final = 600
SAMPLE_IDS: Final = 20


@dataclass
class AuditReport:
    """What one audit found; becomes part of the send asset's metadata."""

    email_changes: int = 0
    audited: int = 0
    failed: int = 0
    unconfirmed: int = 0
    status: str = "nothing to audit: no email changed"
    failed_ids: list[str] = field(default_factory=list)
    # Spent reading back through the App API (10 requests/s at Customer.io): a first sync of
    # 10,000 or more emails pays about ten seconds for it.
    seconds: float = 0.0

    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "delivery_audit": self.status,
            "audited": self.audited,
            "failed": self.failed,
            "audit_unconfirmed": self.unconfirmed,
            "audit_seconds": round(self.seconds, 2),
        }
        if self.failed_ids:
            metadata["audit_failed_sample"] = dg.MetadataValue.text(
                ", ".join(self.failed_ids[:SAMPLE_IDS])
            )
        return metadata


@contextmanager
def app_client_if_configured(customerio: CustomerIOResource) -> Iterator[AppClient | None]:
    """The App API client, or None when no App API key is configured."""
    if not customerio.app_api_key:
        yield None
        return
    with customerio.app_client() as client:
        yield client


def _email_hash(email: Attribute, attributes: dict[str, Any] | None) -> str | None:
    """The ledger's hash of the email a read-back profile holds (None: no profile, no email)."""
    if attributes is None:
        return None
    encoded = encode_value(email, attributes.get(EMAIL_ATTRIBUTE))
    return None if encoded is None else hashlib.md5(encoded.encode()).hexdigest()


def audit_email_changes(
    session: WarehouseSession,
    stream: SyncStream,
    app_client: AppClient | None,
    *,
    as_of: dt.date,
    run_id: str,
    since: dt.datetime,
    log: logging.Logger,
    app_key_variable: str,
) -> AuditReport:
    """Audit the profiles whose email run ``run_id`` set, after its send (see module doc).

    ``since`` is when the send started; ``app_key_variable`` names the environment variable
    of the workspace's App API key, for the message when it is not set. Never raises for the
    App API: without a key the audit is skipped, and an App API failure ends it early; both
    are logged and reported.
    """
    if stream.entity == "object":
        return AuditReport(status=f"nothing to audit: {stream.name} writes objects, not people")
    email = next((a for a in stream.attributes if a.name == EMAIL_ATTRIBUTE), None)
    if email is None:
        return AuditReport(status=f"nothing to audit: {stream.name} writes no email attribute")
    ledger.ensure_sync_tables(session, stream)
    ledger.ensure_source_view(session, stream)
    rows = session.fetch_all(
        stream.sql("email_changes_to_audit"),
        {
            "run_id": run_id,
            "as_of": as_of,
            "email_attribute": EMAIL_ATTRIBUTE,
            "whitespace": EMAIL_WHITESPACE,
            "limit": MAX_READ_BACK,
        },
    )
    report = AuditReport(email_changes=int(rows[0][3]) if rows else 0)
    if not rows:
        return report
    if app_client is None:
        report.status = f"skipped: no App API key (set {app_key_variable})"
        log.warning(
            f"delivery audit skipped: {report.email_changes:,} profiles got a new email, but"
            " without an App API key nobody can tell whether Customer.io dropped any of them"
        )
        return report
    sent = {str(customer_id): value_hash for customer_id, value_hash, _, _ in rows}
    suspects: list[str] = []
    failed: list[str] = []
    started = time.perf_counter()
    try:
        held = app_client.customer_attributes(list(sent))
        report.audited = len(sent)
        suspects = [
            key for key, digest in sent.items() if _email_hash(email, held.get(key)) != digest
        ]
        activities = app_client.customer_activities(
            suspects[:MAX_ACTIVITY_READS],
            activity_type=FAILED_ATTRIBUTE_CHANGE,
            since=int(since.timestamp()),
        )
        failed = [customer_id for customer_id, found in activities if found]
        report.status = f"audited {report.audited:,} of {report.email_changes:,} email changes"
    except CustomerIOError as error:
        # The send itself succeeded; what the audit found so far is still recorded below.
        report.status = f"incomplete: {error}"
        log.warning(f"delivery audit stopped early, the App API failed: {error}")
    report.seconds = time.perf_counter() - started
    dropped = set(failed)
    unconfirmed = [key for key in suspects if key not in dropped]
    _record(session, stream, failed, unconfirmed, as_of=as_of, run_id=run_id, since=since)
    report.failed = len(failed)
    report.failed_ids = failed
    report.unconfirmed = len(unconfirmed)
    if failed:
        log.warning(
            f"delivery audit: Customer.io dropped the update of {len(failed):,} profiles whose"
            f" email belongs to another profile; they are in {stream.schema}.rejected_rows"
            f" ({REASON}) and are retried on the next run"
        )
    if unconfirmed:
        log.warning(
            f"delivery audit: {len(unconfirmed):,} profiles do not hold the email sent and show"
            " no failure (yet); they are sent again on the next run"
        )
    return report


def _stage(session: WarehouseSession, customer_ids: list[str]) -> None:
    session.execute("DELETE FROM selected_keys")
    keys = pa.table({"row_key": pa.array(customer_ids, pa.string())})
    session.insert_arrow("selected_keys", keys)


def _record(
    session: WarehouseSession,
    stream: SyncStream,
    failed: list[str],
    unconfirmed: list[str],
    *,
    as_of: dt.date,
    run_id: str,
    since: dt.datetime,
) -> None:
    """Keep the ledger from claiming what Customer.io may not hold; open rejections for failures.

    An unconfirmed profile is only sent again (a resend is harmless, a skip is not); a failed
    one is also a rejection, reopened if this run's fold had resolved it.
    """
    if not failed and not unconfirmed:
        return
    # The ledger first: a crash before the rejections are recorded still resends the profiles.
    with transaction(session):
        _stage(session, [*failed, *unconfirmed])
        session.execute(
            stream.sql("mark_undelivered_profiles"),
            {"run_id": run_id, "undelivered": UNDELIVERED},
        )
        if failed:
            _stage(session, failed)
            session.execute(
                stream.sql("reopen_rejections"), {"stream": stream.name, "since": since}
            )
    ledger.record_rejections(
        session,
        stream,
        [Rejection(key, REASON, EMAIL_ATTRIBUTE, MESSAGE) for key in failed],
        partition_key=as_of.isoformat(),
        run_id=run_id,
        now=dt.datetime.now(dt.UTC),
    )
