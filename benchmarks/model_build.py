"""Time one partition build of each warehouse model on generated customers.

A full build of a day of customer state (every customer) and a window of events read the full
raw history, so their cost grows with the customer base and the history length; a day of
customer state built from the day before computes only the customers the day's raw rows
touched, so its cost follows the day's activity. This script measures those costs where they
matter, on a year of generated sources at 100k and 1M customers, through the real Dagster
assets and resource.

    python -m benchmarks.model_build [--customers 100000 1000000] [--days 365] [--threads N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from resources.warehouse import DuckDBWarehouse
from retention_assets.models import MODEL_ASSETS, retention_customer_state
from retention_assets.partitions import DAILY_PARTITIONS
from retention_assets.settings import load_settings
from retention_assets.sources.generator import generate_sources

# The name suffix of the customer state build that starts from the day before's.
INCREMENTAL = "(incremental)"
# Keep Dagster's per-step console logging out of the timing table.
_QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class ModelTiming:
    asset: str
    seconds: float
    cpu_seconds: float
    rows: int


@dataclass(frozen=True)
class ScaleResult:
    customers: int
    raw_rows: int
    generate_seconds: float
    models: tuple[ModelTiming, ...]


def _timed_build(
    asset: dg.AssetsDefinition, warehouse: DuckDBWarehouse, partition: str, name: str
) -> ModelTiming:
    started, cpu_started = time.perf_counter(), time.process_time()
    result = dg.materialize(
        [asset],
        # The erasure requests are rebuilt whole: no partition.
        partition_key=partition if asset.partitions_def is not None else None,
        resources={"warehouse": warehouse},
        instance=dg.DagsterInstance.ephemeral(),
        run_config=_QUIET_RUN,
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    (materialization,) = result.asset_materializations_for_node(asset.key.path[-1])
    rows = materialization.metadata["dagster/row_count"]
    if not isinstance(rows, dg.IntMetadataValue) or rows.value is None:
        raise RuntimeError(f"{name} reported no row count: {rows!r}")
    return ModelTiming(name, seconds, cpu_seconds, rows.value)


def measure(customers: int, days: int, partition: str, threads: int | None) -> ScaleResult:
    """Generate ``customers`` into a temporary DuckDB file and build ``partition`` of each model."""
    with tempfile.TemporaryDirectory(prefix="model_build_") as directory:
        database = Path(directory) / "bench.duckdb"
        started = time.perf_counter()
        with duckdb.connect(database, config={"threads": threads} if threads else {}) as con:
            summary = generate_sources(
                con,
                customers=customers,
                days=days,
                end_date=dt.date.fromisoformat(partition),
                shop_timezone=load_settings().shop_timezone,
            )
            con.execute("CHECKPOINT")
        generate_seconds = time.perf_counter() - started
        warehouse = DuckDBWarehouse(database=str(database), threads=threads)
        day_before = (dt.date.fromisoformat(partition) - dt.timedelta(days=1)).isoformat()
        timings = []
        for asset in MODEL_ASSETS:
            name = asset.key.to_user_string()
            if asset is retention_customer_state:
                # The day before in full (nothing on record), then the day from it, as the
                # daily schedule builds one day after the other.
                timings.append(_timed_build(asset, warehouse, day_before, name))
                name = f"{name} {INCREMENTAL}"
            timings.append(_timed_build(asset, warehouse, partition, name))
    return ScaleResult(
        customers=customers,
        raw_rows=sum(summary.row_counts.values()),
        generate_seconds=generate_seconds,
        models=tuple(timings),
    )


def render(results: Sequence[ScaleResult], days: int, partition: str) -> str:
    """A markdown table: one line per scale and model."""
    lines = [
        f"Model build, partition {partition}, {days} days of generated history",
        "",
        "| customers | raw rows | generate s | asset | build s | cpu s | rows written |",
        "|---:|---:|---:|---|---:|---:|---:|",
    ]
    for result in results:
        for timing in result.models:
            lines.append(
                f"| {result.customers:,} | {result.raw_rows:,} | {result.generate_seconds:.1f}"
                f" | {timing.asset} | {timing.seconds:.2f} | {timing.cpu_seconds:.2f}"
                f" | {timing.rows:,} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.model_build", description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--partition",
        default=DAILY_PARTITIONS.get_last_partition_key(),
        help="partition to build, YYYY-MM-DD; the generated history ends on it (default: latest)",
    )
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    args = parser.parse_args(argv)
    results = [
        measure(customers, args.days, args.partition, args.threads) for customers in args.customers
    ]
    print(render(results, args.days, args.partition))


if __name__ == "__main__":
    main()
