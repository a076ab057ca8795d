"""Deterministic synthetic source data for the `raw` contract.

The models, checks and syncs must be exercised against the mess real sources deliver (CDC
history, orphan rows, stray emails, store-local times across DST, late and re-loaded rows)
at production volume, without access to a production warehouse. This module fills every
``raw.*`` table of ``raw_schema.RAW_TABLES`` inside DuckDB, in set-based SQL (the steps in
``sql/``), so a million customers take minutes, not hours.

Randomness is a hash of (seed, row key, purpose) instead of ``random()``: the same seed and
parameters give the same rows whatever the thread count or scan order, for a given DuckDB
version. Every messy case is produced on purpose and counted in the returned summary.

Shop timestamps are converted with DuckDB's ICU time zones (bundled with the Python
package). Run ``python -m retention_assets.sources.generator --help`` for the command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from resources.sql_files import package_sql
from retention_assets.settings import DEFAULT_SHOP_TIMEZONE, SHOP_TIMEZONE, load_settings
from retention_assets.sources.raw_schema import RAW_TABLES, create_raw_schema_sql

# The SQL steps, in dependency order: each reads the staging tables of the steps before it.
FILL_STEPS = (
    "setup",
    "customers",
    "orders",
    "refunds",
    "subscriptions",
    "support_tickets",
    "web_sessions",
    "loyalty_accounts",
    "privacy_requests",
    "categories",
    "reloads",
)
MIN_DAYS = 7
MAX_CUSTOMERS = 50_000_000
_EPOCH = dt.datetime(1970, 1, 1)
# The generator keeps its instants this far inside the window so that the naive store-local
# time of any zone (UTC-12 to UTC+14) still lies within the window's dates.
_ZONE_MARGIN = dt.timedelta(hours=14)
# Session settings the generator changes for speed and restores afterwards.
_FAST_SETTINGS = {"preserve_insertion_order": False}


@dataclass(frozen=True)
class GenerationSummary:
    """What one run produced: parameters, window, row counts and messy-case counts.

    ``window_start``/``window_end`` are naive datetimes bounding every raw timestamp,
    ``[start, end)``: midnight of ``end_date - days`` to midnight after ``end_date``.
    ``cases`` counts distinct rows (by key) made to be each messy case; re-load copies are
    counted only under ``duplicate_reload_rows*``. ``row_counts`` include the copies.
    """

    customers: int
    days: int
    end_date: dt.date
    seed: int
    shop_timezone: str
    window_start: dt.datetime
    window_end: dt.datetime
    row_counts: Mapping[str, int]
    cases: Mapping[str, int]
    step_seconds: Mapping[str, float]
    seconds: float

    def report(self) -> str:
        """Human-readable summary, one count per line."""
        lines = [
            f"customers={self.customers} days={self.days} end_date={self.end_date} "
            f"seed={self.seed} shop_timezone={self.shop_timezone}",
            f"window: [{self.window_start}, {self.window_end})",
            "rows:",
            *(f"  raw.{table:<18} {count:>12,}" for table, count in self.row_counts.items()),
            f"  {'total':<22} {sum(self.row_counts.values()):>12,}",
            "messy cases:",
            *(f"  {name:<38} {count:>12,}" for name, count in self.cases.items()),
            "timing:",
            *(f"  {step:<22} {seconds:>8.1f} s" for step, seconds in self.step_seconds.items()),
            f"  {'total':<22} {self.seconds:>8.1f} s",
        ]
        return "\n".join(lines)


def _sql(step: str) -> str:
    return package_sql(__package__ or "retention_assets.sources", f"sql/{step}.sql")


def _epoch_us(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def _validate(customers: int, days: int, seed: int, shop_timezone: str) -> None:
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise ValueError(f"customers must be between 1 and {MAX_CUSTOMERS}, got {customers}")
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS}, got {days}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    try:
        ZoneInfo(shop_timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"shop_timezone must be an IANA zone, got {shop_timezone!r}") from error


def _one_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The single row of an aggregate or setting query (which always returns one)."""
    row = result.fetchone()
    if row is None:
        raise RuntimeError("expected one row, the query returned none")
    return row


def _set_variables(con: duckdb.DuckDBPyConnection, variables: Mapping[str, object]) -> None:
    for name, value in variables.items():
        # Names are this module's constants; values go in as prepared parameters.
        con.execute(f"SET VARIABLE {name} = $value", {"value": value})


def generate_sources(
    con: duckdb.DuckDBPyConnection,
    *,
    customers: int,
    days: int,
    end_date: dt.date,
    seed: int = 7,
    shop_timezone: str = DEFAULT_SHOP_TIMEZONE,
) -> GenerationSummary:
    """(Re)create and fill every ``raw.*`` table of the contract, in one transaction.

    Existing raw tables are dropped first. Business timestamps of shop tables are naive
    wall-clock time in ``shop_timezone``; the other systems write naive UTC.
    """
    _validate(customers, days, seed, shop_timezone)
    started = time.perf_counter()
    window_start = dt.datetime.combine(end_date - dt.timedelta(days=days), dt.time())
    window_end = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time())
    variables = {
        "gen_seed": seed,
        "gen_customers": customers,
        "gen_shop_tz": shop_timezone,
        "gen_start_us": _epoch_us(window_start),
        "gen_end_us": _epoch_us(window_end),
        "gen_lo_us": _epoch_us(window_start + _ZONE_MARGIN),
        "gen_hi_us": _epoch_us(window_end - _ZONE_MARGIN),
    }
    saved_settings = {
        name: _one_row(con.execute("SELECT current_setting($name)", {"name": name}))[0]
        for name in _FAST_SETTINGS
    }
    step_seconds: dict[str, float] = {}
    try:
        for name, value in _FAST_SETTINGS.items():
            con.execute(f"SET {name} = $value", {"value": value})
        _set_variables(con, variables)
        con.begin()
        try:
            for table in RAW_TABLES.values():
                con.execute(f"DROP TABLE IF EXISTS {table.qualified_name}")
            con.execute(create_raw_schema_sql())
            for step in FILL_STEPS:
                step_started = time.perf_counter()
                con.execute(_sql(step))
                step_seconds[step] = time.perf_counter() - step_started
            step_started = time.perf_counter()
            result = con.execute(_sql("summary"))
            names = [column[0] for column in result.description]
            cases = dict(zip(names, map(int, _one_row(result)), strict=True))
            cases["duplicate_reload_rows"] = sum(
                value for name, value in cases.items() if name.startswith("duplicate_reload_rows_")
            )
            row_counts = {
                name: _one_row(con.execute(f"SELECT count(*) FROM {table.qualified_name}"))[0]
                for name, table in RAW_TABLES.items()
            }
            step_seconds["summary"] = time.perf_counter() - step_started
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.execute(_sql("cleanup"))
        for name in variables:
            con.execute(f"RESET VARIABLE {name}")
        for name, value in saved_settings.items():
            con.execute(f"SET {name} = $value", {"value": value})
    return GenerationSummary(
        customers=customers,
        days=days,
        end_date=end_date,
        seed=seed,
        shop_timezone=shop_timezone,
        window_start=window_start,
        window_end=window_end,
        row_counts=row_counts,
        cases=cases,
        step_seconds=step_seconds,
        seconds=time.perf_counter() - started,
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m retention_assets.sources.generator",
        description="Fill the raw.* source tables of a DuckDB file with synthetic data.",
    )
    parser.add_argument(
        "--db", type=Path, required=True, help="DuckDB file (its raw tables are replaced)"
    )
    parser.add_argument("--customers", type=int, required=True, help="number of customers")
    parser.add_argument("--days", type=int, required=True, help="length of the period")
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        required=True,
        help="last day of the period, YYYY-MM-DD",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed (default 7)")
    parser.add_argument(
        "--shop-timezone",
        default=load_settings().shop_timezone,
        help=f"zone of the shop's naive timestamps (default ${SHOP_TIMEZONE} or "
        f"{DEFAULT_SHOP_TIMEZONE})",
    )
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    config = {"threads": args.threads} if args.threads else {}
    with duckdb.connect(args.db, config=config) as con:
        # The summary reports per-step timings; a progress bar would interleave with them.
        con.execute("SET enable_progress_bar = false")
        summary = generate_sources(
            con,
            customers=args.customers,
            days=args.days,
            end_date=args.end_date,
            seed=args.seed,
            shop_timezone=args.shop_timezone,
        )
        con.execute("CHECKPOINT")
    print(summary.report())
    print(f"file: {args.db} ({args.db.stat().st_size / 2**20:,.1f} MiB)")


if __name__ == "__main__":
    main()
