"""Imports: a stream's initial import, a backfill, or an allowed plan, kept until it completes.

"First sync" used to mean "the ledger is empty", so a first import killed half-way was resumed
as live traffic (recent events under their live names, able to start journeys) and its resume
tripped the volume guard as if it were a new, abnormal plan. An import is now a row in
``cio_sync.sync_imports``: opened by the plan that starts it, approved by the volume guard (as
an initial import, or because a person allowed it), and completed only once nothing it planned
is left to send. Until then every run that touches it, whatever its tags, applies its backfill
policy and needs no new override.

Windows: an events import covers the partition days ``[window_start, window_end)`` it planned;
a run whose window overlaps it is part of it. Customer state is a snapshot, so a profiles
import is the stream's import whatever day it resumes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from resources.warehouse import WarehouseSession, transaction
from retention_assets.sync import ledger
from retention_assets.sync.policies import BackfillPolicy
from retention_assets.sync.stream import SyncStream


class ImportKind(StrEnum):
    INITIAL = "initial"  # the first sync of a stream into an empty ledger
    BACKFILL = "backfill"  # a run Dagster launched as a backfill
    ALLOWED = "allowed"  # a plan over the volume guard that a person allowed


@dataclass(frozen=True)
class SyncImport:
    """One import of one stream, as stored."""

    import_id: str
    stream: str
    profiles: (
        bool  # a profile (or membership) import covers the whole stream, an event import its window
    )
    window_start: dt.date
    window_end: dt.date
    kind: ImportKind
    backfill_policy: BackfillPolicy | None
    started_at: dt.datetime
    approval: str | None

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        if self.profiles:
            return True
        return self.window_start < end and start < self.window_end

    def covers(self, start: dt.date, end: dt.date) -> bool:
        if self.profiles:
            return True
        return self.window_start <= start and end <= self.window_end

    @property
    def label(self) -> str:
        window = (
            self.window_start.isoformat()
            if self.window_end - self.window_start == dt.timedelta(days=1)
            else f"[{self.window_start.isoformat()}, {self.window_end.isoformat()})"
        )
        return f"{self.kind} import of {self.stream} {window} started by run {self.import_id}"


def _open_imports(session: WarehouseSession, stream: SyncStream) -> list[SyncImport]:
    rows = session.fetch_all(stream.sql("open_imports"), {"stream": stream.name})
    return [
        SyncImport(
            import_id=str(row[0]),
            stream=str(row[1]),
            profiles=stream.kind != "events",
            window_start=row[2],
            window_end=row[3],
            kind=ImportKind(row[4]),
            backfill_policy=BackfillPolicy(row[5]) if row[5] else None,
            started_at=row[6],
            approval=row[7],
        )
        for row in rows
    ]


def _pending(session: WarehouseSession, stream: SyncStream, found: SyncImport) -> int:
    if found.profiles:
        name = (
            "import_pending_membership"
            if stream.kind == "membership"
            else "import_pending_profiles"
        )
        return int(session.fetch_all(stream.sql(name), {"stream": stream.name})[0][0])
    params = {"stream": stream.name, "start": found.window_start, "end": found.window_end}
    return int(session.fetch_all(stream.sql("import_pending_events"), params)[0][0])


def settle(session: WarehouseSession, stream: SyncStream, now: dt.datetime) -> list[SyncImport]:
    """Complete the open imports of ``stream`` with nothing left to send; return those.

    Called after a plan or send has created the sync tables.
    """
    completed = []
    for found in _open_imports(session, stream):
        if _pending(session, stream, found) == 0:
            session.execute(
                stream.sql("complete_import"),
                {"import_id": found.import_id, "stream": stream.name, "completed_at": now},
            )
            completed.append(found)
    return completed


def completed_metadata(completed: Sequence[SyncImport]) -> dict[str, str]:
    """The metadata entry that names the imports a send completed (none when it completed none)."""
    if not completed:
        return {}
    return {"imports_completed": ", ".join(found.label for found in completed)}


def open_import(
    session: WarehouseSession, stream: SyncStream, start: dt.date, end: dt.date
) -> SyncImport | None:
    """The open import of ``stream`` that a run of ``[start, end)`` belongs to, if any."""
    ledger.ensure_sync_tables(session, stream)
    for found in _open_imports(session, stream):
        if found.overlaps(start, end):
            return found
    return None


def has_history(session: WarehouseSession, stream: SyncStream) -> bool:
    """Whether Customer.io acknowledged a row of ``stream``; if not, a plan is an initial import."""
    profiles, events, members = session.fetch_all(stream.sql("stream_history"))[0]
    return bool({"profiles": profiles, "events": events, "membership": members}[stream.kind])


def begin_import(
    session: WarehouseSession,
    *,
    import_id: str,
    stream: SyncStream,
    start: dt.date,
    end: dt.date,
    kind: ImportKind,
    backfill_policy: BackfillPolicy | None,
    now: dt.datetime,
    approval: str | None = None,
) -> SyncImport:
    """Open an import (approved at once when ``approval`` is given), after ``open_import``."""
    with transaction(session):
        session.execute(
            stream.sql("begin_import"),
            {
                "import_id": import_id,
                "stream": stream.name,
                "window_start": start,
                "window_end": end,
                "kind": str(kind),
                "backfill_policy": str(backfill_policy) if backfill_policy else None,
                "started_at": now,
                "approval": approval,
                "approved_at": now if approval else None,
            },
        )
    return SyncImport(
        import_id,
        stream.name,
        stream.kind != "events",
        start,
        end,
        kind,
        backfill_policy,
        now,
        approval,
    )


def approve(
    session: WarehouseSession,
    stream: SyncStream,
    found: SyncImport,
    approval: str,
    now: dt.datetime,
) -> None:
    """Record the volume guard's approval: resumes of ``found`` pass the guard as it did."""
    session.execute(
        stream.sql("approve_import"),
        {
            "import_id": found.import_id,
            "stream": found.stream,
            "approval": approval,
            "approved_at": now,
        },
    )


def import_for_plan(
    session: WarehouseSession,
    *,
    run_id: str,
    stream: SyncStream,
    start: dt.date,
    end: dt.date,
    is_backfill: bool,
    backfill_policy: BackfillPolicy | None,
    now: dt.datetime,
) -> SyncImport | None:
    """The import a plan of ``[start, end)`` belongs to, opening one when the plan starts one.

    A plan is part of an open import it overlaps; else it starts the initial import when the
    stream has no history, or (events only) a backfill import when the run is a backfill.
    """
    found = open_import(session, stream, start, end)
    if found is not None:
        return found
    if not has_history(session, stream) and not stream.is_erasure:
        # An erasure stream never has an initial import: every suppress is judged by the
        # volume guard, the first run's included (a broken relation must not erase everyone).
        kind = ImportKind.INITIAL
    elif stream.kind == "events" and is_backfill:
        kind = ImportKind.BACKFILL
    else:
        return None
    return begin_import(
        session,
        import_id=run_id,
        stream=stream,
        start=start,
        end=end,
        kind=kind,
        backfill_policy=backfill_policy if stream.kind == "events" else None,
        now=now,
    )
