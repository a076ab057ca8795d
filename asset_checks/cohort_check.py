"""The test cohort: after every sync, read chosen customers back the way the guide says.

A Track API 200 proves that Customer.io received a request, not that the customer looks the
way the warehouse says. The practitioner's guide validates a test cohort by hand after each
sync: profiles, events, segment membership. This check does it on every run, for the
customers the spec declares (``cohort.members``), those listed in the sync's ``test_cohort``
table, and a fresh random sample of customers the sync wrote:

* attributes equal what the ledger says Customer.io acknowledged (profile syncs);
* the latest acknowledged events landed, under the name sent and at the time sent (event
  syncs);
* each declared segment expectation holds ("in VIP", "not in Reactivation");
* no ``failed_attribute_change`` or ``failed_event`` activity since the sync wrote to them:
  Customer.io answers those updates 200 and drops them.

Every difference is listed per customer in the check's metadata. The App API allows 10
requests per second, so activities are read for the declared cohort and a few sampled
customers only (``cohort.activity_sample_size``); attributes for all of them, 100 per request.
"""

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import dagster as dg
import pyarrow as pa

from resources.customerio import AppClient, CustomerIOResource
from resources.warehouse import WarehouseResource, WarehouseSession
from retention_assets.specs.model import Cohort, CohortMember
from retention_assets.sync import ledger
from retention_assets.sync.encoding import encode_value
from retention_assets.sync.stream import SyncStream

COHORT_CHECK: Final = "test_cohort"
FAILED_ATTRIBUTE_CHANGE: Final = "failed_attribute_change"
FAILED_EVENT: Final = "failed_event"
EVENT_ACTIVITY: Final = "event"
# Clock skew between this machine and Customer.io, when reading activities "since" a write.
CLOCK_MARGIN: Final = dt.timedelta(minutes=5)
# Differences listed in the check's metadata.
LISTED_DIFFERENCES: Final = 100


@dataclass(frozen=True)
class Difference:
    """One way a customer in Customer.io differs from what the warehouse says."""

    customer_id: str
    aspect: str  # attribute | event | segment | failed update
    name: str  # the attribute, event or segment; the activity type of a failed update
    problem: str

    def row(self) -> dict[str, str]:
        return {
            "customer_id": self.customer_id,
            "aspect": self.aspect,
            "name": self.name,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class _Selection:
    """Who is read back this run: the declared cohort, then the sample."""

    declared: tuple[str, ...]
    sampled: tuple[str, ...]
    activity_sample_size: int

    @property
    def everyone(self) -> list[str]:
        return list(dict.fromkeys((*self.declared, *self.sampled)))

    @property
    def with_activities(self) -> list[str]:
        """The customers whose activities are read: every declared one, a few sampled."""
        sampled = [c for c in self.sampled if c not in set(self.declared)]
        return list(dict.fromkeys((*self.declared, *sampled[: self.activity_sample_size])))


def _selection(
    session: WarehouseSession, stream: SyncStream, ledger_table: str, salt: str
) -> _Selection:
    cohort = stream.spec.cohort
    listed = [str(row[0]) for row in session.fetch_all(stream.sql("cohort_table"))]
    sampled = session.fetch_all(
        stream.sql("cohort_sample", ledger=ledger_table),
        {"salt": salt, "sample_size": cohort.sample_size},
    )
    declared = tuple(dict.fromkeys((*(m.id for m in cohort.members), *listed)))
    return _Selection(
        declared=declared,
        sampled=tuple(str(row[0]) for row in sampled),
        activity_sample_size=cohort.activity_sample_size,
    )


def _stage(session: WarehouseSession, customers: Sequence[str]) -> None:
    session.execute("DELETE FROM selected_keys")
    session.insert_arrow(
        "selected_keys", pa.table({"row_key": pa.array(list(customers), pa.string())})
    )


def _attribute_differences(
    stream: SyncStream,
    expected: Iterable[tuple[Any, ...]],
    actual: dict[str, dict[str, Any]],
) -> list[Difference]:
    kinds = {attribute.name: attribute for attribute in stream.attributes}
    found: list[Difference] = []
    for customer_id, attribute, expected_hash, _acknowledged_at in expected:
        if attribute not in kinds:
            continue  # written by an earlier version of the spec
        attributes = actual.get(customer_id)
        if attributes is None:
            found.append(Difference(customer_id, "attribute", attribute, "profile missing"))
            continue
        encoded = encode_value(kinds[attribute], attributes.get(attribute))
        held = None if encoded is None else hashlib.md5(encoded.encode()).hexdigest()
        if held != expected_hash:
            found.append(Difference(customer_id, "attribute", attribute, "value differs"))
    return found


def _failed_updates(
    app: AppClient, activity_type: str, since: dict[str, dt.datetime]
) -> list[Difference]:
    """A failed update after the sync last wrote to each customer (``since``)."""
    found: list[Difference] = []
    for customer_id, activities in app.customer_activities(
        list(since), activity_type=activity_type, since=min(_unix(t) for t in since.values())
    ):
        cutoff = _unix(since[customer_id])
        failures = [a for a in activities or () if _activity_time(a) >= cutoff]
        if failures:
            found.append(
                Difference(
                    customer_id,
                    "failed update",
                    activity_type,
                    f"{len(failures)} since the sync wrote to them: Customer.io answered 200"
                    " and dropped the update",
                )
            )
    return found


def _event_differences(
    app: AppClient, expected: Sequence[tuple[Any, ...]]
) -> tuple[list[Difference], dict[str, dt.datetime]]:
    """The acknowledged events that did not land as sent, and each customer's earliest write."""
    by_customer: dict[str, list[tuple[str, int]]] = {}
    written: dict[str, dt.datetime] = {}
    for customer_id, name, occurred_at, acknowledged_at in expected:
        by_customer.setdefault(customer_id, []).append((str(name), _unix(occurred_at)))
        written[customer_id] = min(written.get(customer_id, acknowledged_at), acknowledged_at)
    found: list[Difference] = []
    if not by_customer:
        return found, written
    since = min(t for events in by_customer.values() for _name, t in events)
    for customer_id, activities in app.customer_activities(
        list(by_customer), activity_type=EVENT_ACTIVITY, since=since
    ):
        if activities is None:
            found.append(Difference(customer_id, "event", "*", "profile missing"))
            continue
        landed = {(str(a.get("name")), _activity_time(a)) for a in activities}
        found += [
            Difference(
                customer_id, "event", name, f"not among the activities (sent for {_iso(sent)})"
            )
            for name, sent in by_customer[customer_id]
            if (name, sent) not in landed
        ]
    return found, written


def _segment_differences(app: AppClient, members: Sequence[CohortMember]) -> list[Difference]:
    expecting = [m for m in members if m.in_segments or m.not_in_segments]
    wanted = {m.id: m for m in expecting}
    found: list[Difference] = []
    for customer_id, segments in app.customer_segments(list(wanted)):
        member = wanted[customer_id]
        if segments is None:
            found.append(Difference(customer_id, "segment", "*", "profile missing"))
            continue
        held = {str(s.get("name")) for s in segments} | {str(s.get("id")) for s in segments}
        found += [
            Difference(customer_id, "segment", segment, "expected in it, not a member")
            for segment in member.in_segments
            if segment not in held
        ]
        found += [
            Difference(customer_id, "segment", segment, "expected not in it, is a member")
            for segment in member.not_in_segments
            if segment in held
        ]
    return found


def _result(
    cohort: Cohort, selection: _Selection, read: Sequence[str], differences: list[Difference]
) -> dg.AssetCheckResult:
    metadata: dict[str, Any] = {
        "customers_read": len(read),
        "declared_cohort": len(selection.declared),
        "activities_read_for": len(selection.with_activities),
        "customers_differing": len({d.customer_id for d in differences}),
        "differences": len(differences),
    }
    if differences:
        listed = [d.row() for d in differences[:LISTED_DIFFERENCES]]
        metadata["by_customer"] = dg.MetadataValue.table(
            records=[dg.TableRecord(row) for row in listed],
            schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in listed[0]]),
        )
    severity = (
        dg.AssetCheckSeverity.ERROR if cohort.severity == "error" else dg.AssetCheckSeverity.WARN
    )
    return dg.AssetCheckResult(passed=not differences, severity=severity, metadata=metadata)


def _unix(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _iso(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat()


def _activity_time(activity: dict[str, Any]) -> int:
    value = activity.get("timestamp")
    return value if isinstance(value, int) else 0


def _description(stream: SyncStream) -> str:
    cohort = stream.spec.cohort
    what = (
        "attributes equal what the ledger says Customer.io acknowledged, no"
        " `failed_attribute_change` since the sync wrote to them"
        if stream.kind == "profiles"
        else f"their latest {cohort.recent_events} acknowledged events landed with the name and"
        " time sent, no `failed_event`"
    )
    return (
        f"Reads the test cohort back through the App API after each sync: the"
        f" {len(cohort.members)} customers the spec declares, those in"
        f" {stream.schema}.test_cohort, and {cohort.sample_size} customers drawn at random"
        f" (activities for {cohort.activity_sample_size} of them). Checks that {what}, and"
        f" that declared segment expectations hold. Each difference is listed per customer;"
        f" severity `{cohort.severity}` (spec `cohort.severity`)."
    )


def cohort_check(stream: SyncStream) -> dg.AssetChecksDefinition:
    """The test-cohort read-back of one people sync (profiles or events)."""
    resource_key = stream.resource_key
    cohort = stream.spec.cohort

    @dg.asset_check(
        asset=stream.send_key,
        name=COHORT_CHECK,
        required_resource_keys={"warehouse", resource_key},
        description=_description(stream),
    )
    def test_cohort(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        warehouse: WarehouseResource = context.resources.warehouse
        customerio: CustomerIOResource = getattr(context.resources, resource_key)
        profiles = stream.kind == "profiles"
        with warehouse.session() as session:
            ledger.ensure_sync_tables(session, stream)
            selection = _selection(
                session,
                stream,
                "customer_ledger" if profiles else "event_ledger",
                context.run.run_id,
            )
            # An event sync's customers are read through their activities only.
            read = selection.everyone if profiles else selection.with_activities
            _stage(session, read)
            expected = session.fetch_all(
                stream.sql("ledger_values" if profiles else "recent_events"),
                None if profiles else {"recent_events": cohort.recent_events},
            )
        if not read:
            return _result(cohort, selection, read, [])
        with customerio.app_client() as app:
            if profiles:
                differences = _attribute_differences(
                    stream, expected, app.customer_attributes(read)
                )
                reads = set(selection.with_activities)
                written: dict[str, dt.datetime] = {}
                for customer_id, _attribute, _hash, acknowledged_at in expected:
                    if customer_id in reads:
                        written[customer_id] = max(
                            written.get(customer_id, acknowledged_at), acknowledged_at
                        )
                failed_type = FAILED_ATTRIBUTE_CHANGE
            else:
                differences, written = _event_differences(app, expected)
                failed_type = FAILED_EVENT
            if written:
                since = {c: t - CLOCK_MARGIN for c, t in written.items()}
                differences += _failed_updates(app, failed_type, since)
            differences += _segment_differences(app, cohort.members)
        context.log.info(
            f"{stream.name}: read back {len(selection.everyone):,} customers,"
            f" {len(differences):,} differences"
        )
        return _result(cohort, selection, read, differences)

    return test_cohort
