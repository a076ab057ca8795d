"""The ``dg`` way: a sync is a ``defs.yaml`` that dg checks, lists, scaffolds and launches.

Every test runs the real ``dg`` CLI in a subprocess, in the repository or in a copy of it.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cio_sandbox.testing import SandboxHandle, running_sandbox
from retention_assets.shop import CUSTOMER_STATE_PLAN
from tests.retention_assets.components.dg_cli import (
    COMPONENT,
    REPO,
    dagster_home,
    defs_yaml,
    dg,
    edit_spec,
    listed_asset_keys,
    project_copy,
)
from tests.retention_assets.sync.harness import AS_OF, NO_FAULTS, SyncHarness, state_row
from tests.warehouses import duckdb_warehouse

SHOP_SYNC_ASSETS = {
    "cio_sync/customer_state_identity_plan",
    "cio_sync/customer_state_identity",
    "cio_sync/customer_state_plan",
    "cio_sync/customer_state",
    "cio_sync/events_plan",
    "cio_sync/events",
    "cio_sync/loyalty_programs_plan",
    "cio_sync/loyalty_programs",
    "cio_sync/loyalty_members_plan",
    "cio_sync/loyalty_members",
    "cio_sync/vip_audience_plan",
    "cio_sync/vip_audience",
    "cio_sync/erasure_requests_plan",
    "cio_sync/erasure_requests",
}
# What the test writes for each placeholder of the scaffolded template.
FILLED = {
    "<what this sync sends, and to whom>": "Emails of the shop's customers, for the CRM team.",
    "<upstream asset key>": "retention_customer_state",
    "<schema.table>": "retention.customer_state",
    "<id column>": "customer_id",
    "<column>": "email",
    "<what the attribute means>": "Latest known email.",
}


def test_dg_check_defs_passes_on_the_repository(tmp_path: Path) -> None:
    result = dg("check", "defs", project=REPO, home=dagster_home(tmp_path / "home"))

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All definitions loaded successfully" in result.stdout


MAPPING = "    - column: lifetime_orders\n"
TRAILING = "    trailing_days: 1\n"


@pytest.mark.parametrize(
    ("original", "broken", "field", "at", "fix"),
    [
        # A misspelt field: a shape error.
        (
            TRAILING,
            "    trailing_dayz: 1\n",
            "cadence.trailing_dayz",
            "trailing_dayz: 1",
            "did you mean 'trailing_days'?",
        ),
        # The same Customer.io attribute written by two columns: a rule across fields.
        (MAPPING, f"{MAPPING}      name: email\n", "attributes[1].name", "name: email", "Fix: "),
    ],
    ids=["unknown_field", "attribute_mapped_twice"],
)
def test_dg_check_defs_names_file_line_field_and_fix_of_a_broken_defs_yaml(
    tmp_path: Path, original: str, broken: str, field: str, at: str, fix: str
) -> None:
    project = project_copy(tmp_path / "project")
    path = defs_yaml(project, "customer_state")
    text = path.read_text(encoding="utf-8")
    assert original in text
    text = text.replace(original, broken, 1)
    path.write_text(text, encoding="utf-8")

    result = dg("check", "defs", project=project, home=dagster_home(tmp_path / "home"))

    assert result.returncode == 1
    output = result.stdout + result.stderr
    error = re.search(rf"{re.escape(str(path))}:(\d+): {re.escape(field)}: (.*)", output)
    assert error, output[-3000:]
    assert text.splitlines()[int(error[1]) - 1].strip() == at
    assert fix in error[2]
    # Our message, not pydantic's trace of Dagster's own attribute model.
    assert "validation error for" not in output


def test_dg_list_defs_lists_the_shops_sync_assets(tmp_path: Path) -> None:
    result = dg("list", "defs", "--json", project=REPO, home=dagster_home(tmp_path / "home"))

    keys = listed_asset_keys(result)
    assert {key for key in keys if key.startswith("cio_sync/")} == SHOP_SYNC_ASSETS
    assert {"retention_customer_state", "retention_events"} <= keys


def test_a_second_defs_folder_entry_is_a_second_set_of_assets(tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    second = defs_yaml(project, "crm_state")
    second.parent.mkdir()
    shutil.copy2(defs_yaml(project, "customer_state"), second)
    workspace = {
        "name": "crm",
        "site_id_env": "CRM_SITE_ID",
        "track_key_env": "CRM_TRACK_KEY",
        "region_env": "CRM_REGION",
    }
    # No App API key in that workspace: no identity reconciliation either.
    edit_spec(
        second,
        name="crm_state",
        ledger_schema="cio_crm",
        workspace=workspace,
        identity={"column": "customer_id"},
    )
    home = dagster_home(tmp_path / "home")

    keys = listed_asset_keys(dg("list", "defs", "--json", project=project, home=home))

    assert {key for key in keys if key.startswith("cio_sync/")} == {
        *SHOP_SYNC_ASSETS,
        "cio_sync/crm_state_plan",
        "cio_sync/crm_state",
    }


def test_a_second_entry_sharing_the_shops_ledgers_fails_the_check_by_name(
    tmp_path: Path,
) -> None:
    project = project_copy(tmp_path / "project")
    second = defs_yaml(project, "crm_state")
    second.parent.mkdir()
    shutil.copy2(defs_yaml(project, "customer_state"), second)
    edit_spec(second, name="crm_state")  # still ledger_schema cio_sync

    result = dg("check", "defs", project=project, home=dagster_home(tmp_path / "home"))

    assert result.returncode == 1
    assert "would share the profiles ledgers of schema 'cio_sync'" in result.stdout + result.stderr


def test_dg_scaffold_defs_writes_a_commented_template_that_checks_once_filled(
    tmp_path: Path,
) -> None:
    project = project_copy(tmp_path / "project")
    home = dagster_home(tmp_path / "home")

    scaffolded = dg("scaffold", "defs", COMPONENT, "crm_emails", project=project, home=home)

    assert scaffolded.returncode == 0, scaffolded.stderr[-3000:]
    path = defs_yaml(project, "crm_emails")
    template = path.read_text(encoding="utf-8")
    schema_line = "# yaml-language-server: $schema=../../../docs/sync-defs.schema.json\n"
    assert template.startswith(schema_line)
    assert f"type: {COMPONENT}\n" in template
    assert "  name: crm_emails\n" in template
    assert set(re.findall(r': "(<[^"]+>)"$', template, re.MULTILINE)) == set(FILLED)
    commented = [line for line in template.splitlines() if line.lstrip().startswith("#")]
    assert len(commented) > 40

    unfilled = dg("check", "defs", project=project, home=home)
    assert unfilled.returncode == 1
    assert "source.asset: still holds the template's placeholder '<upstream asset key>'" in (
        unfilled.stdout + unfilled.stderr
    )

    for placeholder, value in FILLED.items():
        template = template.replace(f'"{placeholder}"', f'"{value}"')
    path.write_text(template, encoding="utf-8")
    # The shop's profile sync reconciles identities for the workspace: a new profile sync
    # must come after it, and the check says so.
    unordered = dg("check", "defs", project=project, home=home)
    assert unordered.returncode == 1
    assert "Fix: add 'customer_state' to `cadence.after`" in unordered.stdout + unordered.stderr
    path.write_text(
        template.replace("    after: []\n", "    after: [customer_state]\n"), encoding="utf-8"
    )
    filled = dg("check", "defs", project=project, home=home)
    assert filled.returncode == 0, filled.stdout[-3000:] + filled.stderr[-3000:]
    keys = listed_asset_keys(dg("list", "defs", "--json", project=project, home=home))
    assert {"cio_sync/crm_emails_plan", "cio_sync/crm_emails"} <= keys


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(app_rate_limit=0) as handle:
        handle.configure(**NO_FAULTS)
        yield handle


def test_dg_launch_runs_a_real_sync_into_the_sandbox(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    harness = SyncHarness(duckdb_warehouse(tmp_path), sandbox)
    harness.put_state([state_row("c1"), state_row("c2", email="two@example.com")])
    env = {
        "RETENTION_DUCKDB_PATH": harness.warehouse.database,
        "RETENTION_PARTITIONS_START": "2026-10-01",
        "CUSTOMERIO_SITE_ID": sandbox.site_id,
        "CUSTOMERIO_API_KEY": sandbox.api_key,
        "CUSTOMERIO_APP_API_KEY": sandbox.app_api_key,
        "CUSTOMERIO_TRACK_URL": sandbox.url,
        "CUSTOMERIO_APP_URL": sandbox.url,
    }
    selection = f"{CUSTOMER_STATE_PLAN.to_user_string()}+"

    result = dg(
        "launch",
        "--assets",
        selection,
        "--partition",
        AS_OF.isoformat(),
        project=REPO,
        home=dagster_home(tmp_path / "home"),
        env=env,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    people = sandbox.people()
    assert set(people) == {"c1", "c2"}
    assert people["c2"]["email"] == "two@example.com"
    assert harness.query("SELECT count(*) FROM cio_sync.customer_ledger") == [(2,)], (
        "the ledger holds what Customer.io acknowledged"
    )


def _external_sync(project: Path, asset: str, relation: str) -> Path:
    """A second profile sync of the project whose source is declared external."""
    path = defs_yaml(project, "crm_state")
    path.parent.mkdir()
    shutil.copy2(defs_yaml(project, "customer_state"), path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = {**document["attributes"]["source"], "asset": asset, "relation": relation}
    edit_spec(
        path,
        name="crm_state",
        ledger_schema="cio_crm",
        source={**source, "external": True},
        # The shop's profile sync reconciles identities for the workspace, this copy does
        # not, and so comes after it.
        cadence={**document["attributes"]["cadence"], "after": ["customer_state"]},
        identity={"column": document["attributes"]["identity"]["column"]},
    )
    return path


def test_dg_list_defs_lists_an_external_source_declared_by_a_defs_yaml(tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    _external_sync(project, "crm/member_snapshots", "crm.member_snapshots")
    home = dagster_home(tmp_path / "home")

    checked = dg("check", "defs", project=project, home=home)
    listed = dg("list", "defs", "--json", project=project, home=home)

    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    listing = json.loads(listed.stdout[listed.stdout.index("{") :])
    assets = {asset["asset_key"]: asset for asset in listing["assets"]}
    source = assets["crm/member_snapshots"]
    assert "`crm.member_snapshots`" in source["description"]
    assert "duckdb" in source["kinds"]
    assert source["is_executable"] is False
    assert source["source"] == "retention_assets/defs/crm_state/defs.yaml:1"
    assert set(assets["cio_sync/crm_state_plan"]["dependency_keys"]) == {
        "crm/member_snapshots",
        "cio_sync/customer_state",
    }


def test_dg_check_defs_refuses_an_external_source_the_project_builds(tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    path = _external_sync(project, "retention_customer_state", "retention.customer_state")

    result = dg("check", "defs", project=project, home=dagster_home(tmp_path / "home"))

    assert result.returncode == 1
    output = result.stdout + result.stderr
    error = re.search(rf"{re.escape(str(path))}:(\d+): source\.external: (.*)", output)
    assert error, output[-3000:]
    assert path.read_text(encoding="utf-8").splitlines()[int(error[1]) - 1].strip() == (
        "external: true"
    )
    assert "also defined elsewhere in this deployment" in error[2]
    assert "Fix: remove `external: true`" in error[2]


@pytest.mark.parametrize(
    "command",
    [("list", "defs", "--json"), ("check", "defs", "--no-check-yaml")],
    ids=["list_defs", "check_defs_without_dgs_yaml_precheck"],
)
def test_a_defs_yaml_syntax_error_is_reported_as_file_line_problem_and_fix(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Dagster's loader fails on it in its own words; the definitions report it in ours.

    (Plain `dg check defs` first runs dg's own YAML pre-check, in the dg process, before any
    code of the project is loaded: docs/components.md says what it prints.)
    """
    project = project_copy(tmp_path / "project")
    path = defs_yaml(project, "customer_state")
    text = path.read_text(encoding="utf-8")
    text = text.replace("  version: 1\n", "  version: 1\n  description: [unclosed\n", 1)
    path.write_text(text, encoding="utf-8")

    result = dg(*command, project=project, home=dagster_home(tmp_path / "home"))

    assert result.returncode == 1
    output = result.stdout + result.stderr
    error = re.search(rf"{re.escape(str(path))}:(\d+): \(YAML\): not valid YAML (.*)", output)
    assert error, output[-3000:]
    opened = text.splitlines().index("  description: [unclosed") + 1
    assert f"at line {opened}. Fix: correct the syntax" in error[2]
