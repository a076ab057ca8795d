"""Identity reconciliation: what Customer.io already holds for the emails of new customers.

Customer.io may hold email-only profiles (forms, older integrations) for people this sync has
never written. Identifying such a person by id would either adopt the email-only profile
(Customer.io gives it the id: no duplicate) or, when an id profile exists too, leave two
profiles for one person, or drop the update when the email belongs to another id. So before
the profile sync, the identity plan looks every customer this sync never acknowledged up by
email (App API, 10 requests/s, cached in ``identity_lookups`` for ``lookup_ttl_hours``) and
decides per customer: ``new``, ``known``, ``adopt``, ``merge`` (the email-only profile into
the id profile, sent by the identity send behind the ``merge_guard`` check) or ``conflict``
(a rejected row; the profile is held back from the profile sync). docs/identity.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from resources.customerio import AppClient
from resources.customerio.limits import APP_MAX_IDS_PER_REQUEST
from resources.warehouse import WarehouseSession, transaction
from retention_assets.sync import ledger
from retention_assets.sync.stream import SyncStream

ALLOW_MERGES_TAG: Final = "retention/allow_merges"
CONFLICT_REASON: Final = "identity_conflict"
OUTCOMES: Final = ("new", "known", "adopt", "merge", "conflict")
_TRUE: Final = frozenset({"1", "true", "yes"})
_TIMESTAMP = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Lookup:
    """What the App API said about one customer and its email."""

    customer_id: str
    email: str
    id_known: bool
    email_only_cio_id: str | None
    other_id: str | None


def lookup_of(
    customer_id: str, email: str, id_known: bool, found: Sequence[Mapping[str, str | None]]
) -> Lookup:
    """One customer's lookup from the people holding its email (``customers_by_email``)."""
    email_only = next((p["cio_id"] for p in found if p["id"] is None and p["cio_id"]), None)
    other = next((p["id"] for p in found if p["id"] not in (None, customer_id)), None)
    has_email = any(p["id"] == customer_id for p in found)
    return Lookup(customer_id, email, id_known or has_email, email_only, other)


def look_up(
    session: WarehouseSession,
    stream: SyncStream,
    app: AppClient,
    *,
    as_of: dt.date,
    now: dt.datetime,
    log: logging.Logger | None = None,
) -> int:
    """Look up the customers whose lookup is missing or stale; returns how many.

    Customers go in chunks of 100: one attributes request tells which ids have a profile,
    then one email request each. Each chunk is stored as soon as it is read, so a failed or
    killed plan keeps what it paid for and the next one goes on from there.
    """
    ttl = dt.timedelta(hours=stream.spec.identity.lookup_ttl_hours)
    candidates = session.fetch_all(
        stream.sql("identity_candidates", email=stream.email_column),
        {"as_of": as_of, "stale_before": now - ttl},
    )
    for start in range(0, len(candidates), APP_MAX_IDS_PER_REQUEST):
        chunk = candidates[start : start + APP_MAX_IDS_PER_REQUEST]
        known = app.customer_attributes([customer_id for customer_id, _email in chunk])
        lookups = [
            lookup_of(customer_id, email, customer_id in known, app.customers_by_email(email))
            for customer_id, email in chunk
        ]
        _store(session, stream, lookups, now)
        if log is not None:
            log.info(f"{stream.name}: looked up {start + len(chunk):,}/{len(candidates):,} emails")
    return len(candidates)


def _store(
    session: WarehouseSession, stream: SyncStream, lookups: Sequence[Lookup], now: dt.datetime
) -> None:
    staged = pa.table(
        {
            "customer_id": pa.array([x.customer_id for x in lookups], pa.string()),
            "email": pa.array([x.email for x in lookups], pa.string()),
            "id_known": pa.array([x.id_known for x in lookups], pa.bool_()),
            "email_only_cio_id": pa.array([x.email_only_cio_id for x in lookups], pa.string()),
            "other_id": pa.array([x.other_id for x in lookups], pa.string()),
            "looked_up_at": pa.repeat(pa.scalar(now, _TIMESTAMP), len(lookups)),
        }
    )
    with transaction(session):
        session.execute("DELETE FROM fresh_identity_lookups")
        session.insert_arrow("fresh_identity_lookups", staged)
        session.execute(stream.sql("replace_identity_lookups"))


def plan_identity(session: WarehouseSession, stream: SyncStream, as_of: dt.date) -> dict[str, int]:
    """Rebuild the identity plan of ``as_of`` from the lookups; the count of each outcome."""
    with transaction(session):
        session.execute(stream.sql("identity_plan", email=stream.email_column), {"as_of": as_of})
    counts = dict(session.fetch_all(stream.sql("identity_plan_summary"), {"as_of": as_of}))
    return {outcome: int(counts.get(outcome, 0)) for outcome in OUTCOMES}


def record_conflicts(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date, *, run_id: str, now: dt.datetime
) -> None:
    """Report the plan's conflicts as rejected rows, with the other profile's id as reason."""
    ledger.record_staged_rejections(
        session,
        stream,
        stream.sql("record_identity_conflicts"),
        {"as_of": as_of, "reason": CONFLICT_REASON},
        partition_key=as_of.isoformat(),
        run_id=run_id,
        now=now,
    )


def held_profiles(session: WarehouseSession, stream: SyncStream, as_of: dt.date) -> int:
    """Profiles of ``as_of`` held back from the profile sync: conflicts, merges not sent."""
    return int(session.fetch_all(stream.sql("identity_held_count"), {"as_of": as_of})[0][0])


def plan_sample(
    session: WarehouseSession, stream: SyncStream, as_of: dt.date, limit: int
) -> list[tuple[str, str, str, str]]:
    """``(outcome, customer_id, email, other profile)`` rows, merges and conflicts first."""
    rows = session.fetch_all(stream.sql("identity_plan_sample"), {"as_of": as_of, "limit": limit})
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def merges_allowed(tags: Mapping[str, str]) -> bool:
    """Whether the run carries ``retention/allow_merges=true``."""
    return tags.get(ALLOW_MERGES_TAG, "").lower() in _TRUE


def merge_verdict(stream: SyncStream, merges: int, tags: Mapping[str, str]) -> str | None:
    """Why ``merges`` planned merges must not be sent by this run, or None when they may.

    The one rule both the ``merge_guard`` check and the identity send apply: a send started
    without the check (the asset alone) is held to it too, since a merge cannot be undone.
    """
    limit = stream.spec.identity.max_merges
    if merges <= limit or merges_allowed(tags):
        return None
    return (
        f"the identity plan holds {merges:,} merges, over `identity.max_merges` {limit:,}:"
        " a merge deletes the email-only profile for good. Review the plan's sample, then"
        f" re-run with run tag {ALLOW_MERGES_TAG}=true"
    )
