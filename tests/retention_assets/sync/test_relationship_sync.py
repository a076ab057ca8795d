"""Relationship streams: people related to objects, kept equal to a relation of pairs.

A spec with ``relationships`` makes each row a (person, object) pair with relationship
attributes: ``add_relationships`` for new pairs and changed attributes (only the changed
ones), ``delete_relationships`` for pairs that left the relation, but only for pairs this
pipeline's ledger shows it added. On both warehouses, into the sandbox over HTTP.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow as pa
import pytest

from asset_checks.sync_checks import stream_checks
from cio_sandbox.testing import SandboxHandle
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.specs import load_spec
from retention_assets.sync.sends import stream_assets
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import SyncHarness, metadata_of
from tests.warehouses import duckdb_only

SPEC = Path(__file__).parent / "membership" / "loyalty_members.yaml"
STREAM = SyncStream(load_spec(SPEC))
SEND = STREAM.send_key.to_user_string()
PLAN = STREAM.plan_key.to_user_string()
TYPE_ID = "4"
JOINED = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
COLUMNS = pa.schema(
    [
        ("customer_id", pa.string()),
        ("program_code", pa.string()),
        ("joined_at", pa.timestamp("us", tz="UTC")),
        ("tier", pa.string()),
        ("points", pa.int64()),
        ("note", pa.string()),
    ]
)


def put_members(harness: SyncHarness, rows: list[dict[str, Any]]) -> None:
    """Replace crm.loyalty_members with ``rows``."""
    with harness.warehouse.session() as session:
        session.execute("CREATE SCHEMA IF NOT EXISTS crm")
        session.execute(
            "CREATE OR REPLACE TABLE crm.loyalty_members (customer_id VARCHAR,"
            " program_code VARCHAR, joined_at TIMESTAMPTZ, tier VARCHAR, points BIGINT,"
            " note VARCHAR)"
        )
        session.insert_arrow("crm.loyalty_members", pa.Table.from_pylist(rows, schema=COLUMNS))


def member(customer_id: str, program: str, **values: Any) -> dict[str, Any]:
    row = {
        "customer_id": customer_id,
        "program_code": program,
        "joined_at": JOINED,
        "tier": "gold",
        "points": 10,
        "note": None,
    }
    return {**row, **values}


def sync(
    harness: SyncHarness,
    stream: SyncStream = STREAM,
    *,
    tags: dict[str, str] | None = None,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [dg.AssetSpec(stream.upstream), *stream_assets(stream), *stream_checks(stream)],
        selection=[stream.plan_key, stream.send_key],
        resources={"warehouse": harness.warehouse, "customerio": harness.customerio},
        instance=harness.instance,
        tags=tags,
        raise_on_error=raise_on_error,
    )


def relate_by_hand(sandbox: SandboxHandle, customer_id: str, program: str) -> None:
    """Someone in Customer.io relates a person to a program: not this pipeline's pair."""
    entry = {
        "type": "person",
        "identifiers": {"id": customer_id},
        "action": "add_relationships",
        "cio_relationships": [{"identifiers": {"object_type_id": TYPE_ID, "object_id": program}}],
    }
    response = httpx.post(f"{sandbox.url}/api/v2/entity", json=entry, auth=sandbox.track_auth)
    response.raise_for_status()


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_relationships_are_added_changed_per_field_and_removed(membership: SyncHarness) -> None:
    sandbox = membership.sandbox
    joined = int(JOINED.timestamp())
    put_members(
        membership,
        [member("c1", "gold"), member("c1", "silver", tier=None), member("c2", "gold")],
    )

    first = sync(membership)

    plan = metadata_of(first, PLAN)
    assert (plan["adds"], plan["changes"], plan["removals"]) == (3, 0, 0)
    sent = metadata_of(first, SEND)
    assert sent["accepted"] == sent["planned"] == 3
    assert sandbox.relationships() == {
        ("c1", TYPE_ID, "gold"): {"joined_at": joined, "tier": "gold", "points": 10},
        ("c1", TYPE_ID, "silver"): {"joined_at": joined, "points": 10},
        ("c2", TYPE_ID, "gold"): {"joined_at": joined, "tier": "gold", "points": 10},
    }

    # Nothing changed: no request at all.
    before = len(sandbox.requests())
    unchanged = metadata_of(sync(membership), SEND)
    assert unchanged["planned"] == unchanged["requests"] == 0
    assert len(sandbox.requests()) == before

    # Someone relates c3 to gold in Customer.io; the warehouse changes c1's points on gold,
    # clears c1's tier on gold (null policy clear), skips a null note, and c2 leaves gold.
    relate_by_hand(sandbox, "c3", "gold")
    put_members(
        membership,
        [member("c1", "gold", points=11, tier=None), member("c1", "silver", tier=None)],
    )
    before = len(sandbox.requests())
    changed = sync(membership)

    plan = metadata_of(changed, PLAN)
    assert (plan["adds"], plan["changes"], plan["removals"]) == (0, 1, 1)
    assert (plan["changed_attributes"], plan["cleared_attributes"]) == (1, 1)
    sent = metadata_of(changed, SEND)
    assert (sent["accepted"], sent["requests"]) == (2, 1)
    batches = [r for r in sandbox.requests()[before:] if r["path"] == "/api/v2/batch"]
    assert len(batches) == 1
    assert sandbox.relationships() == {
        ("c1", TYPE_ID, "gold"): {"joined_at": joined, "points": 11},
        ("c1", TYPE_ID, "silver"): {"joined_at": joined, "points": 10},
        # Added by hand, in no ledger: left alone.
        ("c3", TYPE_ID, "gold"): {},
    }
    assert membership.query(
        f"SELECT person_id, target_id, present FROM {STREAM.schema}.membership_ledger"
        " ORDER BY person_id, target_id"
    ) == [("c1", "gold", True), ("c1", "silver", True), ("c2", "gold", False)]

    # The hand-made pair leaves no trace in a plan, however often the sync runs.
    again = sync(membership)
    assert metadata_of(again, PLAN)["planned"] == 0
    assert ("c3", TYPE_ID, "gold") in sandbox.relationships()


def test_a_relationship_customer_io_refuses_is_a_rejected_row_and_the_rest_arrive(
    membership: SyncHarness,
) -> None:
    too_long = "x" * 151  # Customer.io's object ids are at most 150 bytes
    big_note = "n" * 40_000  # over the 32 KB a v2 entry may hold
    put_members(
        membership,
        [member("c1", "gold"), member("c2", too_long), member("c3", "gold", note=big_note)],
    )

    sent = metadata_of(sync(membership), SEND)

    assert (sent["accepted"], sent["rejected"]) == (1, 2)
    assert set(membership.sandbox.relationships()) == {("c1", TYPE_ID, "gold")}
    rejected = dict(
        membership.query(
            f"SELECT row_key, reason FROM {STREAM.schema}.rejected_rows WHERE resolved_at IS NULL"
        )
    )
    assert rejected == {
        f'["c2","{too_long}"]': "too_long",
        '["c3","gold"]': "entry_too_large",
    }
    assert membership.query(f"SELECT person_id FROM {STREAM.schema}.membership_ledger") == [("c1",)]


BIG_SPEC = """
version: 1
name: big_members
source:
  asset: crm/big_members
  relation: crm.big_members
  partitioning: {kind: snapshot}
workspace:
  site_id_env: CUSTOMERIO_SITE_ID
  track_key_env: CUSTOMERIO_API_KEY
  region_env: CUSTOMERIO_REGION
identity: {column: customer_id}
relationships:
  object_type: {id: 4}
  object_id: {column: program_code}
  attributes:
    - {column: a, kind: string}
    - {column: b, kind: string}
    - {column: c, kind: string}
    - {column: d, kind: string}
cadence: {cron: "0 4 * * *"}
"""


# DuckDB only: the limit is Customer.io's; the warehouse side is the per-field diff above.
@duckdb_only
def test_relationship_attributes_over_100_kb_in_total_are_a_rejected_row(
    membership: SyncHarness, tmp_path: Path
) -> None:
    """Each update fits an entry; the fourth would take the pair past Customer.io's 100 KB."""
    path = tmp_path / "big_members.yaml"
    path.write_text(BIG_SPEC)
    stream = SyncStream(load_spec(path))
    chunk = "v" * 30_000
    values: dict[str, str | None] = {"a": None, "b": None, "c": None, "d": None}
    for name in values:
        values[name] = chunk
        with membership.warehouse.session() as session:
            session.execute("CREATE SCHEMA IF NOT EXISTS crm")
            session.execute(
                "CREATE OR REPLACE TABLE crm.big_members (customer_id VARCHAR,"
                " program_code VARCHAR, a VARCHAR, b VARCHAR, c VARCHAR, d VARCHAR)"
            )
            session.insert_arrow(
                "crm.big_members",
                pa.Table.from_pylist(
                    [{"customer_id": "c1", "program_code": "gold", **values}],
                    schema=pa.schema(
                        [
                            (column, pa.string())
                            for column in ["customer_id", "program_code", *values]
                        ]
                    ),
                ),
            )
        sent = metadata_of(sync(membership, stream), stream.send_key.to_user_string())

    assert (sent["accepted"], sent["rejected"]) == (0, 1)
    assert set(membership.sandbox.relationships()[("c1", TYPE_ID, "gold")]) == {"a", "b", "c"}
    assert membership.query(
        f"SELECT row_key, reason, field FROM {stream.schema}.rejected_rows"
        " WHERE resolved_at IS NULL"
    ) == [('["c1","gold"]', "too_large", "cio_relationships[0].relationship_attributes")]


DAILY = (
    SPEC.read_text()
    .replace("    kind: snapshot\n", "    kind: daily_as_of\n    column: as_of_date\n")
    .replace("crm.loyalty_members", "crm.loyalty_members_daily")
)


def test_an_older_partition_never_removes_or_reverts_newer_state(
    membership: SyncHarness, tmp_path: Path
) -> None:
    path = tmp_path / "daily_members.yaml"
    path.write_text(DAILY)
    stream = SyncStream(load_spec(path))
    day1, day2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
    rows = [
        {**member("c1", "gold"), "as_of_date": day1},
        {**member("c2", "gold"), "as_of_date": day1},
        # Day 2: c1's points change, c2 leaves gold, c3 joins.
        {**member("c1", "gold", points=20), "as_of_date": day2},
        {**member("c3", "gold"), "as_of_date": day2},
    ]
    with membership.warehouse.session() as session:
        session.execute("CREATE SCHEMA IF NOT EXISTS crm")
        session.execute(
            "CREATE OR REPLACE TABLE crm.loyalty_members_daily (customer_id VARCHAR,"
            " program_code VARCHAR, joined_at TIMESTAMPTZ, tier VARCHAR, points BIGINT,"
            " note VARCHAR, as_of_date DATE)"
        )
        session.insert_arrow(
            "crm.loyalty_members_daily",
            pa.Table.from_pylist(rows, schema=COLUMNS.append(pa.field("as_of_date", pa.date32()))),
        )

    def run(day: dt.date) -> dict[str, Any]:
        tags = {RANGE_START_TAG: day.isoformat(), RANGE_END_TAG: day.isoformat()}
        return metadata_of(sync(membership, stream, tags=tags), stream.plan_key.to_user_string())

    run(day1)
    assert run(day2)["removals"] == 1
    # Day 1 again (a re-run, a backfill): older than what the ledger holds for every pair.
    again = run(day1)

    assert (again["adds"], again["changes"], again["removals"]) == (0, 0, 0)
    held = membership.sandbox.relationships()
    assert sorted(held) == [("c1", TYPE_ID, "gold"), ("c3", TYPE_ID, "gold")]
    assert held[("c1", TYPE_ID, "gold")]["points"] == 20


@duckdb_only
def test_two_shards_send_exactly_what_one_does(membership: SyncHarness) -> None:
    pairs = [member(f"c{i}", f"p{i % 3}", points=i) for i in range(60)]
    put_members(membership, pairs)

    result = dg.materialize(
        [dg.AssetSpec(STREAM.upstream), *stream_assets(STREAM, 2), *stream_checks(STREAM)],
        selection=[STREAM.plan_key, STREAM.send_key],
        resources={"warehouse": membership.warehouse, "customerio": membership.customerio},
        instance=membership.instance,
    )

    sent = metadata_of(result, SEND)
    assert (sent["shards"], sent["accepted"]) == (2, 60)
    assert sorted(membership.sandbox.relationships()) == sorted(
        (f"c{i}", TYPE_ID, f"p{i % 3}") for i in range(60)
    )
    # Then a removal from each shard's people, and nothing else.
    put_members(membership, pairs[2:])
    removed = dg.materialize(
        [dg.AssetSpec(STREAM.upstream), *stream_assets(STREAM, 2), *stream_checks(STREAM)],
        selection=[STREAM.plan_key, STREAM.send_key],
        resources={"warehouse": membership.warehouse, "customerio": membership.customerio},
        instance=membership.instance,
    )
    assert metadata_of(removed, SEND)["accepted"] == 2
    assert len(membership.sandbox.relationships()) == 58


def test_a_relation_listing_a_pair_twice_or_lacking_an_id_is_refused_with_nothing_sent(
    membership: SyncHarness,
) -> None:
    put_members(membership, [member("c1", "gold")])
    sync(membership)
    put_members(
        membership,
        [
            member("c1", "gold", points=1),
            member("c1", "gold", points=2),  # which points would win?
            member("c2", None),  # no object
            member(" ", "gold"),  # a blank person id
        ],
    )
    before = len(membership.sandbox.requests())

    result = sync(membership, raise_on_error=False)

    assert not result.success
    failure = next(
        e for e in result.all_events if e.event_type_value == "STEP_FAILURE"
    ).event_specific_data
    # The source's blocking check refuses it, naming each rule and its rows.
    assert (
        "loyalty_members__unique_pair: missing_customer_id (1 rows), missing_object_id (1 rows),"
        " duplicate_pair (2 rows)"
    ) in str(failure)
    assert len(membership.sandbox.requests()) == before
    assert membership.sandbox.relationships()[("c1", TYPE_ID, "gold")]["points"] == 10
    assert membership.query(f"SELECT count(*) FROM {STREAM.schema}.membership_plan") == [(0,)]
