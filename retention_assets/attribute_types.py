"""The types of a Customer.io attribute: how its value is encoded, how a null syncs, who owns it.

Customer.io profiles are written by several systems (real-time tracking, the shop's own
integration, this pipeline). Two writers of one attribute overwrite each other and journeys
flicker, so every attribute has exactly one owner, and a sync writes only its own. Which
attributes exist is data: each sync spec declares the ones it writes and the workspace's
foreign ones (``retention_assets.specs``); this module holds only the vocabulary they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# The owner of every attribute a sync writes.
PIPELINE_OWNER: Final = "retention_pipeline"


class NullPolicy(StrEnum):
    """What a null in the warehouse does to the profile attribute."""

    SKIP = "skip"  # leave the value in Customer.io as it is
    CLEAR = "clear"  # remove the attribute from the profile


class ValueKind(StrEnum):
    """How a column's value is encoded for Customer.io."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"  # sent as integer unix seconds


@dataclass(frozen=True)
class Attribute:
    name: str
    owner: str
    kind: ValueKind
    description: str
    null_policy: NullPolicy = NullPolicy.SKIP
