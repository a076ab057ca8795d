"""The example shop's two syncs, declared as specs like any team's: customer state and events.

The shop is the project's worked example: its models (``retention_assets.models``) feed two
syncs declared as ``CustomerIOSync`` components in the defs folder
(``retention_assets/defs/<name>/defs.yaml``), and the engine builds their assets from the
specs alone. Tests and tools that exercise the shop's syncs take their streams and keys from
here; the specs themselves are read by ``retention_assets.shop_specs``.
"""

from __future__ import annotations

from typing import Final

import dagster as dg

from asset_checks.sync_checks import stream_checks
from retention_assets.shop_specs import CUSTOMER_STATE_SPEC, EVENTS_SPEC
from retention_assets.sync.sends import stream_assets
from retention_assets.sync.stream import SyncStream

CUSTOMER_STATE: Final = SyncStream(CUSTOMER_STATE_SPEC)
EVENTS: Final = SyncStream(EVENTS_SPEC)

CUSTOMER_STATE_MODEL: Final = CUSTOMER_STATE.upstream
EVENTS_MODEL: Final = EVENTS.upstream
CUSTOMER_STATE_PLAN: Final = CUSTOMER_STATE.plan_key
CUSTOMER_STATE_SYNC: Final = CUSTOMER_STATE.send_key
EVENTS_PLAN: Final = EVENTS.plan_key
EVENTS_SYNC: Final = EVENTS.send_key


def shop_sync_assets(shards: int = 1) -> list[dg.AssetsDefinition]:
    """The shop's plan and send assets, sends split into ``shards`` steps."""
    return [*stream_assets(CUSTOMER_STATE, shards), *stream_assets(EVENTS, shards)]


def shop_sync_checks() -> list[dg.AssetChecksDefinition]:
    """The shop's sync checks (volume guards, rejections, delivery, drift)."""
    return [*stream_checks(CUSTOMER_STATE), *stream_checks(EVENTS)]
