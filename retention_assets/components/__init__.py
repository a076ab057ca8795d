"""Dagster components of this project, listed by ``dg list components`` (``registry_modules``).

A sync is declared as a ``defs.yaml`` of :class:`CustomerIOSync` under
``retention_assets/defs/<name>/`` (docs/components.md).
"""

from retention_assets.components.customerio_sync import CustomerIOSync

__all__ = ["CustomerIOSync"]
