"""Source links in the Dagster UI: each asset points at the code that defines it.

``dg.with_source_code_references`` records the file and line of every asset's function; with
``RETENTION_SOURCE_GIT_URL`` and ``RETENTION_SOURCE_GIT_BRANCH`` set, the links go to the
repository's web view instead of the local file (paths taken relative to the project root).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import dagster as dg
from dagster._core.definitions.assets.definition.cacheable_assets_definition import (
    CacheableAssetsDefinition,
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
        file_path_mapping=dg.AnchorBasedFilePathMapping(
            local_file_anchor=PROJECT_ROOT, file_anchor_path_in_repository=""
        ),
    )
