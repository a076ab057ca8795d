"""Manual segment streams: a segment's members kept equal to a relation of people.

The spec names the segment by name: the first send that has something to do finds it through
the App API, or creates it, then adds and removes members by ``add_customers`` /
``remove_customers`` requests of up to 1,000 ids, removing only people this pipeline added.
An id Customer.io does not know is ignored by it with a 200: the send reads the segment back
and records such ids as rejected rows, never as members.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import httpx
import pyarrow as pa

from asset_checks.sync_checks import stream_checks
from cio_sandbox.testing import SandboxHandle
from retention_assets.specs import load_spec
from retention_assets.sync.policies import ALLOW_VOLUME_TAG
from retention_assets.sync.sends import stream_assets
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import SyncHarness, metadata_of
from tests.warehouses import duckdb_only

SPEC = Path(__file__).parent / "membership" / "vip_audience.yaml"
STREAM = SyncStream(load_spec(SPEC))
SEND = STREAM.send_key.to_user_string()
PLAN = STREAM.plan_key.to_user_string()
SEGMENT = "VIP customers"


def put_audience(harness: SyncHarness, ids: Sequence[str]) -> None:
    """Replace crm.vip_audience with these customer ids."""
    with harness.warehouse.session() as session:
        session.execute("CREATE SCHEMA IF NOT EXISTS crm")
        session.execute("CREATE OR REPLACE TABLE crm.vip_audience (customer_id VARCHAR)")
        session.insert_arrow(
            "crm.vip_audience", pa.table({"customer_id": pa.array(list(ids), pa.string())})
        )


def identify(sandbox: SandboxHandle, ids: Sequence[str]) -> None:
    """People Customer.io knows (a profile sync would have created them)."""
    for start in range(0, len(ids), 1000):
        batch = [
            {"type": "person", "identifiers": {"id": i}, "action": "identify", "attributes": {}}
            for i in ids[start : start + 1000]
        ]
        response = httpx.post(
            f"{sandbox.url}/api/v2/batch", json={"batch": batch}, auth=sandbox.track_auth
        )
        response.raise_for_status()


def add_by_hand(sandbox: SandboxHandle, segment_id: int, ids: Sequence[str]) -> None:
    response = httpx.post(
        f"{sandbox.url}/api/v1/segments/{segment_id}/add_customers",
        json={"ids": list(ids)},
        auth=sandbox.track_auth,
    )
    response.raise_for_status()


def segment_id(sandbox: SandboxHandle) -> int:
    listing = httpx.get(f"{sandbox.url}/v1/segments", headers=sandbox.app_headers).json()
    return next(int(s["id"]) for s in listing["segments"] if s["name"] == SEGMENT)


def membership_requests(sandbox: SandboxHandle, since: int = 0) -> list[str]:
    return [
        r["path"].rsplit("/", 1)[-1]
        for r in sandbox.requests()[since:]
        if r["path"].startswith("/api/v1/segments/")
    ]


def sync(
    harness: SyncHarness,
    *,
    tags: dict[str, str] | None = None,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [dg.AssetSpec(STREAM.upstream), *stream_assets(STREAM), *stream_checks(STREAM)],
        selection=[STREAM.plan_key, STREAM.send_key],
        resources={"warehouse": harness.warehouse, "customerio": harness.customerio},
        instance=harness.instance,
        tags=tags,
        raise_on_error=raise_on_error,
    )


def _ids(first: int, last: int) -> list[str]:
    return [f"c{i:05}" for i in range(first, last)]


# DuckDB only: thousands of members cost a minute on fakesnow; the same SQL runs there
# in the other membership tests.
@duckdb_only
def test_the_segment_equals_its_relation_after_adds_and_removals(membership: SyncHarness) -> None:
    sandbox = membership.sandbox
    identify(sandbox, _ids(0, 1_600))
    put_audience(membership, _ids(0, 1_500))

    first = sync(membership)

    # Created by name, then 1,500 members in two requests of at most 1,000 ids.
    adds, accepted = metadata_of(first, PLAN)["adds"], metadata_of(first, SEND)["accepted"]
    assert (adds, accepted) == (1_500, 1_500)
    assert membership_requests(sandbox) == ["add_customers", "add_customers"]
    assert sorted(sandbox.segments()[SEGMENT]) == _ids(0, 1_500)
    created = [r for r in sandbox.requests() if r["path"] == "/v1/segments"]
    assert [r["method"] for r in created] == ["GET", "POST"]

    # A marketer adds two people by hand; 50 people leave the relation, 30 join.
    add_by_hand(sandbox, segment_id(sandbox), ["c01550", "c01551"])
    put_audience(membership, _ids(50, 1_530))
    before = len(sandbox.requests())

    changed = sync(membership)

    plan = metadata_of(changed, PLAN)
    assert (plan["adds"], plan["removals"], plan["synced_pairs"]) == (30, 50, 1_500)
    assert sorted(membership_requests(sandbox, before)) == ["add_customers", "remove_customers"]
    assert sorted(sandbox.segments()[SEGMENT]) == sorted([*_ids(50, 1_530), "c01550", "c01551"])

    # Nothing changed: not one request (no lookup, no credential check).
    before = len(sandbox.requests())
    again = sync(membership)
    assert metadata_of(again, SEND)["planned"] == 0
    assert len(sandbox.requests()) == before


def test_an_id_customer_io_does_not_know_is_a_rejected_row_not_a_member(
    membership: SyncHarness,
) -> None:
    identify(membership.sandbox, ["c1", "c2"])
    put_audience(membership, ["c1", "c2", "ghost"])

    first = metadata_of(sync(membership), SEND)

    assert first["accepted"] == 3  # Customer.io answered 200 for all three
    assert sorted(membership.sandbox.segments()[SEGMENT]) == ["c1", "c2"]
    assert membership.query(
        f"SELECT person_id FROM {STREAM.schema}.membership_ledger ORDER BY person_id"
    ) == [("c1",), ("c2",)]
    assert membership.query(
        f"SELECT row_key, reason FROM {STREAM.schema}.rejected_rows WHERE resolved_at IS NULL"
    ) == [("ghost", "unknown_person")]

    # Once Customer.io knows the person, the next run adds them and resolves the rejection.
    identify(membership.sandbox, ["ghost"])
    second = metadata_of(sync(membership), SEND)
    assert (second["planned"], second["accepted"]) == (1, 1)
    assert "ghost" in membership.sandbox.segments()[SEGMENT]
    assert membership.query(
        f"SELECT count(*) FROM {STREAM.schema}.rejected_rows WHERE resolved_at IS NULL"
    ) == [(0,)]


# DuckDB only: thousands of members cost a minute on fakesnow; the same SQL runs there
# in the other membership tests.
@duckdb_only
def test_a_mass_removal_is_blocked_with_nothing_sent_until_allowed(membership: SyncHarness) -> None:
    sandbox = membership.sandbox
    identify(sandbox, _ids(0, 300))
    put_audience(membership, _ids(0, 300))
    sync(membership)
    # The model comes out nearly empty: 250 of 300 members would leave.
    put_audience(membership, _ids(0, 50))
    before = len(sandbox.requests())

    blocked = sync(membership, raise_on_error=False)

    guard = next(e for e in blocked.get_asset_check_evaluations() if e.check_name == "volume_guard")
    assert not guard.passed
    assert "removals 250 > 100" in str(guard.metadata["verdict"].value)
    assert membership_requests(sandbox, before) == []
    assert len(sandbox.segments()[SEGMENT]) == 300
    assert membership.query(f"SELECT count(*) FROM {STREAM.schema}.membership_plan") == [(0,)]

    allowed = sync(membership, tags={ALLOW_VOLUME_TAG: "true"})

    assert metadata_of(allowed, SEND)["accepted"] == 250
    assert sorted(sandbox.segments()[SEGMENT]) == _ids(0, 50)
    assert membership.query(
        f"SELECT count(*) FROM {STREAM.schema}.membership_ledger WHERE present"
    ) == [(50,)]


def test_a_segment_named_by_id_needs_no_app_api_call(
    membership: SyncHarness, tmp_path: Path
) -> None:
    sandbox = membership.sandbox
    made = httpx.post(
        f"{sandbox.url}/v1/segments",
        json={"segment": {"name": "Made by hand"}},
        headers=sandbox.app_headers,
    ).json()["segment"]
    path = tmp_path / "by_id.yaml"
    path.write_text(
        SPEC.read_text()
        .replace("  name: VIP customers\n", f"  id: {made['id']}\n")
        .replace("name: vip_audience", "name: vip_by_id")
    )
    stream = SyncStream(load_spec(path))
    identify(sandbox, ["c1", "c2"])
    put_audience(membership, ["c1", "c2"])
    before = len(sandbox.requests())

    result = dg.materialize(
        [dg.AssetSpec(stream.upstream), *stream_assets(stream), *stream_checks(stream)],
        selection=[stream.plan_key, stream.send_key],
        resources={
            "warehouse": membership.warehouse,
            "customerio": membership.customerio_resource(app_api_key=None),
        },
        instance=membership.instance,
    )

    assert metadata_of(result, stream.send_key.to_user_string())["accepted"] == 2
    assert sorted(sandbox.segments()["Made by hand"]) == ["c1", "c2"]
    paths = [r["path"] for r in sandbox.requests()[before:]]
    assert not [p for p in paths if p.startswith("/v1/")]
