"""Object streams: a relation of Customer.io objects synced like profiles, per field.

A spec with ``object_type`` makes each row an object of that type (the identity column is its
``object_id``): identify entries of ``type: object``, the same plan, per-field diff, ledgers,
null policy and rejected rows as people, on both warehouses, into the sandbox over HTTP.
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
from retention_assets.specs import SpecInvalid, load_spec
from retention_assets.sync.sends import stream_assets
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import SyncHarness, fault_suite, metadata_of
from tests.retention_assets.sync.killed_sync import kill_mid_sync
from tests.warehouses import duckdb_only

SPEC = Path(__file__).parent / "object_stream" / "loyalty_programs.yaml"
STREAM = SyncStream(load_spec(SPEC))
TYPE_ID = "4"
LAUNCHED = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
COLUMNS = pa.schema(
    [
        ("program_code", pa.string()),
        ("program_name", pa.string()),
        ("member_count", pa.int64()),
        ("launched_at", pa.timestamp("us", tz="UTC")),
        ("perk", pa.string()),
    ]
)


def _programs(harness: SyncHarness, rows: list[dict[str, Any]]) -> None:
    """Replace crm.loyalty_programs with ``rows``."""
    with harness.warehouse.session() as session:
        session.execute("CREATE SCHEMA IF NOT EXISTS crm")
        session.execute(
            "CREATE OR REPLACE TABLE crm.loyalty_programs (program_code VARCHAR,"
            " program_name VARCHAR, member_count BIGINT, launched_at TIMESTAMPTZ, perk VARCHAR)"
        )
        session.insert_arrow("crm.loyalty_programs", pa.Table.from_pylist(rows, schema=COLUMNS))


def _program(code: str, **values: Any) -> dict[str, Any]:
    row = {
        "program_code": code,
        "program_name": f"{code.title()} club",
        "member_count": 100,
        "launched_at": LAUNCHED,
        "perk": "free shipping",
    }
    return {**row, **values}


def _sync(harness: SyncHarness) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [dg.AssetSpec(STREAM.upstream), *stream_assets(STREAM), *stream_checks(STREAM)],
        selection=[STREAM.plan_key, STREAM.send_key],
        resources={"warehouse": harness.warehouse, "customerio": harness.customerio},
        instance=harness.instance,
    )


def _rename_by_hand(sandbox: SandboxHandle, object_id: str, name: str) -> None:
    """Another writer (a person in Customer.io's UI) changes an attribute we also sync."""
    entry = {
        "type": "object",
        "identifiers": {"object_type_id": TYPE_ID, "object_id": object_id},
        "action": "identify",
        "attributes": {"name": name},
    }
    response = httpx.post(f"{sandbox.url}/api/v2/entity", json=entry, auth=sandbox.track_auth)
    response.raise_for_status()


@pytest.fixture
def programs(
    make_warehouse: Callable[[], WarehouseResource], sandbox: SandboxHandle
) -> SyncHarness:
    sandbox.reset()
    return SyncHarness(make_warehouse(), sandbox)


@pytest.mark.duckdb_only
def test_objects_are_created_then_changed_per_field_and_cleared(programs: SyncHarness) -> None:
    sandbox = programs.sandbox
    _programs(programs, [_program("gold"), _program("silver", perk=None)])

    first = metadata_of(_sync(programs), STREAM.send_key.to_user_string())

    assert first["accepted"] == first["planned"] == 2
    launched = int(LAUNCHED.timestamp())
    assert sandbox.objects() == {
        (TYPE_ID, "gold"): {
            "name": "Gold club",
            "members": 100,
            "launched_at": launched,
            "perk": "free shipping",
        },
        (TYPE_ID, "silver"): {"name": "Silver club", "members": 100, "launched_at": launched},
    }
    assert sandbox.people() == {}

    # Nothing changed: nothing is sent.
    before = len(sandbox.requests())
    unchanged = metadata_of(_sync(programs), STREAM.send_key.to_user_string())
    assert unchanged["planned"] == unchanged["requests"] == 0
    assert len(sandbox.requests()) == before

    # One attribute of one object changes and its perk is cleared (null policy clear); the
    # other object gains a perk. Only changed fields are sent: a name someone set by hand in
    # Customer.io, unchanged in the warehouse, stays.
    _rename_by_hand(sandbox, "gold", "Gold (renamed in Customer.io)")
    _programs(programs, [_program("gold", member_count=101, perk=None), _program("silver")])
    changed = metadata_of(_sync(programs), STREAM.send_key.to_user_string())

    assert (changed["accepted"], changed["requests"]) == (2, 1)
    objects = sandbox.objects()
    assert objects[(TYPE_ID, "gold")] == {
        "name": "Gold (renamed in Customer.io)",
        "members": 101,
        "launched_at": launched,
    }
    assert objects[(TYPE_ID, "silver")]["perk"] == "free shipping"
    assert sandbox.people() == {}


def test_an_object_customer_io_refuses_is_a_rejected_row_and_the_rest_arrive(
    programs: SyncHarness,
) -> None:
    too_long = "x" * 151  # Customer.io's object ids are at most 150 bytes
    _programs(programs, [_program("gold"), _program(too_long)])

    result = _sync(programs)

    metadata = metadata_of(result, STREAM.send_key.to_user_string())
    assert (metadata["accepted"], metadata["rejected"]) == (1, 1)
    assert set(programs.sandbox.objects()) == {(TYPE_ID, "gold")}
    rejected = programs.query(
        f"SELECT row_key, reason FROM {STREAM.schema}.rejected_rows WHERE resolved_at IS NULL"
    )
    assert [key for key, _reason in rejected] == [too_long]


FAULTS = fault_suite(seed=13)


@duckdb_only
def test_objects_under_faults_converge_each_as_the_warehouse_says(programs: SyncHarness) -> None:
    count = 300
    _programs(programs, [_program(f"p{i:04}", member_count=i) for i in range(count)])
    programs.customerio = programs.customerio_resource(max_entries_per_batch=10)
    programs.sandbox.configure(**FAULTS)

    first = metadata_of(_sync(programs), STREAM.send_key.to_user_string())

    assert first["rejected"] > 0 and first["retries"] > 0
    assert first["accepted"] + first["rejected"] == count
    # A dropped connection is retried in the run; a rejected object is planned again by the
    # next run, which resolves its rejection once Customer.io accepts it.
    programs.sandbox.configure(**{name: 0.0 for name in FAULTS if name.endswith("_rate")})
    _sync(programs)

    objects = programs.sandbox.objects()
    assert sorted(objects) == [(TYPE_ID, f"p{i:04}") for i in range(count)]
    assert all(objects[(TYPE_ID, f"p{i:04}")]["members"] == i for i in range(count))
    assert programs.query(
        f"SELECT count(*) FROM {STREAM.schema}.rejected_rows WHERE resolved_at IS NULL"
    ) == [(0,)]
    again = metadata_of(_sync(programs), STREAM.send_key.to_user_string())
    assert again["planned"] == again["requests"] == 0


@duckdb_only
def test_kill_minus_nine_mid_object_sync_then_rerun_is_exact(programs: SyncHarness) -> None:
    count = 600
    _programs(programs, [_program(f"p{i:04}", member_count=i) for i in range(count)])
    # 40 objects/s: by 200 accepted the send has flushed acknowledgements (every 2 s) at
    # least twice, so the resumed run must find some of them in the ledger.
    kill_mid_sync(
        programs,
        None,
        None,
        lambda: programs.sandbox.stats()["entries_accepted"] >= 200,
        specs=[SPEC],
        max_rps=2,
        entries_per_batch=20,
        timeout_seconds=60,
    )
    received = programs.sandbox.stats()["entries_accepted"]
    assert 0 < received < count

    resumed = metadata_of(_sync(programs), STREAM.send_key.to_user_string())

    objects = programs.sandbox.objects()
    assert sorted(objects) == [(TYPE_ID, f"p{i:04}") for i in range(count)]
    assert all(objects[(TYPE_ID, f"p{i:04}")]["members"] == i for i in range(count))
    # What the killed run got acknowledged and flushed is not sent again.
    assert resumed["planned"] < count
    assert programs.query(f"SELECT count(*) FROM {STREAM.schema}.customer_ledger") == [(count,)]
    again = metadata_of(_sync(programs), STREAM.send_key.to_user_string())
    assert again["planned"] == again["requests"] == 0


def _spec_text(**replace: str) -> str:
    text = SPEC.read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def test_an_object_type_id_below_one_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "programs.yaml"
    path.write_text(_spec_text(**{"  id: 4": "  id: 0"}))

    with pytest.raises(SpecInvalid) as caught:
        load_spec(path)

    message = str(caught.value)
    assert f"{path}:19: object_type.id" in message


def test_an_event_stream_cannot_write_objects(tmp_path: Path) -> None:
    events = Path(__file__).parent / "custom_shape" / "member_actions.yaml"
    path = tmp_path / "actions.yaml"
    path.write_text(events.read_text() + "object_type:\n  id: 4\n")

    with pytest.raises(SpecInvalid, match="an event stream cannot write objects"):
        load_spec(path)
