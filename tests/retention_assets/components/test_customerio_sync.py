"""The CustomerIOSync component in process: a defs folder of Dagster's test sandbox, loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox

from retention_assets.components import CustomerIOSync
from retention_assets.shop import CUSTOMER_STATE_PLAN
from retention_assets.shop_specs import CUSTOMER_STATE_DEFS, CUSTOMER_STATE_SPEC
from retention_assets.specs import SpecInvalid

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
