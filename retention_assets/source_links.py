"""Source links in the Dagster UI: each asset points at the code that defines it.

``dg.with_source_code_references`` records the file and line of every asset's function; with
``RETENTION_SOURCE_GIT_URL`` and ``RETENTION_SOURCE_GIT_BRANCH`` set, the links go to the
repository's web view instead of the local file (paths taken relative to the project root).
A sync declared in a ``defs.yaml`` links to that file too (:func:`file_reference`, which the
component gives Dagster for it), the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import dagster as dg
from dagster._core.definitions.assets.definition.cacheable_assets_definition import (
    CacheableAssetsDefinition,
)
from dagster._core.definitions.metadata.source_code import (
    base_git_url,
    convert_local_path_to_git_path,
)

from retention_assets.settings import PROJECT_ROOT, Settings

# What dg.with_source_code_references accepts and returns.
AssetLike: TypeAlias = (
    dg.AssetsDefinition | dg.SourceAsset | CacheableAssetsDefinition | dg.AssetSpec
)


def with_source_links(assets: Sequence[AssetLike], settings: Settings) -> Sequence[AssetLike]:
    """``assets`` with a link to their source, local or in the repository."""
    linked = dg.with_source_code_references(assets)
    if settings.source_git_url is None or settings.source_git_branch is None:
        return linked
    return dg.link_code_references_to_git(
        assets_defs=linked,
        git_url=settings.source_git_url,
        git_branch=settings.source_git_branch,
        file_path_mapping=_in_repository(),
    )


def file_reference(
    path: Path, line: int | None, settings: Settings
) -> dg.LocalFileCodeReference | dg.UrlCodeReference:
    """A link to ``line`` of ``path``: in the repository when configured, else the local file.

    Dagster converts only the references of asset definitions, at the time they are linked; a
    ``defs.yaml`` reference is added later, by the defs folder, so it is converted here.
    """
    local = dg.LocalFileCodeReference(file_path=str(path), line_number=line)
    if settings.source_git_url is None or settings.source_git_branch is None:
        return local
    base = base_git_url(settings.source_git_url, settings.source_git_branch, platform=None)
    return convert_local_path_to_git_path(base, _in_repository(), local)


def _in_repository() -> dg.AnchorBasedFilePathMapping:
    """Paths in the repository are paths relative to the project root."""
    return dg.AnchorBasedFilePathMapping(
        local_file_anchor=PROJECT_ROOT, file_anchor_path_in_repository=""
    )
