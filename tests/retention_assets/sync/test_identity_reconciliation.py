"""Identity reconciliation before the profile sync (docs/identity.md).

A profile sync that declares ``identity.email_attribute`` looks every customer it never wrote
up by email in Customer.io: an email-only profile is adopted (no duplicate), an email-only
duplicate of an id profile is merged into it behind the blocking ``merge_guard`` check, and an
email that belongs to another id is a rejected row whose profile is held back. End to end:
real Dagster runs of the real assets and checks, DuckDB (and Snowflake on fakesnow), the
sandbox over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow as pa
import pytest

from asset_checks.sync_checks import MERGE_GUARD_CHECK, stream_checks
from cio_sandbox.testing import SandboxHandle
from resources.warehouse import WarehouseResource
from retention_assets.alerts import check_action
from retention_assets.specs import SpecInvalid, load_spec
from retention_assets.sync.factory import sync_definitions, sync_job
from retention_assets.sync.identity import ALLOW_MERGES_TAG
from retention_assets.sync.sends import stream_assets
from retention_assets.sync.stream import SyncStream
from tests.retention_assets.sync.harness import NO_FAULTS, SyncHarness, metadata_of
from tests.retention_assets.sync.killed_sync import kill_mid_sync
from tests.warehouses import duckdb_only

SPEC = Path(__file__).parent / "identity" / "shoppers.yaml"
COLUMNS = pa.schema([("shopper_id", pa.string()), ("email", pa.string()), ("tier", pa.string())])
IDENTITY_PLAN = "cio_sync/shoppers_identity_plan"
IDENTITY = "cio_sync/shoppers_identity"


def _spec(tmp_path: Path, **replace: str) -> Path:
    text = SPEC.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / SPEC.name
    path.write_text(text)
    return path


def _shoppers(harness: SyncHarness, rows: list[tuple[str, str]]) -> None:
    """Replace crm.shoppers with ``(shopper_id, email)`` rows, all gold."""
    with harness.warehouse.session() as session:
        session.execute("CREATE SCHEMA IF NOT EXISTS crm")
        session.execute(
            "CREATE OR REPLACE TABLE crm.shoppers (shopper_id VARCHAR, email VARCHAR, tier VARCHAR)"
        )
        listed = [{"shopper_id": i, "email": e, "tier": "gold"} for i, e in rows]
        session.insert_arrow("crm.shoppers", pa.Table.from_pylist(listed, schema=COLUMNS))


def _sync(
    harness: SyncHarness,
    spec: Path = SPEC,
    *,
    tags: dict[str, str] | None = None,
    only: tuple[str, ...] = (),
) -> dg.ExecuteInProcessResult:
    """One run of the identity plan and send, then the profile plan and send."""
    stream = SyncStream(load_spec(spec))
    keys = [stream.identity_plan_key, stream.identity_key, stream.plan_key, stream.send_key]
    return dg.materialize(
        [dg.AssetSpec(stream.upstream), *stream_assets(stream), *stream_checks(stream)],
        selection=[dg.AssetKey.from_user_string(key) for key in only] or keys,
        resources={"warehouse": harness.warehouse, "customerio": harness.customerio},
        instance=harness.instance,
        tags=tags,
        raise_on_error=False,
    )


def _write(sandbox: SandboxHandle, entries: list[dict[str, Any]]) -> None:
    """Another writer (a signup form, an older integration) writes to Customer.io."""
    response = httpx.post(
        f"{sandbox.url}/api/v2/batch", json={"batch": entries}, auth=sandbox.track_auth
    )
    response.raise_for_status()


def _by_email(email: str, **attributes: Any) -> dict[str, Any]:
    return {
        "type": "person",
        "identifiers": {"email": email},
        "action": "identify",
        "attributes": {"email": email, **attributes},
    }


def _by_id(person: str, **attributes: Any) -> dict[str, Any]:
    return {
        "type": "person",
        "identifiers": {"id": person},
        "action": "identify",
        "attributes": attributes,
    }


def _listing(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return list(httpx.get(f"{sandbox.url}/_sandbox/people").json()["people"])


def _lookups(sandbox: SandboxHandle) -> int:
    """App API email lookups the sandbox answered."""
    return sum(
        1 for r in sandbox.requests() if r["method"] == "GET" and r["path"] == "/v1/customers"
    )


def _guard(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == "merge_guard"
    )


@pytest.fixture
def shoppers(
    make_warehouse: Callable[[], WarehouseResource], sandbox: SandboxHandle
) -> SyncHarness:
    sandbox.reset()
    sandbox.configure(**NO_FAULTS)
    return SyncHarness(make_warehouse(), sandbox)


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_an_email_only_profile_is_adopted_without_a_duplicate(shoppers: SyncHarness) -> None:
    sandbox = shoppers.sandbox
    _write(sandbox, [_by_email("ann@example.com", source="signup form")])
    # Looked up as Customer.io matches emails: trimmed, case-insensitively.
    _shoppers(shoppers, [("s1", "Ann@Example.com"), ("s2", "bob@example.com")])

    result = _sync(shoppers)

    assert result.success
    plan = metadata_of(result, IDENTITY_PLAN)
    assert (plan["adopt_profiles"], plan["new_profiles"], plan["planned_merges"]) == (1, 1, 0)
    # The sample shows the outcome per customer, emails masked.
    sample = {row.data["customer_id"]: row.data for row in plan["sample"].records}
    assert sample["s1"]["outcome"] == "adopt"
    assert sample["s1"]["email"] == "a***@example.com"
    people = _listing(sandbox)
    assert len(people) == 2
    adopted = next(person for person in people if person["id"] == "s1")
    assert adopted["attributes"] == {
        "email": "Ann@Example.com",
        "source": "signup form",
        "tier": "gold",
    }


def test_a_merge_waits_for_the_allow_tag_then_moves_the_duplicate_into_the_id_profile(
    shoppers: SyncHarness,
) -> None:
    sandbox = shoppers.sandbox
    _write(
        sandbox,
        [
            _by_id("s1", tier="silver"),
            _by_email("cat@example.com", newsletter=True),
            {
                "type": "person",
                "identifiers": {"email": "cat@example.com"},
                "action": "event",
                "name": "Signed Up",
                "timestamp": int(time.time()),
            },
        ],
    )
    _shoppers(shoppers, [("s1", "cat@example.com"), ("s2", "dan@example.com")])

    blocked = _sync(shoppers)

    assert not blocked.success
    guard = _guard(blocked)
    assert not guard.passed
    assert guard.metadata["planned_merges"].value == 1
    assert ALLOW_MERGES_TAG in str(guard.metadata["verdict"].value)
    # Nothing merged, nothing identified: the send and the profile sync after it did not run.
    assert sandbox.merges() == []
    assert len(_listing(sandbox)) == 2
    assert sandbox.people()["s1"] == {"tier": "silver"}

    allowed = _sync(shoppers, tags={ALLOW_MERGES_TAG: "true"})

    assert allowed.success
    assert _guard(allowed).passed
    assert metadata_of(allowed, IDENTITY)["merges_accepted"] == 1
    [merge] = sandbox.merges()
    assert merge["primary"]["id"] == "s1" and merge["events"] == 1
    people = _listing(sandbox)
    assert sorted(person["id"] for person in people) == ["s1", "s2"]
    assert sandbox.people()["s1"] == {
        "email": "cat@example.com",
        "newsletter": True,
        "tier": "gold",
    }
    assert [event["person_id"] for event in sandbox.events()] == ["s1"]
    assert shoppers.query("SELECT customer_id FROM cio_shoppers.identity_merges") == [("s1",)]

    # Merged once: a re-run, allowed or not, looks nobody up and merges nothing.
    lookups = _lookups(sandbox)
    again = _sync(shoppers, tags={ALLOW_MERGES_TAG: "true"})
    assert again.success
    assert metadata_of(again, IDENTITY)["planned_merges"] == 0
    assert (_lookups(sandbox), len(sandbox.merges())) == (lookups, 1)


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_an_email_of_another_id_is_a_rejected_row_and_that_profile_is_held(
    shoppers: SyncHarness,
) -> None:
    sandbox = shoppers.sandbox
    _write(sandbox, [_by_id("legacy-7", email="eve@example.com")])
    _shoppers(shoppers, [("s1", "eve@example.com"), ("s2", "fay@example.com")])

    result = _sync(shoppers)

    assert result.success
    assert metadata_of(result, IDENTITY_PLAN)["conflict_profiles"] == 1
    assert metadata_of(result, "cio_sync/shoppers_plan")["identity_held_profiles"] == 1
    assert metadata_of(result, "cio_sync/shoppers")["identity_held_profiles"] == 1
    [(key, reason, message)] = shoppers.query(
        "SELECT row_key, reason, message FROM cio_shoppers.rejected_rows WHERE resolved_at IS NULL"
    )
    assert (key, reason) == ("s1", "identity_conflict")
    assert "legacy-7" in message
    people = sandbox.people()
    assert "s1" not in people and people["s2"]["tier"] == "gold"
    assert people["legacy-7"] == {"email": "eve@example.com"}

    # A re-run within the lookup TTL looks nobody up again and still holds s1.
    lookups, merges = _lookups(sandbox), len(sandbox.merges())
    again = _sync(shoppers)
    assert again.success
    assert metadata_of(again, IDENTITY_PLAN)["looked_up"] == 0
    assert (_lookups(sandbox), len(sandbox.merges())) == (lookups, merges)
    assert "s1" not in sandbox.people()


@duckdb_only
def test_a_killed_identity_send_resumes_without_a_duplicate_merge(
    shoppers: SyncHarness, tmp_path: Path
) -> None:
    sandbox = shoppers.sandbox
    spec = _spec(tmp_path, **{"max_merges: 0": "max_merges: 1000"})
    ids = [f"s{i:02}" for i in range(30)]
    _write(
        sandbox,
        [_by_id(i, tier="bronze") for i in ids]
        + [_by_email(f"{i}@example.com", newsletter=True) for i in ids],
    )
    _shoppers(shoppers, [(i, f"{i}@example.com") for i in ids])
    assert _sync(shoppers, spec, only=(IDENTITY_PLAN,)).success

    kill_mid_sync(
        shoppers,
        None,
        None,
        lambda: len(sandbox.merges()) >= 5,
        keys=[IDENTITY],
        specs=[spec],
        max_rps=20,
        entries_per_batch=1,
    )
    assert 5 <= len(sandbox.merges()) < 30

    result = _sync(shoppers, spec)

    assert result.success
    assert len(sandbox.merges()) == 30
    assert sorted(m["primary"]["id"] for m in sandbox.merges()) == ids
    assert shoppers.query("SELECT count(DISTINCT customer_id) FROM cio_shoppers.identity_merges")[
        0
    ] == (30,)
    assert sorted(p["id"] for p in _listing(sandbox)) == ids


# Every kind of Track API fault, and rejected entries, on the merges.
MERGE_FAULTS = {
    "error_429_rate": 0.1,
    "retry_after_s": 0,
    "error_500_rate": 0.1,
    "error_503_rate": 0.1,
    "drop_rate": 0.1,
    "entry_reject_rate": 0.1,
    "seed": 5,
}


@duckdb_only  # the faults are the client's; the other tests run the SQL on fakesnow
def test_merges_under_faults_converge_each_sent_once(shoppers: SyncHarness, tmp_path: Path) -> None:
    sandbox = shoppers.sandbox
    spec = _spec(tmp_path, **{"max_merges: 0": "max_merges: 1000"})
    ids = [f"s{i:02}" for i in range(40)]
    _write(
        sandbox,
        [_by_id(i, tier="bronze") for i in ids]
        + [_by_email(f"{i}@example.com", newsletter=True) for i in ids],
    )
    _shoppers(shoppers, [(i, f"{i}@example.com") for i in ids])
    # One merge per request: many requests, so every fault lands on some of them.
    shoppers.customerio = shoppers.customerio_resource(max_entries_per_batch=1)
    sandbox.configure(**MERGE_FAULTS)

    first = _sync(shoppers, spec)

    sent = metadata_of(first, IDENTITY)
    assert sent["merges_rejected"] > 0
    assert sent["merges_accepted"] + sent["merges_rejected"] == 40
    # A rejected merge holds its profile back; the next run merges exactly those.
    sandbox.configure(**NO_FAULTS)
    second = _sync(shoppers, spec)
    assert second.success
    assert metadata_of(second, IDENTITY)["planned_merges"] == sent["merges_rejected"]

    merges = sandbox.merges()
    assert sorted(m["primary"]["id"] for m in merges) == ids  # each once
    assert sorted(p["id"] for p in _listing(sandbox)) == ids
    assert all(sandbox.people()[i]["newsletter"] is True for i in ids)
    assert shoppers.query("SELECT count(*) FROM cio_shoppers.identity_merges") == [(40,)]


_EMAIL_MAPPING = "  - column: email\n    kind: string\n"
_ATTRIBUTES = f"attributes:\n{_EMAIL_MAPPING}  - column: tier\n    kind: string\n"


@pytest.mark.parametrize(
    ("replace", "field", "problem"),
    [
        (
            {"  email_attribute: email": "  email_attribute: contact"},
            "identity.email_attribute",
            "'contact' is not one of the sync's attributes",
        ),
        (
            {
                _EMAIL_MAPPING: "  - column: email\n    name: mail\n    kind: string\n",
                "email_attribute: email": "email_attribute: mail",
            },
            "identity.email_attribute",
            "Customer.io matches profiles by the attribute `email` only",
        ),
        (
            {_ATTRIBUTES: f"object_type:\n  id: 3\nattributes:\n{_EMAIL_MAPPING}"},
            "identity.email_attribute",
            "this is an object stream",
        ),
        (
            {"  app_key_env: CUSTOMERIO_APP_API_KEY\n": ""},
            "identity.email_attribute",
            "names no App API key",
        ),
        (
            {"  email_attribute: email\n": ""},
            "identity.max_merges",
            "without `identity.email_attribute`",
        ),
    ],
)
def test_the_rules_refuse_reconciliation_it_cannot_do(
    tmp_path: Path, replace: dict[str, str], field: str, problem: str
) -> None:
    with pytest.raises(SpecInvalid) as refused:
        load_spec(_spec(tmp_path, **replace))
    assert any(e.field == field and problem in e.problem for e in refused.value.errors), str(
        refused.value
    )


def test_a_failed_merge_guard_alert_says_how_to_allow_the_merges() -> None:
    action = check_action(MERGE_GUARD_CHECK, "ERROR")
    assert ALLOW_MERGES_TAG in action and "No merge was sent" in action


@duckdb_only
def test_lineage_runs_the_identity_decisions_before_the_profile_sync(
    make_warehouse: Callable[[], WarehouseResource],
) -> None:
    definitions = dg.Definitions.merge(
        sync_definitions(load_spec(SPEC)), dg.Definitions(resources={"warehouse": make_warehouse()})
    )
    graph = definitions.resolve_asset_graph()
    plan, identity_plan, identity = (
        dg.AssetKey.from_user_string(key)
        for key in ("cio_sync/shoppers_plan", IDENTITY_PLAN, IDENTITY)
    )
    assert graph.get(identity_plan).parent_keys == {dg.AssetKey(["crm", "shoppers"])}
    assert graph.get(identity).parent_keys == {identity_plan}
    assert identity in graph.get(plan).parent_keys
    job = sync_job(SyncStream(load_spec(SPEC)))
    assert {identity_plan, identity} <= job.selection.resolve(graph)
