"""The one loader of the project's ``.sql`` files, read from the installed packages.

SQL lives beside the code that runs it (models, checks, the sync engine); every module reads
its files through :func:`package_sql`, so a file is found the same way in a checkout, an
editable install and a wheel, and read once per process.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def package_sql(package: str, path: str) -> str:
    """The text of the file ``path`` (e.g. ``sql/plan.sql``) shipped in ``package``."""
    return resources.files(package).joinpath(path).read_text(encoding="utf-8")
