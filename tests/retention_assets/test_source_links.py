"""Source links: each asset names the file and line that define it, locally or in the repo."""

from __future__ import annotations

import dagster as dg
import pytest

from retention_assets.settings import SettingsError, load_settings
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
