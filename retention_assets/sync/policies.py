"""The sync's policies, declared once: backfill safety, volume guard and the late-data window.

Every number here is shown in the Dagster UI (asset descriptions and metadata), so the
people who own the journeys can see what protects them without reading code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# Customer.io starts event-triggered campaigns for events stamped within the last 72 hours.
TRIGGER_WINDOW: Final = dt.timedelta(hours=72)
# Clock skew and send duration: treat a little more than 72 hours as trigger-eligible.
TRIGGER_WINDOW_MARGIN: Final = dt.timedelta(hours=1)

# Scheduled event syncs rebuild and resend this many most recent daily partitions, so rows
# that land late (refunds, subscription changes) are picked up; ledger and ULIDs prevent
# duplicates.
EVENTS_TRAILING_DAYS: Final = 3

BACKFILL_SUFFIX: Final = " (backfill)"
BACKFILL_PROPERTY: Final = "cio_backfill"

# Run tags a person (or a schedule) can set on a run.
BACKFILL_POLICY_TAG: Final = "retention/backfill_policy"
ALLOW_VOLUME_TAG: Final = "retention/allow_volume"
DAGSTER_BACKFILL_TAG: Final = "dagster/backfill"


class BackfillPolicy(StrEnum):
    """What a backfill (or the very first sync) does with events that could fire journeys."""

    RENAME = "rename"  # send as "<name> (backfill)": stored, visible, triggers nothing
    MARK = "mark"  # send under the live name with cio_backfill=true; journeys must filter
    SUPPRESS = "suppress"  # do not send events inside the trigger window at all


DEFAULT_BACKFILL_POLICY: Final = BackfillPolicy.RENAME


class RemovalPolicy(StrEnum):
    """What happens to a profile this sync wrote once its row is gone from the source."""

    KEEP = "keep"  # leave the profile as it is (nothing is sent)
    CLEAR = "clear"  # remove the attributes this sync wrote (identify with them set to null)
    DELETE = "delete"  # delete the person (a later identify re-creates it)
    SUPPRESS = "suppress"  # delete the person and block its id from being re-added


DEFAULT_REMOVAL_POLICY: Final = RemovalPolicy.KEEP
# What a person who left the source becomes, for each policy (docs/removals.md).
_REMOVAL_EFFECT: Final = {
    RemovalPolicy.KEEP: "is left as it is in Customer.io",
    RemovalPolicy.CLEAR: "keeps its profile, without the attributes this sync wrote",
    RemovalPolicy.DELETE: "is deleted from Customer.io (re-created if the row comes back)",
    RemovalPolicy.SUPPRESS: (
        "is deleted and suppressed in Customer.io (never re-created: a returning row is"
        " reported as a rejected row, not sent)"
    ),
}


@dataclass(frozen=True)
class VolumeGuard:
    """Limits on one plan, relative to what Customer.io already holds.

    A limit is ``max(floor, share * base)``: the floor lets small workspaces move, the share
    scales with the number of profiles (or events) already synced.
    """

    new_profiles_share: float = 0.10
    new_profiles_floor: int = 1_000
    changed_attributes_share: float = 0.50
    changed_attributes_floor: int = 10_000
    cleared_attributes_share: float = 0.05
    cleared_attributes_floor: int = 1_000
    events_share: float = 0.50
    events_floor: int = 50_000
    removals_share: float = 0.05
    removals_floor: int = 100

    def limit(self, share: float, floor: int, base: int) -> int:
        return max(floor, int(share * base))


DEFAULT_VOLUME_GUARD: Final = VolumeGuard()


def trigger_cutoff(now: dt.datetime) -> dt.datetime:
    """The earliest event time for which Customer.io could start event-triggered journeys."""
    return now - TRIGGER_WINDOW - TRIGGER_WINDOW_MARGIN


def describe_policies(
    guard: VolumeGuard = DEFAULT_VOLUME_GUARD,
    backfill_policy: BackfillPolicy = DEFAULT_BACKFILL_POLICY,
    trailing_days: int = EVENTS_TRAILING_DAYS,
    on_removed: RemovalPolicy | None = DEFAULT_REMOVAL_POLICY,
) -> str:
    """Markdown shown on a sync's assets in the UI, with the limits its spec declares.

    ``on_removed`` is the profile sync's removal policy; None for a stream without profiles.
    """
    removals = (
        f"**Removals** (`on_removed: {on_removed}`): a profile this sync wrote whose row is gone"
        f" from the source {_REMOVAL_EFFECT[on_removed]}. Only the newest partition the sync"
        " has written removes anyone: a backfill of an older day never does, nor a day without"
        " rows. "
        if on_removed is not None
        else "**Erasures**: "
    )
    return (
        f"**Backfill policy** (backfill runs, the first sync, and every run that resumes one of"
        f" them until it completes): `{backfill_policy}`"
        f" for events within {int(TRIGGER_WINDOW.total_seconds() // 3600)} h"
        f" (+{int(TRIGGER_WINDOW_MARGIN.total_seconds() // 3600)} h margin) of now;"
        f" override with run tag `{BACKFILL_POLICY_TAG}` = rename | mark | suppress.\n\n"
        f"**Volume guard**: new profiles <= max({guard.new_profiles_floor},"
        f" {guard.new_profiles_share:.0%} of synced profiles); changed attributes <="
        f" max({guard.changed_attributes_floor}, {guard.changed_attributes_share:.0%} of synced"
        f" attributes); cleared attributes <= max({guard.cleared_attributes_floor},"
        f" {guard.cleared_attributes_share:.0%}); events <= max({guard.events_floor},"
        f" {guard.events_share:.0%} of synced events); removals <= max({guard.removals_floor},"
        f" {guard.removals_share:.0%} of the profiles this sync wrote). The first sync into an"
        f" empty ledger is the initial import and passes (an erasure stream's never does), and"
        f" so do the resumes of an import it approved."
        f" Allow a larger run with run tag `{ALLOW_VOLUME_TAG}=true` or the plan's run config"
        f" `allow_volume: true`.\n\n"
        f"**Late data**: scheduled runs resend the last {trailing_days} days.\n\n"
        f"{removals}An id on the workspace's suppression list (an erasure request, or"
        " `on_removed: suppress`) is never sent again: its rows are rejected rows, reason"
        " `erased` or `suppressed`."
    )
