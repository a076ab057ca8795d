"""People who leave the model, and erasure requests (docs/removals.md).

A profile sync's ``on_removed`` says what happens to a profile it wrote once the row is gone
from its source: ``keep`` (nothing), ``clear`` (its attributes nulled), ``delete`` or
``suppress``. An erasure stream suppresses the ids it lists, and no sync of the workspace
identifies or tracks them again. All end to end: real Dagster runs of the real assets and
checks, the warehouse (DuckDB, and Snowflake on fakesnow), the sandbox over HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow as pa
import pytest

from asset_checks.sync_checks import stream_checks
from cio_sandbox.testing import SandboxHandle
from resources.warehouse import WarehouseResource
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.specs import SpecInvalid, load_spec
from retention_assets.sync.policies import ALLOW_VOLUME_TAG
from retention_assets.sync.sends import stream_assets
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import NO_FAULTS, SyncHarness, fault_suite, metadata_of
from tests.retention_assets.sync.killed_sync import kill_mid_sync
from tests.warehouses import duckdb_only

HERE = Path(__file__).parent / "removals"
MEMBERS = HERE / "members.yaml"
ERASURES = HERE / "erasure_requests.yaml"
EVENTS = HERE / "member_events.yaml"
OCCURRED = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
MEMBER_COLUMNS = pa.schema(
    [("member_id", pa.string()), ("tier", pa.string()), ("points", pa.int64())]
)
DAILY_COLUMNS = pa.schema([*MEMBER_COLUMNS, ("as_of", pa.date32())])


def _spec(tmp_path: Path, source: Path, **replace: str) -> Path:
    """A copy of the spec ``source`` with text replaced (e.g. another on_removed)."""
    text = source.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / source.name
    path.write_text(text)
    return path


def _members_spec(tmp_path: Path, policy: str, extra: str = "") -> Path:
    return _spec(tmp_path, MEMBERS, **{"on_removed: delete": f"on_removed: {policy}{extra}"})


def _table(harness: SyncHarness, relation: str, ddl: str, rows: list[dict], schema: pa.Schema):
    with harness.warehouse.session() as session:
        session.execute(f"CREATE SCHEMA IF NOT EXISTS {relation.split('.')[0]}")
        session.execute(f"CREATE OR REPLACE TABLE {relation} ({ddl})")
        if rows:
            session.insert_arrow(relation, pa.Table.from_pylist(rows, schema=schema))


def _members(harness: SyncHarness, ids: list[str], points: int = 10) -> None:
    """Replace crm.members with one row per id."""
    rows = [{"member_id": i, "tier": "gold", "points": points} for i in ids]
    ddl = "member_id VARCHAR, tier VARCHAR, points BIGINT"
    _table(harness, "crm.members", ddl, rows, MEMBER_COLUMNS)


def _erasures(harness: SyncHarness, ids: list[str]) -> None:
    requested = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    rows = [{"customer_id": i, "requested_at": requested} for i in ids]
    schema = pa.schema([("customer_id", pa.string()), ("requested_at", pa.timestamp("us", "UTC"))])
    ddl = "customer_id VARCHAR, requested_at TIMESTAMPTZ"
    _table(harness, "privacy.erasure_requests", ddl, rows, schema)


def _events(harness: SyncHarness, rows: list[tuple[str, str]]) -> None:
    """Replace crm.member_events with ``(event_id, member_id)`` rows."""
    schema = pa.schema(
        [
            ("event_id", pa.string()),
            ("member_id", pa.string()),
            ("occurred_at", pa.timestamp("us", "UTC")),
            ("points", pa.int64()),
        ]
    )
    listed = [
        {"event_id": key, "member_id": member, "occurred_at": OCCURRED, "points": 5}
        for key, member in rows
    ]
    ddl = "event_id VARCHAR, member_id VARCHAR, occurred_at TIMESTAMPTZ, points BIGINT"
    _table(harness, "crm.member_events", ddl, listed, schema)


def _sync(
    harness: SyncHarness,
    specs: list[Path],
    run: Path,
    *,
    tags: dict[str, str] | None = None,
    raise_on_error: bool = True,
    shards: int = 1,
) -> dg.ExecuteInProcessResult:
    """Run the plan and send of the sync ``run``, with every sync of ``specs`` defined."""
    streams = [SyncStream(load_spec(path)) for path in specs]
    chosen = next(stream for stream in streams if Path(str(stream.spec.path)) == run)
    return dg.materialize(
        [
            *(dg.AssetSpec(stream.upstream) for stream in streams),
            *(asset for stream in streams for asset in stream_assets(stream, shards)),
            *(check for stream in streams for check in stream_checks(stream)),
        ],
        selection=[chosen.plan_key, chosen.send_key],
        resources={"warehouse": harness.warehouse, "customerio": harness.customerio},
        instance=harness.instance,
        tags=tags,
        raise_on_error=raise_on_error,
    )


def _plan(result: dg.ExecuteInProcessResult, name: str) -> dict[str, Any]:
    return metadata_of(result, f"cio_sync/{name}_plan")


def _send(result: dg.ExecuteInProcessResult, name: str) -> dict[str, Any]:
    return metadata_of(result, f"cio_sync/{name}")


def _identify_by_hand(sandbox: SandboxHandle, person: str, **attributes: Any) -> None:
    """Another writer (a person in Customer.io, a form) sets attributes on a profile."""
    entry = {
        "type": "person",
        "identifiers": {"id": person},
        "action": "identify",
        "attributes": attributes,
    }
    response = httpx.post(f"{sandbox.url}/api/v2/entity", json=entry, auth=sandbox.track_auth)
    response.raise_for_status()


def _writes(sandbox: SandboxHandle) -> int:
    """Track API writes the sandbox received (the drift check's App API reads excluded)."""
    return sum(1 for request in sandbox.requests() if request["path"].startswith("/api/v2/"))


def _suppressed_ids(sandbox: SandboxHandle) -> set[str]:
    return {record["identifiers"].get("id") for record in sandbox.suppressions()}


@pytest.fixture
def members(make_warehouse: Callable[[], WarehouseResource], sandbox: SandboxHandle) -> SyncHarness:
    sandbox.reset()
    sandbox.configure(**NO_FAULTS)
    return SyncHarness(make_warehouse(), sandbox)


# On Snowflake (fakesnow) the other removal cases send every statement these do.
@pytest.mark.duckdb_only
@pytest.mark.parametrize("policy", ["keep", "clear", "delete", "suppress"])
def test_a_person_who_leaves_the_source_is_kept_cleared_deleted_or_suppressed(
    members: SyncHarness, tmp_path: Path, policy: str
) -> None:
    sandbox = members.sandbox
    spec = _members_spec(tmp_path, policy)
    _identify_by_hand(sandbox, "stranger", nickname="never synced by us")
    _members(members, ["m1", "m2"])
    _sync(members, [spec], spec)
    _identify_by_hand(sandbox, "m2", nickname="set in Customer.io")
    assert sandbox.people()["m2"] == {
        "tier": "gold",
        "points": 10,
        "nickname": "set in Customer.io",
    }

    _members(members, ["m1"])  # m2 left the club
    before = _writes(sandbox)
    result = _sync(members, [spec], spec)

    plan, send = _plan(result, "members"), _send(result, "members")
    people = sandbox.people()
    # Never a person this pipeline did not write; never m1, still in the source.
    assert people["stranger"] == {"nickname": "never synced by us"}
    assert people["m1"] == {"tier": "gold", "points": 10}
    assert plan["on_removed"] == policy
    if policy == "keep":
        assert plan["planned_removals"] == 0 and send["requests"] == 0
        assert _writes(sandbox) == before
        assert people["m2"]["tier"] == "gold"
        return
    # The plan shows the removal before anything is sent.
    assert plan["planned_removals"] == 1
    assert plan[f"removals_{policy}"] == 1
    assert f"{policy} m2" in plan["removal_sample"]
    by_action = {r.data["action"]: r.data["profiles"] for r in plan["removals_by_action"].records}
    assert by_action == {"clear": 0, "delete": 0, "suppress": 0, policy: 1}
    assert (send["removals_sent"], send["accepted"], send["requests"]) == (1, 1, 1)
    if policy == "clear":
        # Our attributes are gone, the one set by hand stays; the ledger shows them cleared.
        assert people["m2"] == {"nickname": "set in Customer.io"}
        assert members.query(
            "SELECT attribute, value_hash FROM cio_members.attribute_ledger"
            " WHERE customer_id = 'm2' ORDER BY attribute"
        ) == [("points", None), ("tier", None)]
    else:
        assert "m2" not in people
        assert members.query("SELECT count(*) FROM cio_members.customer_ledger") == [(1,)]
    assert _suppressed_ids(sandbox) == ({"m2"} if policy == "suppress" else set())
    assert members.query("SELECT customer_id, action FROM cio_members.removal_ledger") == [
        ("m2", policy)
    ]

    # Removed once: the next run sends nothing.
    again = _sync(members, [spec], spec)
    assert _plan(again, "members")["planned_removals"] == 0
    assert _send(again, "members")["requests"] == 0


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
@pytest.mark.parametrize("policy", ["clear", "delete", "suppress"])
def test_a_removed_person_who_comes_back(members: SyncHarness, tmp_path: Path, policy: str) -> None:
    """Cleared: sent whole again. Deleted: re-created, a new profile. Suppressed: reported as
    a rejected row, never sent."""
    sandbox = members.sandbox
    spec = _members_spec(tmp_path, policy)
    _members(members, ["m1", "m2"])
    _sync(members, [spec], spec)
    _members(members, ["m1"])
    _sync(members, [spec], spec)

    _members(members, ["m1", "m2"])
    result = _sync(members, [spec], spec)

    plan, send = _plan(result, "members"), _send(result, "members")
    if policy == "suppress":
        assert (plan["planned_profiles"], plan["suppressed_rows"], send["requests"]) == (0, 1, 0)
        assert "m2" not in sandbox.people()
        assert members.query(
            "SELECT row_key, reason FROM cio_members.rejected_rows WHERE resolved_at IS NULL"
        ) == [("m2", "suppressed")]
        return
    assert plan["new_profiles"] == (1 if policy == "delete" else 0)
    assert plan["planned_profiles"] == 1
    assert sandbox.people()["m2"] == {"tier": "gold", "points": 10}
    assert members.query("SELECT count(*) FROM cio_members.removal_ledger") == [(0,)]
    # It can leave again, and is removed again.
    _members(members, ["m1"])
    assert _plan(_sync(members, [spec], spec), "members")["planned_removals"] == 1


@duckdb_only
def test_shards_split_the_removals_and_together_send_each_once(
    members: SyncHarness, tmp_path: Path
) -> None:
    spec = _members_spec(tmp_path, "delete")
    everyone = [f"m{i:02}" for i in range(40)]
    _members(members, everyone)
    _sync(members, [spec], spec, shards=2)
    _members(members, everyone[:20])

    send = _send(_sync(members, [spec], spec, shards=2), "members")

    assert (send["shards"], send["removals_sent"], send["accepted"]) == (2, 20, 20)
    planned = [row.data["planned"] for row in send["shard_reports"].records]
    assert all(count > 0 for count in planned) and sum(planned) == 20
    assert sorted(members.sandbox.people()) == everyone[:20]


OBJECTS = Path(__file__).parent / "object_stream" / "loyalty_programs.yaml"


@duckdb_only
@pytest.mark.parametrize("policy", ["clear", "delete"])
def test_an_object_that_leaves_the_source_is_cleared_or_deleted(
    members: SyncHarness, tmp_path: Path, policy: str
) -> None:
    spec = tmp_path / OBJECTS.name
    spec.write_text(OBJECTS.read_text() + f"on_removed: {policy}\n")
    schema = pa.schema([("program_code", pa.string()), ("program_name", pa.string())])
    ddl = (
        "program_code VARCHAR, program_name VARCHAR, member_count BIGINT,"
        " launched_at TIMESTAMPTZ, perk VARCHAR"
    )

    def programs(codes: list[str]) -> None:
        rows = [{"program_code": code, "program_name": code.title()} for code in codes]
        _table(members, "crm.loyalty_programs", ddl, rows, schema)

    programs(["gold", "silver"])
    _sync(members, [spec], spec)
    programs(["gold"])

    send = _send(_sync(members, [spec], spec), "loyalty_programs")

    objects = members.sandbox.objects()
    assert send["removals_sent"] == 1
    assert objects[("4", "gold")] == {"name": "Gold"}
    if policy == "delete":
        assert ("4", "silver") not in objects
    else:
        assert objects[("4", "silver")] == {}
    assert members.sandbox.people() == {}


def test_a_mass_removal_is_blocked_by_the_volume_guard_until_allowed(
    members: SyncHarness, tmp_path: Path
) -> None:
    sandbox = members.sandbox
    spec = _members_spec(tmp_path, "delete")
    everyone = [f"m{i:03}" for i in range(150)]
    _members(members, everyone)
    _sync(members, [spec], spec)

    # A broken model keeps 10 members: 140 removals > max(100, 5% of 150).
    _members(members, everyone[:10])
    before = _writes(sandbox)
    blocked = _sync(members, [spec], spec, raise_on_error=False)

    assert not blocked.success
    guard = next(
        evaluation
        for evaluation in blocked.get_asset_check_evaluations()
        if evaluation.check_name == "volume_guard"
    )
    assert not guard.passed
    assert "planned_removals 140 > 100" in str(guard.metadata["verdict"].value)
    assert _writes(sandbox) == before
    assert len(sandbox.people()) == 150
    assert members.query("SELECT count(*) FROM cio_members.removals_plan") == [(0,)]

    allowed = _sync(members, [spec], spec, tags={ALLOW_VOLUME_TAG: "true"})

    assert _send(allowed, "members")["removals_sent"] == 140
    assert sorted(sandbox.people()) == everyone[:10]


def _daily(harness: SyncHarness, rows: list[tuple[str, dt.date]]) -> None:
    listed = [{"member_id": m, "tier": "gold", "points": 10, "as_of": day} for m, day in rows]
    ddl = "member_id VARCHAR, tier VARCHAR, points BIGINT, as_of DATE"
    _table(harness, "crm.members", ddl, listed, DAILY_COLUMNS)


def _day(day: dt.date) -> dict[str, str]:
    return {RANGE_START_TAG: day.isoformat(), RANGE_END_TAG: day.isoformat()}


@duckdb_only
def test_a_backfill_of_an_older_day_never_removes_anyone(
    members: SyncHarness, tmp_path: Path
) -> None:
    spec = _spec(
        tmp_path,
        MEMBERS,
        **{"kind: snapshot": "kind: daily_as_of\n    column: as_of"},
    )
    day1, day2, day3 = (dt.date(2026, 11, d) for d in (1, 2, 3))
    # m2 joined on day 2; m3 left on day 3.
    _daily(
        members,
        [("m1", day1), ("m3", day1), ("m1", day2), ("m2", day2), ("m3", day2), ("m1", day3)],
    )
    _sync(members, [spec], spec, tags=_day(day2))
    assert sorted(members.sandbox.people()) == ["m1", "m2", "m3"]

    # Backfilling day 1, where m2 is absent: an older day than the ledger's never removes.
    backfill = _sync(members, [spec], spec, tags={**_day(day1), "dagster/backfill": "b1"})
    assert _plan(backfill, "members")["planned_removals"] == 0
    assert sorted(members.sandbox.people()) == ["m1", "m2", "m3"]
    # A day the model has not built yet (no rows) removes nobody either.
    empty = _sync(members, [spec], spec, tags=_day(dt.date(2026, 11, 4)))
    assert _plan(empty, "members")["planned_removals"] == 0

    latest = _sync(members, [spec], spec, tags=_day(day3))
    assert _plan(latest, "members")["removals_delete"] == 2
    assert sorted(members.sandbox.people()) == ["m1"]


def test_an_erased_customer_is_suppressed_and_never_sent_again_by_any_sync(
    members: SyncHarness, tmp_path: Path
) -> None:
    sandbox = members.sandbox
    specs = [MEMBERS, ERASURES, EVENTS]
    _members(members, ["m1", "m2"])
    _events(members, [("e1", "m1"), ("e2", "m2")])
    _sync(members, specs, MEMBERS)
    _sync(members, specs, EVENTS)
    assert len(sandbox.events()) == 2

    _erasures(members, ["m2", "m2", "nobody-yet"])  # a request repeated, one for a stranger
    erased = _sync(members, specs, ERASURES)

    plan = _plan(erased, "erasure_requests")
    assert (plan["planned_removals"], plan["removals_suppress"]) == (2, 2)
    assert _send(erased, "erasure_requests")["accepted"] == 2
    assert "m2" not in sandbox.people()
    assert _suppressed_ids(sandbox) == {"m2", "nobody-yet"}
    assert members.query(
        "SELECT customer_id, reason, stream, requested_at IS NOT NULL"
        " FROM cio_suppressions.default ORDER BY customer_id"
    ) == [
        ("m2", "erased", "erasure_requests", True),
        ("nobody-yet", "erased", "erasure_requests", True),
    ]

    # m2 is still in the members model and earns points: neither sync sends it again.
    _members(members, ["m1", "m2"], points=20)
    _events(members, [("e1", "m1"), ("e2", "m2"), ("e3", "m2"), ("e4", "m1")])
    before = sandbox.stats()["suppressed_ignored"]
    profiles = _sync(members, specs, MEMBERS)
    events = _sync(members, specs, EVENTS)

    assert _plan(profiles, "members")["suppressed_rows"] == 1
    assert _plan(profiles, "members")["planned_removals"] == 0  # tombstoned, not removed
    assert _send(profiles, "members")["accepted"] == 1  # m1's new points only
    assert _plan(events, "member_events")["suppressed_events"] == 2
    assert _send(events, "member_events")["accepted"] == 1  # e4
    # The test cohort draws nobody erased: their absence from Customer.io is the point.
    cohort = next(e for e in events.get_asset_check_evaluations() if e.check_name == "test_cohort")
    assert cohort.passed, cohort.metadata.get("by_customer")
    assert sandbox.stats()["suppressed_ignored"] == before  # nothing even reached Customer.io
    assert "m2" not in sandbox.people()
    assert members.query(
        "SELECT row_key, reason FROM cio_members.rejected_rows WHERE resolved_at IS NULL"
    ) == [("m2", "erased")]
    assert members.query(
        "SELECT row_key, reason FROM cio_member_events.rejected_rows"
        " WHERE resolved_at IS NULL ORDER BY row_key"
    ) == [("e2", "erased"), ("e3", "erased")]
    # The members ledger tombstoned m2 (deleted by the suppress), so it is not removed twice.
    assert members.query("SELECT customer_id, action FROM cio_members.removal_ledger") == [
        ("m2", "suppress")
    ]
    # The erasure stream sends nothing more: its requests are all in force.
    assert _send(_sync(members, specs, ERASURES), "erasure_requests")["requests"] == 0


def test_a_mass_erasure_is_blocked_even_on_the_first_run(
    members: SyncHarness, tmp_path: Path
) -> None:
    """A broken erasure relation (every customer) must not suppress a workspace: no initial
    import passes an erasure stream's guard."""
    _erasures(members, [f"c{i}" for i in range(101)])

    result = _sync(members, [ERASURES], ERASURES, raise_on_error=False)

    assert not result.success
    assert members.sandbox.suppressions() == []


@duckdb_only
def test_an_erasure_relation_without_its_requested_at_column_is_refused(
    members: SyncHarness,
) -> None:
    _table(members, "privacy.erasure_requests", "customer_id VARCHAR", [], pa.schema([]))

    result = _sync(members, [ERASURES], ERASURES, raise_on_error=False)

    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "erasure.requested_at" in str(failure.event_specific_data)
    assert members.sandbox.suppressions() == []


@duckdb_only
def test_kill_minus_nine_mid_removal_send_then_rerun_is_exact(
    members: SyncHarness, tmp_path: Path
) -> None:
    count = 600
    spec = _members_spec(tmp_path, "delete", "\nguards:\n  volume:\n    removals_floor: 100000")
    everyone = [f"m{i:04}" for i in range(count)]
    _members(members, everyone)
    _sync(members, [spec], spec)
    _members(members, ["keeper"])  # one row stays, so the snapshot is not empty
    accepted = members.sandbox.stats()["entries_accepted"]
    kill_mid_sync(
        members,
        None,
        None,
        lambda: members.sandbox.stats()["entries_accepted"] >= accepted + 200,
        specs=[spec],
        max_rps=2,
        entries_per_batch=20,
        timeout_seconds=60,
    )
    deleted = members.sandbox.stats()["entries_accepted"] - accepted
    assert 0 < deleted < count + 1

    resumed = _send(_sync(members, [spec], spec), "members")

    assert sorted(members.sandbox.people()) == ["keeper"]
    # What the killed run got acknowledged and flushed is not sent again.
    assert resumed["removals_sent"] < count
    assert members.query("SELECT count(*), min(action) FROM cio_members.removal_ledger") == [
        (count, "delete")
    ]
    again = _send(_sync(members, [spec], spec), "members")
    assert again["planned"] == again["requests"] == 0


def _erasures_spec(tmp_path: Path) -> Path:
    """The erasure spec with a volume guard that lets a few hundred requests through."""
    path = _spec(tmp_path, ERASURES)
    path.write_text(path.read_text() + "guards:\n  volume:\n    removals_floor: 100000\n")
    return path


@duckdb_only
def test_kill_minus_nine_mid_erasure_send_then_rerun_is_exact(
    members: SyncHarness, tmp_path: Path
) -> None:
    count = 600
    spec = _erasures_spec(tmp_path)
    requested = [f"e{i:04}" for i in range(count)]
    _erasures(members, requested)
    kill_mid_sync(
        members,
        None,
        None,
        lambda: members.sandbox.stats()["entries_accepted"] >= 200,
        specs=[spec],
        max_rps=2,
        entries_per_batch=20,
        timeout_seconds=60,
    )
    killed_at = len(_suppressed_ids(members.sandbox))
    assert 0 < killed_at < count

    resumed = _send(_sync(members, [spec], spec), "erasure_requests")

    assert _suppressed_ids(members.sandbox) == set(requested)
    # What the killed run got acknowledged and flushed is not sent again.
    assert resumed["removals_sent"] < count
    assert members.query(
        "SELECT count(*), min(reason) FROM cio_suppressions.default"
        " WHERE stream = 'erasure_requests'"
    ) == [(count, "erased")]
    again = _send(_sync(members, [spec], spec), "erasure_requests")
    assert again["planned"] == again["requests"] == 0


FAULTS = fault_suite(seed=7)


@pytest.mark.duckdb_only  # the faults are the client's; the warehouse SQL is the sends' above
def test_removals_under_faults_converge(members: SyncHarness, tmp_path: Path) -> None:
    sandbox = members.sandbox
    spec = _members_spec(tmp_path, "suppress", "\nguards:\n  volume:\n    removals_floor: 1000")
    everyone = [f"m{i:03}" for i in range(200)]
    _members(members, everyone)
    members.customerio = members.customerio_resource(max_entries_per_batch=10)
    sandbox.configure(**FAULTS)
    _sync(members, [spec], spec)
    # Only people the ledger shows written are removed: let every identify arrive first.
    sandbox.configure(**NO_FAULTS)
    _sync(members, [spec], spec)
    assert len(sandbox.people()) == 200
    _members(members, everyone[:50])
    sandbox.configure(**FAULTS)

    faulty = _send(_sync(members, [spec], spec), "members")
    assert faulty["retries"] > 0

    sandbox.configure(entry_reject_rate=0.0)
    for _ in range(3):  # the identifies and removals refused above are retried
        last = _send(_sync(members, [spec], spec), "members")
    sandbox.configure(**NO_FAULTS)

    assert sorted(sandbox.people()) == everyone[:50]
    assert _suppressed_ids(sandbox) == set(everyone[50:])
    assert members.query("SELECT count(*) FROM cio_members.removal_ledger") == [(150,)]
    assert members.query(
        "SELECT count(*) FROM cio_members.rejected_rows WHERE resolved_at IS NULL"
    ) == [(0,)]
    assert last["requests"] == 0


def _refused(tmp_path: Path, source: Path, append: str = "", **replace: str) -> str:
    path = _spec(tmp_path, source, **replace) if replace else tmp_path / source.name
    if not replace:
        path.write_text(source.read_text())
    path.write_text(path.read_text() + append)
    with pytest.raises(SpecInvalid) as caught:
        load_spec(path)
    return str(caught.value)


def test_on_removed_on_an_event_stream_is_refused_naming_the_line(tmp_path: Path) -> None:
    message = _refused(tmp_path, EVENTS, "on_removed: delete\n")
    line = len(EVENTS.read_text().splitlines()) + 1
    assert f"member_events.yaml:{line}: on_removed: an event stream has no profiles" in message


def test_objects_cannot_be_suppressed(tmp_path: Path) -> None:
    message = _refused(tmp_path, MEMBERS, "object_type:\n  id: 4\n", **{"delete": "suppress"})
    assert "on_removed: only people can be suppressed" in message


def test_an_erasure_stream_writes_no_attributes_and_is_a_snapshot(tmp_path: Path) -> None:
    message = _refused(
        tmp_path,
        ERASURES,
        "attributes:\n  - {column: email, kind: string}\n",
        **{"kind: snapshot": "kind: daily_as_of\n    column: day"},
    )
    assert "attributes: an erasure stream only names people to erase" in message
    assert "source.partitioning.kind: an erasure relation is read whole" in message


@duckdb_only
@pytest.mark.parametrize("policy", ["delete", "suppress"])
def test_the_test_cohort_does_not_miss_a_person_the_sync_removed(
    members: SyncHarness, tmp_path: Path, policy: str
) -> None:
    # The cohort's random sample is drawn from what the sync wrote; a person it deleted or
    # suppressed on purpose is not "missing" from Customer.io.
    spec = _members_spec(tmp_path, policy)
    _members(members, ["m1", "m2"])
    _sync(members, [spec], spec)
    _members(members, ["m1"])

    result = _sync(members, [spec], spec)

    cohort = next(e for e in result.get_asset_check_evaluations() if e.check_name == "test_cohort")
    assert cohort.passed, cohort.metadata.get("by_customer")
    assert cohort.metadata["customers_read"].value == 1


@pytest.mark.duckdb_only  # the faults are the client's; the warehouse SQL is the sends' above
def test_erasures_under_faults_converge_each_suppressed_once(
    members: SyncHarness, tmp_path: Path
) -> None:
    sandbox = members.sandbox
    spec = _erasures_spec(tmp_path)
    requested = [f"e{i:03}" for i in range(200)]
    _erasures(members, requested)
    members.customerio = members.customerio_resource(max_entries_per_batch=10)
    sandbox.configure(**FAULTS)

    faulty = _send(_sync(members, [spec], spec), "erasure_requests")

    assert faulty["retries"] > 0
    sandbox.configure(**NO_FAULTS)
    last = _send(_sync(members, [spec], spec), "erasure_requests")
    assert _suppressed_ids(sandbox) == set(requested)
    assert members.query(
        "SELECT count(*) FROM cio_suppressions.default WHERE stream = 'erasure_requests'"
    ) == [(200,)]
    assert members.query(
        "SELECT count(*) FROM cio_erasure_requests.rejected_rows WHERE resolved_at IS NULL"
    ) == [(0,)]
    again = _send(_sync(members, [spec], spec), "erasure_requests")
    assert again["planned"] == again["requests"] == 0
    assert last["accepted"] + faulty["accepted"] >= 200
