"""What each shard step of a send reported, kept in the warehouse for the summary step.

The steps of a send hand nothing to each other through Dagster's IO manager: each shard writes
its report to ``<schema>.send_reports`` in the transaction that ends its step, and the summary
step reads them. So a send works on every executor (a pod per step included) without shared
storage, and a shard re-executed from failure replaces its own report in the run group
(Dagster's root run of the re-execution), so the summary of the re-execution adds up every
shard exactly once.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import orjson

from resources.customerio import Rejection
from resources.warehouse import WarehouseSession, transaction
from retention_assets.sync.policies import BackfillPolicy
from retention_assets.sync.send import SyncReport
from retention_assets.sync.shards import Shard
from retention_assets.sync.stream import SyncStream

# Reports older than this are pruned: no summary reads them after its run group has ended.
_KEPT_FOR = dt.timedelta(days=30)


@dataclass(frozen=True)
class ShardReport:
    """What one shard's send did: its counts, the policy it applied, the import it was part of."""

    shard: Shard
    report: SyncReport
    backfill_policy: BackfillPolicy | None = None
    import_metadata: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> str:
        report = dataclasses.asdict(self.report)
        return orjson.dumps(
            {
                "report": report,
                "backfill_policy": str(self.backfill_policy) if self.backfill_policy else None,
                "import_metadata": self.import_metadata,
            }
        ).decode()

    @classmethod
    def from_json(cls, shard: Shard, text: str) -> "ShardReport":
        document: dict[str, Any] = orjson.loads(text)
        values = dict(document["report"])
        values["rejection_sample"] = [Rejection(**r) for r in values["rejection_sample"]]
        policy = document["backfill_policy"]
        return cls(
            shard=shard,
            report=SyncReport(**values),
            backfill_policy=BackfillPolicy(policy) if policy else None,
            import_metadata=dict(document["import_metadata"]),
        )


def run_group(run: dg.DagsterRun) -> str:
    """The run whose shards a summary adds up: a re-execution belongs to its root run."""
    return run.root_run_id or run.run_id


def record(session: WarehouseSession, stream: SyncStream, group: str, result: ShardReport) -> None:
    """Keep one shard's report, replacing what an earlier attempt of the shard reported."""
    now = dt.datetime.now(dt.UTC)
    params = {
        "stream": stream.name,
        "run_group": group,
        "shard_index": result.shard.index,
        "shard_count": result.shard.count,
    }
    with transaction(session):
        session.execute(
            stream.sql("forget_send_report"), {**params, "expired_before": now - _KEPT_FOR}
        )
        session.execute(
            stream.sql("record_send_report"),
            {**params, "report": result.as_json(), "reported_at": now},
        )


def reports(
    session: WarehouseSession, stream: SyncStream, group: str, shard_count: int
) -> list[ShardReport]:
    """The reports of every shard of the group's send; fails if one is missing."""
    rows = session.fetch_all(
        stream.sql("send_reports"),
        {"stream": stream.name, "run_group": group, "shard_count": shard_count},
    )
    found = [ShardReport.from_json(Shard(int(index), shard_count), text) for index, text in rows]
    missing = sorted(set(range(shard_count)) - {result.shard.index for result in found})
    if missing:
        labels = ", ".join(Shard(index, shard_count).label for index in missing)
        raise dg.Failure(
            f"{stream.name}: no report of shard {labels} in run group {group}. The summary runs"
            " after every shard step succeeded; re-execute the run from failure."
        )
    return found
