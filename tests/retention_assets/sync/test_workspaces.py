"""Two declared syncs for two Customer.io workspaces in one deployment: nothing crosses over.

Each workspace is a sandbox of its own, with its own keys, named by the environment variables
its spec declares. Each sync reads its own relation (one the example shop's, one shaped like a
CRM's) and keeps its ledgers in its own schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from cio_sandbox.testing import SandboxHandle, running_sandbox
from resources.customerio import CustomerIORegionError
from resources.warehouse import DuckDBWarehouse
from retention_assets.shop_specs import CUSTOMER_STATE_SPEC
from retention_assets.specs import SyncSpec, load_spec
from retention_assets.sync.factory import (
    check_order,
    check_workspaces,
    sync_definitions,
    workspace_resource,
)
from tests.retention_assets.sync.harness import AS_OF, NO_FAULTS, SyncHarness, state_row
from tests.retention_assets.sync.shapes import CUSTOM, SHOP

MEMBERSHIP = Path(__file__).parent / "membership"
EU_ENV = {
    "EU_CIO_SITE_ID": "eu-site",
    "EU_CIO_TRACK_KEY": "eu-key",
    "EU_CIO_APP_KEY": "eu-app-key",
    "EU_CIO_REGION": "eu",
}


def _eu_spec() -> SyncSpec:
    """The CRM-shaped profile sync, declared for a second workspace with its own ledgers."""
    spec = CUSTOM.profiles.spec
    workspace = spec.workspace.model_copy(
        update={
            "name": "eu",
            "site_id_env": "EU_CIO_SITE_ID",
            "track_key_env": "EU_CIO_TRACK_KEY",
            "app_key_env": "EU_CIO_APP_KEY",
            "region_env": "EU_CIO_REGION",
            "track_url_env": "EU_CIO_URL",
            "app_url_env": "EU_CIO_URL",
        }
    )
    return spec.model_copy(
        update={"name": "eu_members", "ledger_schema": "cio_eu", "workspace": workspace}
    )


@pytest.fixture
def sandboxes() -> Iterator[tuple[SandboxHandle, SandboxHandle]]:
    with (
        running_sandbox(app_rate_limit=0) as us,
        running_sandbox(
            site_id="eu-site",
            api_key="eu-key",
            app_api_key="eu-app-key",
            region="eu",
            app_rate_limit=0,
        ) as eu,
    ):
        for sandbox in (us, eu):
            sandbox.configure(**NO_FAULTS)
        yield us, eu


def test_two_workspaces_each_receive_exactly_their_own_profiles(
    tmp_path: object,
    sandboxes: tuple[SandboxHandle, SandboxHandle],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    us, eu = sandboxes
    warehouse = DuckDBWarehouse(database=f"{tmp_path}/warehouse.duckdb")
    shop = SyncHarness(warehouse, us, SHOP)
    crm = SyncHarness(warehouse, eu, CUSTOM)
    shop.put_state([state_row("shop_1"), state_row("shop_2")])
    crm.put_state([state_row("crm_1", vip_tier="gold")])
    for name, value in {
        "CUSTOMERIO_SITE_ID": us.site_id,
        "CUSTOMERIO_API_KEY": us.api_key,
        "CUSTOMERIO_APP_API_KEY": us.app_api_key,
        "CUSTOMERIO_TRACK_URL": us.url,
        "CUSTOMERIO_APP_URL": us.url,
        **EU_ENV,
        "EU_CIO_URL": eu.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CUSTOMERIO_REGION", raising=False)
    specs = [CUSTOMER_STATE_SPEC, _eu_spec()]
    check_workspaces(specs)
    defs = dg.Definitions.merge(
        *(sync_definitions(spec) for spec in specs),
        # The sources, declared as a deployment declares a table it does not build.
        dg.Definitions(
            assets=[dg.AssetSpec(spec.source.asset) for spec in specs],
            resources={"warehouse": warehouse},
        ),
    )
    assert set(defs.resources or {}) == {"customerio", "customerio_eu", "warehouse"}

    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        partition_key=AS_OF.isoformat(),
        asset_selection=[
            dg.AssetKey(["cio_sync", name])
            for name in ("customer_state_plan", "customer_state", "eu_members_plan", "eu_members")
        ],
    )

    assert result.success
    assert sorted(us.people()) == ["shop_1", "shop_2"]
    assert sorted(eu.people()) == ["crm_1"]
    assert eu.people()["crm_1"]["vip_tier"] == "gold"
    assert shop.query("SELECT customer_id FROM cio_sync.customer_ledger ORDER BY 1") == [
        ("shop_1",),
        ("shop_2",),
    ]
    assert crm.query("SELECT customer_id FROM cio_eu.customer_ledger") == [("crm_1",)]


def test_one_workspace_configured_two_ways_is_refused() -> None:
    other = _eu_spec().model_copy(update={"workspace": CUSTOMER_STATE_SPEC.workspace})
    changed = other.workspace.model_copy(update={"site_id_env": "OTHER_SITE_ID"})
    with pytest.raises(ValueError, match="configure it differently"):
        check_workspaces([CUSTOMER_STATE_SPEC, other.model_copy(update={"workspace": changed})])


def test_two_profile_syncs_sharing_ledgers_are_refused() -> None:
    twin = CUSTOMER_STATE_SPEC.model_copy(update={"name": "twin"})
    with pytest.raises(ValueError, match="share the profiles ledgers"):
        check_workspaces([CUSTOMER_STATE_SPEC, twin])


def test_two_workspaces_in_one_ledger_schema_are_refused() -> None:
    events = CUSTOM.events.spec.model_copy(
        update={"name": "eu_events", "ledger_schema": "cio_sync", "workspace": _eu_spec().workspace}
    )
    with pytest.raises(ValueError, match="two workspaces"):
        check_workspaces([CUSTOMER_STATE_SPEC, events])


def test_a_region_mismatch_names_the_workspaces_own_region_variable(
    sandboxes: tuple[SandboxHandle, SandboxHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The EU workspace configured as US: the fix names EU_CIO_REGION, not the default's."""
    _, eu = sandboxes
    for name, value in {**EU_ENV, "EU_CIO_REGION": "us", "EU_CIO_URL": eu.url}.items():
        monkeypatch.setenv(name, value)
    resource = workspace_resource(_eu_spec()).process_config_and_initialize()

    with resource.track_client() as client, pytest.raises(CustomerIORegionError) as raised:
        client.check_credentials()

    assert "set EU_CIO_REGION=eu" in str(raised.value)
    assert "CUSTOMERIO_REGION" not in str(raised.value)


def _after(spec: SyncSpec, *names: str) -> SyncSpec:
    return spec.model_copy(update={"cadence": spec.cadence.model_copy(update={"after": names})})


# The shop's profile sync without its own `after` (the erasure sync it names is not declared
# in these lists).
SHOP_PROFILES = _after(CUSTOMER_STATE_SPEC)


def test_a_sync_after_one_the_deployment_does_not_declare_is_refused() -> None:
    events = _after(CUSTOM.events.spec, "crm_profiles")
    with pytest.raises(ValueError, match="'crm_profiles', which this deployment does not declare"):
        check_order([SHOP_PROFILES, events])


def test_syncs_waiting_for_each_other_in_a_ring_are_refused() -> None:
    first = _after(SHOP_PROFILES, CUSTOM.events.spec.name)
    second = _after(CUSTOM.events.spec, SHOP_PROFILES.name)
    with pytest.raises(ValueError, match="in a ring") as refused:
        check_order([first, second])
    names = (SHOP_PROFILES.name, CUSTOM.events.spec.name)
    assert all(name in str(refused.value) for name in names)


def test_syncs_in_a_chain_pass() -> None:
    events = _after(CUSTOM.events.spec, SHOP_PROFILES.name)
    check_order([SHOP_PROFILES, events])


def test_a_sync_that_creates_people_before_the_reconciling_profile_sync_is_refused() -> None:
    # The shop's profile sync reconciles identities; an event sync of the same workspace
    # that would run first could create an id-only profile of a customer whose email-only
    # profile the identity plan means to adopt.
    assert SHOP_PROFILES.reconciles_identity
    with pytest.raises(ValueError) as refused:
        check_order([SHOP_PROFILES, CUSTOM.events.spec])
    assert "add 'customer_state' to `cadence.after`" in str(refused.value)
    assert f"sync {CUSTOM.events.spec.name!r} can create people" in str(refused.value)


def test_after_the_reconciling_profile_sync_directly_or_through_another_passes() -> None:
    crm = _after(CUSTOM.profiles.spec, SHOP_PROFILES.name).model_copy(update={"name": "crm"})
    events = _after(CUSTOM.events.spec, crm.name)
    check_order([SHOP_PROFILES, crm, events])


def test_syncs_that_create_nobody_or_write_another_workspace_need_no_order() -> None:
    segment = load_spec(MEMBERSHIP / "vip_audience.yaml")
    assert not segment.creates_people
    check_order([SHOP_PROFILES, _after(segment)])
    check_order([SHOP_PROFILES, _eu_spec()])


def test_two_reconciling_profile_syncs_need_an_order_either_way() -> None:
    crm = SHOP_PROFILES.model_copy(update={"name": "crm", "ledger_schema": "cio_crm"})
    assert crm.reconciles_identity
    with pytest.raises(ValueError) as refused:
        check_order([SHOP_PROFILES, crm])
    assert "to `cadence.after`" in str(refused.value)
    check_order([SHOP_PROFILES, _after(crm, SHOP_PROFILES.name)])
    check_order([_after(SHOP_PROFILES, crm.name), crm])
