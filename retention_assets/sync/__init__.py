"""The Customer.io sync: plans, sends, ledgers and the checks around them."""

from retention_assets.sync.assets import SYNC_ASSETS
from retention_assets.sync.checks import SYNC_CHECKS

__all__ = ["SYNC_ASSETS", "SYNC_CHECKS"]
