"""Source links: each asset names the file and line that define it, locally or in the repo."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from retention_assets.definitions import sync_tree
from retention_assets.settings import SettingsError, load_settings
from retention_assets.shop import CUSTOMER_STATE_PLAN
from retention_assets.shop_specs import CUSTOMER_STATE_DEFS
from retention_assets.source_links import with_source_links

THIS_FILE = "tests/retention_assets/test_source_links.py"
REPOSITORY = "https://github.com/acme/retention"


@dg.asset
def linked_model() -> None:
    """An asset defined in this file, at a known place."""


def _line() -> int:
    return linked_model.op.compute_fn.decorated_fn.__code__.co_firstlineno


def _references(assets: object) -> list[object]:
    (asset,) = assets  # type: ignore[misc]
    (spec,) = asset.specs
    return list(spec.metadata["dagster/code_references"].code_references)


def test_without_a_repository_the_link_opens_the_local_file() -> None:
    (reference,) = _references(with_source_links([linked_model], load_settings({})))

    assert isinstance(reference, dg.LocalFileCodeReference)
    assert reference.file_path.endswith(THIS_FILE)
    assert reference.line_number == _line()


def test_with_a_repository_the_link_opens_the_file_on_the_branch() -> None:
    settings = load_settings(
        {"RETENTION_SOURCE_GIT_URL": REPOSITORY, "RETENTION_SOURCE_GIT_BRANCH": "main"}
    )

    (reference,) = _references(with_source_links([linked_model], settings))

    assert isinstance(reference, dg.UrlCodeReference)
    assert reference.url == f"{REPOSITORY}/tree/main/{THIS_FILE}#L{_line()}"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RETENTION_SOURCE_GIT_URL": REPOSITORY}, "set both RETENTION_SOURCE_GIT_URL and"),
        ({"RETENTION_SOURCE_GIT_BRANCH": "main"}, "set both RETENTION_SOURCE_GIT_URL and"),
        (
            {"RETENTION_SOURCE_GIT_URL": "git@github.com:a/b", "RETENTION_SOURCE_GIT_BRANCH": "m"},
            "RETENTION_SOURCE_GIT_URL must be an https:// URL",
        ),
    ],
)
def test_a_half_configured_repository_fails_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def _plan_references(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> list[object]:
    """The code references of the shop's profile plan, as the defs folder builds it."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    defs = sync_tree().build_defs()
    (plan,) = [a for a in defs.assets or () if CUSTOMER_STATE_PLAN in a.keys]  # type: ignore[union-attr]
    metadata = plan.specs_by_key[CUSTOMER_STATE_PLAN].metadata  # type: ignore[union-attr]
    return list(metadata["dagster/code_references"].code_references)


def _type_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith("type:"))


def test_a_syncs_defs_yaml_is_linked_locally_without_a_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RETENTION_SOURCE_GIT_URL", raising=False)
    monkeypatch.delenv("RETENTION_SOURCE_GIT_BRANCH", raising=False)

    references = _plan_references(monkeypatch, {})

    local = [r for r in references if isinstance(r, dg.LocalFileCodeReference)]
    assert len(local) == len(references)
    assert str(CUSTOMER_STATE_DEFS) in {reference.file_path for reference in local}


def test_with_a_repository_a_syncs_defs_yaml_opens_on_the_branch_like_its_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"RETENTION_SOURCE_GIT_URL": REPOSITORY, "RETENTION_SOURCE_GIT_BRANCH": "main"}

    references = _plan_references(monkeypatch, env)

    assert all(isinstance(reference, dg.UrlCodeReference) for reference in references)
    urls = {reference.url for reference in references}  # type: ignore[attr-defined]
    defs_yaml = "retention_assets/defs/customer_state/defs.yaml"
    # Dagster places a component's reference at the start of its document, its `type:`.
    assert f"{REPOSITORY}/tree/main/{defs_yaml}#L{_type_line(CUSTOMER_STATE_DEFS)}" in urls
    assert any(url.startswith(f"{REPOSITORY}/tree/main/retention_assets/sync/") for url in urls)
