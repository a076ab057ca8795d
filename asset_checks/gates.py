"""The blocking checks of a source, run by each plan on exactly the rows it is about to plan.

A blocking model check stops a send only in a run that also materialises the model. A run of
the ``cio_sync`` assets alone (a re-send, a schedule, a sensor), a model that is a view or a
dbt table changed outside Dagster, or rows rewritten since the model's last check would all
reach Customer.io unchecked. So every plan evaluates the same blocking rules on the snapshot
it reads, in the same warehouse session, before it writes anything: a plan either holds rows
that passed every blocking gate, or it holds nothing for its window and says why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from asset_checks.factory import CheckOutcome, Scope, WarehouseCheck
from asset_checks.model_checks import model_checks
from asset_checks.spec_checks import spec_checks
from resources.warehouse import WarehouseSession
from retention_assets.sync.ledger import ensure_source_view, ensure_sync_tables
from retention_assets.sync.stream import SyncStream

PLAN_SNAPSHOT = "the rows the plan reads (checked by the plan itself)"


@dataclass(frozen=True)
class Refusal:
    """One blocking check that the planned rows fail."""

    check: WarehouseCheck
    outcome: CheckOutcome

    @property
    def label(self) -> str:
        rules = ", ".join(f"{r.name} ({r.failing:,} rows)" for r in self.outcome.failed)
        return f"{self.check.name}: {rules}"


def _prepare(session: WarehouseSession, stream: SyncStream) -> None:
    # The view lives in the sync's schema, which the first plan would otherwise create.
    ensure_sync_tables(session, stream)
    ensure_source_view(session, stream)


def source_checks(stream: SyncStream) -> list[WarehouseCheck]:
    """The checks every sync's source gets from its spec, on the sync's source view.

    Each creates the view first (it may run before any plan, e.g. right after the model).
    """
    may_be_future = [m.attribute for m in stream.spec.written_attributes if m.may_be_future]
    return [
        dataclasses.replace(check, prepare=lambda session: _prepare(session, stream))
        for check in spec_checks(
            stream.spec, stream.source_view, stream.upstream, may_be_future=may_be_future
        )
    ]


def blocking_checks(stream: SyncStream) -> list[WarehouseCheck]:
    """The gates the stream's rows must pass to be sent: its source's blocking checks.

    Those are the spec's checks and, for a model of this project, the model's own.
    """
    own = [check for check in model_checks() if check.asset == stream.upstream]
    return [check for check in [*source_checks(stream), *own] if check.blocking]


def refusals(
    session: WarehouseSession, stream: SyncStream, first_day: dt.date, last_day: dt.date
) -> list[Refusal]:
    """The blocking checks of the stream's source that fail on ``[first_day, last_day]``."""
    scope = Scope(first_day, last_day, PLAN_SNAPSHOT)
    found = []
    for check in blocking_checks(stream):
        outcome = check.evaluate(session, scope)
        if not outcome.passed:
            found.append(Refusal(check, outcome))
    return found


def refusal_failure(model: dg.AssetKey, window: str, found: Sequence[Refusal]) -> dg.Failure:
    """The error a refused plan raises: which checks failed, on what, and what to do."""
    model_name = model.to_user_string()
    description = (
        f"Refused to plan {window}: the rows of {model_name} fail"
        f" {len(found)} blocking check(s): {'; '.join(r.label for r in found)}. Nothing of"
        " this window will be sent (its pending plan was emptied). To fix: correct the rows"
        f" (samples below, and on the Checks tab of {model_name}), rebuild the model's"
        " partition(s), then run this plan again. The model checks run here as well as on"
        " the model, because a sync-only run or a model changed outside Dagster would"
        " otherwise send rows no check has seen."
    )
    metadata: dict[str, Any] = {"refused_by": ", ".join(r.check.name for r in found)}
    for refusal in found:
        result = refusal.check.result(refusal.outcome)
        for name, value in result.metadata.items():
            metadata[f"{refusal.check.name}: {name}"] = value
    return dg.Failure(description=description, metadata=metadata, allow_retries=False)
