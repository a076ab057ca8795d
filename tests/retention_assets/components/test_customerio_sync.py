"""The CustomerIOSync component in process: a defs folder of Dagster's test sandbox, loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox

from resources.warehouse import DuckDBWarehouse
from retention_assets.components import CustomerIOSync
from retention_assets.shop import CUSTOMER_STATE_PLAN
from retention_assets.shop_specs import CUSTOMER_STATE_DEFS, CUSTOMER_STATE_SPEC
from retention_assets.specs import SpecInvalid
from retention_assets.specs.load import defs_yaml_syntax_error
from retention_assets.sync.factory import check_external_sources

TYPE = "retention_assets.components.CustomerIOSync"


@pytest.fixture
def sandbox() -> Iterator[DefsFolderSandbox]:
    with create_defs_folder_sandbox() as folder:
        yield folder


def _write(sandbox: DefsFolderSandbox, name: str, text: str) -> Path:
    directory = sandbox.defs_folder_path / name
    directory.mkdir()
    (directory / "defs.yaml").write_text(text, encoding="utf-8")
    return directory


def test_the_shops_defs_yaml_loads_as_the_shops_spec_and_builds_its_sync(
    sandbox: DefsFolderSandbox,
) -> None:
    directory = _write(sandbox, "state", CUSTOMER_STATE_DEFS.read_text(encoding="utf-8"))

    with sandbox.load_component_and_build_defs(defs_path=directory) as (component, defs):
        assert isinstance(component, CustomerIOSync)
        assert component.spec.model_dump() == CUSTOMER_STATE_SPEC.model_dump()
        # Dagster's source positions and the spec loader's own reading agree on every line.
        assert component.spec.lines == CUSTOMER_STATE_SPEC.lines
        assert component.spec.path == directory / "defs.yaml"
        # The warehouse resource is the deployment's (definitions.py): read the definitions.
        (plan,) = [a for a in defs.assets or () if CUSTOMER_STATE_PLAN in a.keys]  # type: ignore[union-attr]
        references = plan.specs_by_key[CUSTOMER_STATE_PLAN].metadata["dagster/code_references"]
        files = {Path(reference.file_path) for reference in references.code_references}
        # The engine's code that builds the asset, and the file that declares the sync.
        assert directory / "defs.yaml" in files
        assert any(file.parts[-3:-1] == ("retention_assets", "sync") for file in files)
        assert [job.name for job in defs.jobs or ()] == ["retention_customer_state_sync_job"]


def test_an_error_in_the_second_document_of_a_defs_yaml_names_its_own_line(
    sandbox: DefsFolderSandbox,
) -> None:
    spec = yaml.safe_load(CUSTOMER_STATE_DEFS.read_text(encoding="utf-8"))["attributes"]
    other = {**spec, "name": "crm_state", "ledger_schema": "cio_crm"}
    other["attributes"] = [*spec["attributes"][:2], {"column": "vip_tier", "kind": "strng"}]
    documents = [{"type": TYPE, "attributes": spec}, {"type": TYPE, "attributes": other}]
    text = yaml.safe_dump_all(documents, sort_keys=False)
    directory = _write(sandbox, "two", text)

    with pytest.raises(Exception) as raised, sandbox.build_all_defs():
        pass

    invalid = raised.value
    while not isinstance(invalid, SpecInvalid) and invalid.__cause__ is not None:
        invalid = invalid.__cause__  # type: ignore[assignment]
    assert isinstance(invalid, SpecInvalid), raised.value
    (error,) = invalid.errors
    assert (error.file, error.field) == (str(directory / "defs.yaml"), "attributes[2].kind")
    assert text.splitlines()[error.line - 1].strip() == "kind: strng"  # type: ignore[operator]
    assert "'string'" in error.fix


def test_a_defs_yaml_without_attributes_lists_the_required_fields(
    sandbox: DefsFolderSandbox,
) -> None:
    directory = _write(sandbox, "empty", f"type: {TYPE}\n")

    with pytest.raises(Exception) as raised, sandbox.build_all_defs():
        pass

    cause = raised.value
    while not isinstance(cause, SpecInvalid) and cause.__cause__ is not None:
        cause = cause.__cause__  # type: ignore[assignment]
    assert isinstance(cause, SpecInvalid), raised.value
    missing = {error.field for error in cause.errors if "missing" in error.problem}
    assert {"version", "name", "source", "workspace", "identity", "cadence"} <= missing
    assert all(error.file == str(directory / "defs.yaml") for error in cause.errors)


def _external_spec_text() -> str:
    """The shop's profile sync over a CRM table nothing in the deployment builds."""
    document = yaml.safe_load(CUSTOMER_STATE_DEFS.read_text(encoding="utf-8"))
    document["attributes"]["source"].update(
        {"asset": "crm/member_snapshots", "relation": "crm.member_snapshots", "external": True}
    )
    # Loaded alone: no erasure sync of the shop to come after, and no identity plan between
    # the source and the plan.
    document["attributes"]["cadence"].pop("after")
    document["attributes"]["identity"].pop("email_attribute")
    return yaml.safe_dump(document, sort_keys=False)


EXTERNAL = dg.AssetKey(["crm", "member_snapshots"])


def test_an_external_source_is_declared_by_the_component_and_feeds_the_plan(
    sandbox: DefsFolderSandbox,
) -> None:
    directory = _write(sandbox, "crm", _external_spec_text())

    with sandbox.load_component_and_build_defs(defs_path=directory) as (_, defs):
        # The warehouse is the deployment's (definitions.py).
        warehouse = DuckDBWarehouse(database=str(sandbox.project_root / "warehouse.duckdb"))
        deployment = dg.Definitions.merge(defs, dg.Definitions(resources={"warehouse": warehouse}))
        specs = {spec.key: spec for spec in deployment.resolve_all_asset_specs()}
        graph = deployment.resolve_asset_graph()

    source = specs[EXTERNAL]
    assert "`crm.member_snapshots`" in (source.description or "")
    assert "built outside this deployment" in (source.description or "")
    assert source.kinds == {"duckdb"}
    assert source.metadata["dagster/table_name"] == "crm.member_snapshots"
    assert not graph.get(EXTERNAL).is_materializable
    assert graph.get(CUSTOMER_STATE_PLAN).parent_keys == {EXTERNAL}
    # No Python: the defs.yaml is the only code that declares it.
    references = source.metadata["dagster/code_references"].code_references
    assert [Path(reference.file_path) for reference in references] == [directory / "defs.yaml"]


def test_an_external_source_that_the_deployment_also_builds_is_refused_by_name(
    sandbox: DefsFolderSandbox,
) -> None:
    directory = _write(sandbox, "crm", _external_spec_text())

    @dg.asset(key=EXTERNAL)
    def member_snapshots() -> None:
        """A model of the deployment that builds the relation the spec calls external."""

    with sandbox.load_component_and_build_defs(defs_path=directory) as (component, defs):
        deployment = dg.Definitions.merge(defs, dg.Definitions(assets=[member_snapshots]))
        with pytest.raises(ValueError) as raised:
            check_external_sources([component.spec], deployment)

    message = str(raised.value)
    line = component.spec.lines["source.external"]
    assert message.startswith(f"{directory / 'defs.yaml'}:{line}: source.external: ")
    assert "by the asset definition 'crm__member_snapshots'. Fix" in message
    assert "Fix: remove `external: true`" in message


def test_two_specs_declaring_one_external_source_are_refused(sandbox: DefsFolderSandbox) -> None:
    first = _write(sandbox, "crm", _external_spec_text())
    document = yaml.safe_load(_external_spec_text())
    document["attributes"].update({"name": "crm_copy", "ledger_schema": "cio_crm_copy"})
    second = _write(sandbox, "crm_copy", yaml.safe_dump(document, sort_keys=False))

    with (
        sandbox.load_component_and_build_defs(defs_path=first) as (one, _),
        sandbox.load_component_and_build_defs(defs_path=second) as (other, _),
        pytest.raises(ValueError, match="both declare the external asset 'crm/member_snapshots'"),
    ):
        check_external_sources([one.spec, other.spec], dg.Definitions())


def test_a_defs_yaml_that_is_not_yaml_is_reported_as_a_spec_error(
    sandbox: DefsFolderSandbox,
) -> None:
    text = CUSTOMER_STATE_DEFS.read_text(encoding="utf-8")
    text = text.replace("  version: 1\n", "  version: 1\n  description: [unclosed\n", 1)
    directory = _write(sandbox, "broken", text)

    with pytest.raises(Exception) as raised, sandbox.build_all_defs():
        pass

    invalid = defs_yaml_syntax_error(raised.value)
    assert invalid is not None, raised.value
    (error,) = invalid.errors
    assert (error.file, error.field) == (str(directory / "defs.yaml"), "(YAML)")
    opened = text.splitlines().index("  description: [unclosed") + 1
    assert error.line == opened + 1  # where the parser stopped
    assert f"while parsing a flow sequence at line {opened}" in error.problem
    assert str(error).endswith("Fix: correct the syntax")


def test_an_error_that_is_not_yaml_syntax_is_left_alone() -> None:
    assert defs_yaml_syntax_error(ValueError("not about YAML")) is None


def test_an_external_source_also_declared_in_python_is_refused(sandbox: DefsFolderSandbox) -> None:
    """The Python declaration external: true replaces must go, or the two would disagree."""
    directory = _write(sandbox, "crm", _external_spec_text())

    with sandbox.load_component_and_build_defs(defs_path=directory) as (component, defs):
        deployment = dg.Definitions.merge(defs, dg.Definitions(assets=[dg.AssetSpec(EXTERNAL)]))
        with pytest.raises(ValueError, match="also defined elsewhere in this deployment, by an"):
            check_external_sources([component.spec], deployment)
        # Alone, the spec's own declaration is no conflict.
        check_external_sources([component.spec], defs)
