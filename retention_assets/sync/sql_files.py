"""Loads the sync engine's SQL files; :meth:`SyncStream.sql` fills in one sync's names."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"


@cache
def sql_file(name: str) -> str:
    """The text of one ``sql/<name>.sql`` file, a template with ``{sync}`` and ``{source}``."""
    return (SQL_DIR / f"{name}.sql").read_text()
