"""The Customer.io sync: plans, sends, ledgers and the checks around them.

``SYNC_ASSETS`` are the sync assets as configured: their sends split into
``RETENTION_SYNC_SHARDS`` parallel steps (one by default).
"""

from retention_assets.settings import load_settings
from retention_assets.sync.checks import SYNC_CHECKS
from retention_assets.sync.fanout import sync_assets

SYNC_ASSETS = sync_assets(load_settings().sync_shards)

__all__ = ["SYNC_ASSETS", "SYNC_CHECKS"]
