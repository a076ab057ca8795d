"""Loads the sync engine's SQL files; :meth:`SyncStream.sql` fills in one sync's names."""

from __future__ import annotations

from resources.sql_files import package_sql


def sql_file(name: str) -> str:
    """The text of one ``sql/<name>.sql`` file, a template with ``{sync}`` and ``{source}``."""
    return package_sql("retention_assets.sync", f"sql/{name}.sql")
