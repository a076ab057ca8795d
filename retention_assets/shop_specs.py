"""The example shop's two specs, read once: its attribute registry and event vocabulary as data.

The shop's syncs are declared like any team's, in ``retention_assets/defs/<name>/defs.yaml``.
Those files are the one statement of which attributes the shop writes (name, kind, null
policy, description), which ones other systems own, and which event names journeys trigger
on. The shop's models, its model checks and its lineage read those facts from here, so a
change of the registry or of the vocabulary is a change of a reviewed YAML file.

This module reads the specs and nothing of the engine, so that the models and checks below
the engine can import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from retention_assets.specs import SyncSpec
from retention_assets.specs.load import load_component_spec

DEFS_DIR: Final = Path(__file__).parent / "defs"
CUSTOMER_STATE_DEFS: Final = DEFS_DIR / "customer_state" / "defs.yaml"
EVENTS_DEFS: Final = DEFS_DIR / "events" / "defs.yaml"

CUSTOMER_STATE_SPEC: Final[SyncSpec] = load_component_spec(CUSTOMER_STATE_DEFS)
EVENTS_SPEC: Final[SyncSpec] = load_component_spec(EVENTS_DEFS)
SHOP_SPECS: Final = (CUSTOMER_STATE_SPEC, EVENTS_SPEC)

# Model column -> the Customer.io attribute the profile sync writes from it, in spec order.
SYNC_MAPPING: Final[dict[str, str]] = {
    mapping.column: mapping.attribute for mapping in CUSTOMER_STATE_SPEC.attributes
}
# Model column -> what its attribute means, for the model's column descriptions.
ATTRIBUTE_DESCRIPTIONS: Final[dict[str, str]] = {
    mapping.column: mapping.description for mapping in CUSTOMER_STATE_SPEC.attributes
}


def _vocabulary(spec: SyncSpec) -> dict[str, str]:
    if spec.events is None:
        raise ValueError(f"{spec.path}: the shop's event spec declares no `events:`")
    return {entry.name: entry.description for entry in spec.events.vocabulary}


# The locked event vocabulary, in spec order: event name -> when it happens.
EVENT_VOCABULARY: Final[dict[str, str]] = _vocabulary(EVENTS_SPEC)
EVENT_NAMES: Final[tuple[str, ...]] = tuple(EVENT_VOCABULARY)
