"""The benchmark's results, the issue's targets, and the markdown that shows them side by side.

Every figure is a row declared once below, with the targets that judge it; the printed table,
``docs/benchmarks.md`` and the smoke test (which checks that every label is present) all read
these declarations, so a figure cannot be printed without its target or silently dropped.
The targets are the issue's, stated for 1M customers; smaller scales are judged by the same
rules for reference.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from benchmarks.client_limit import ClientLimit
from benchmarks.sdk_baseline import SdkBaseline
from benchmarks.sync_bench import StreamFigures, SyncRun

MIB: Final = 1024 * 1024
RSS_LIMIT_BYTES: Final = 1024 * MIB
MAX_REQUESTS_PER_SECOND: Final = 100.0


@dataclass(frozen=True)
class LatencyResult:
    """Every sync figure taken at one sandbox latency."""

    latency_ms: float
    sdk: SdkBaseline
    initial: SyncRun
    unchanged: SyncRun
    """Profiles of the partition and the events schedule's trailing window, nothing changed."""
    changed: SyncRun
    changed_customers: int


@dataclass(frozen=True)
class ScaleResult:
    customers: int
    days: int
    as_of: dt.date
    raw_rows: int
    events: int
    generation_seconds: float
    model_seconds: dict[str, float]
    events_backfill_seconds: float
    check_suite_seconds: float
    client_limit: ClientLimit
    latencies: tuple[LatencyResult, ...]


@dataclass(frozen=True)
class Check:
    """One target: a test of a figure, at one latency or (latency None) at every latency."""

    text: str
    passes: Callable[[float], bool]
    latency_ms: float | None = None


Value = float | None


@dataclass(frozen=True)
class WarehouseRow:
    section: int
    label: str
    value: Callable[[ScaleResult], Value]
    fmt: str


@dataclass(frozen=True)
class SyncRow:
    section: int
    label: str
    value: Callable[[ScaleResult, LatencyResult], Value]
    fmt: str
    checks: tuple[Check, ...] = ()


def _ratio(ours: float, theirs: float) -> Value:
    return ours / theirs if theirs else None


def _mib(size: int) -> float:
    return size / MIB


def _mb(size: int) -> float:
    return size / 1_000_000


def _profiles(run: SyncRun) -> StreamFigures:
    assert run.profiles is not None
    return run.profiles


def _events(run: SyncRun) -> StreamFigures:
    assert run.events is not None
    return run.events


def _at_most(limit: float) -> Callable[[float], bool]:
    return lambda value: value <= limit


def _below(limit: float) -> Callable[[float], bool]:
    return lambda value: value < limit


def _at_least(limit: float) -> Callable[[float], bool]:
    return lambda value: value >= limit


RSS_CHECK: Final = Check("< 1 GiB", _below(RSS_LIMIT_BYTES / MIB))
RPS_CHECK: Final = Check("<= 100/s", _at_most(MAX_REQUESTS_PER_SECOND))
LIMIT_SHARE_CHECK: Final = Check(">= 50% at 0 ms", _at_least(0.5), 0)

WAREHOUSE_ROWS: Final[tuple[WarehouseRow, ...]] = (
    WarehouseRow(1, "source generation (s)", lambda s: s.generation_seconds, "{:,.1f}"),
    WarehouseRow(
        1,
        "model build: retention_customer_state, one partition (s)",
        lambda s: s.model_seconds.get("retention_customer_state"),
        "{:,.1f}",
    ),
    WarehouseRow(
        1,
        "model build: retention_events, one partition (s)",
        lambda s: s.model_seconds.get("retention_events"),
        "{:,.1f}",
    ),
    WarehouseRow(
        1,
        "model build: retention_events, whole period in one run (s)",
        lambda s: s.events_backfill_seconds,
        "{:,.1f}",
    ),
    WarehouseRow(1, "check suite, one partition (s)", lambda s: s.check_suite_seconds, "{:,.2f}"),
    WarehouseRow(
        5,
        "client-side limit, profiles: read + serialise (rows/s)",
        lambda s: s.client_limit.profiles.rate,
        "{:,.0f}",
    ),
    WarehouseRow(
        5,
        "client-side limit, events: read + serialise (rows/s)",
        lambda s: s.client_limit.events.rate,
        "{:,.0f}",
    ),
    WarehouseRow(
        5,
        "client-side limit, all: read + serialise (rows/s)",
        lambda s: s.client_limit.rate,
        "{:,.0f}",
    ),
)

SYNC_ROWS: Final[tuple[SyncRow, ...]] = (
    SyncRow(
        2,
        "plan, first sync: profiles (s)",
        lambda s, r: _profiles(r.initial).plan_seconds,
        "{:,.2f}",
    ),
    SyncRow(
        2, "plan, first sync: events (s)", lambda s, r: _events(r.initial).plan_seconds, "{:,.2f}"
    ),
    SyncRow(
        2,
        "plan, nothing changed: profiles (s)",
        lambda s, r: _profiles(r.unchanged).plan_seconds,
        "{:,.2f}",
    ),
    SyncRow(
        2,
        "plan, 1% changed: profiles (s)",
        lambda s, r: _profiles(r.changed).plan_seconds,
        "{:,.2f}",
    ),
    SyncRow(3, "first sync, profiles: entities", lambda s, r: _profiles(r.initial).sent, "{:,.0f}"),
    SyncRow(
        3,
        "first sync, profiles: seconds (plan + send)",
        lambda s, r: _profiles(r.initial).seconds,
        "{:,.1f}",
    ),
    SyncRow(
        3,
        "first sync, profiles: entities/s",
        lambda s, r: _profiles(r.initial).rate,
        "{:,.0f}",
    ),
    SyncRow(
        3, "first sync, profiles: requests", lambda s, r: _profiles(r.initial).requests, "{:,.0f}"
    ),
    SyncRow(
        3,
        "first sync, profiles: requests/s",
        lambda s, r: _profiles(r.initial).requests_per_second,
        "{:,.1f}",
        (RPS_CHECK,),
    ),
    SyncRow(
        3,
        "first sync, profiles: MB sent",
        lambda s, r: _mb(_profiles(r.initial).bytes_sent),
        "{:,.1f}",
    ),
    SyncRow(3, "first sync, events: entities", lambda s, r: _events(r.initial).sent, "{:,.0f}"),
    SyncRow(
        3,
        "first sync, events: seconds (plan + send)",
        lambda s, r: _events(r.initial).seconds,
        "{:,.1f}",
    ),
    SyncRow(3, "first sync, events: entities/s", lambda s, r: _events(r.initial).rate, "{:,.0f}"),
    SyncRow(3, "first sync, events: requests", lambda s, r: _events(r.initial).requests, "{:,.0f}"),
    SyncRow(
        3,
        "first sync, events: requests/s",
        lambda s, r: _events(r.initial).requests_per_second,
        "{:,.1f}",
        (RPS_CHECK,),
    ),
    SyncRow(
        3,
        "first sync, events: MB sent",
        lambda s, r: _mb(_events(r.initial).bytes_sent),
        "{:,.1f}",
    ),
    SyncRow(3, "first sync, all: entities/s", lambda s, r: r.initial.rate, "{:,.0f}"),
    SyncRow(
        3,
        "first sync: peak RSS of the sync process (MiB)",
        lambda s, r: _mib(r.initial.peak_rss_bytes),
        "{:,.0f}",
        (RSS_CHECK,),
    ),
    SyncRow(
        3,
        "nothing changed, profiles: requests",
        lambda s, r: _profiles(r.unchanged).requests,
        "{:,.0f}",
        (Check("0", lambda value: value == 0),),
    ),
    SyncRow(
        3,
        "nothing changed, profiles: seconds (plan + send)",
        lambda s, r: _profiles(r.unchanged).seconds,
        "{:,.2f}",
        (Check("< 10 s", _below(10.0)),),
    ),
    SyncRow(
        3,
        "nothing changed, events of the trailing window: requests",
        lambda s, r: _events(r.unchanged).requests,
        "{:,.0f}",
    ),
    SyncRow(
        3,
        "nothing changed, events of the trailing window: seconds (plan + send)",
        lambda s, r: _events(r.unchanged).seconds,
        "{:,.2f}",
    ),
    SyncRow(
        3,
        "nothing changed: peak RSS of the sync process (MiB)",
        lambda s, r: _mib(r.unchanged.peak_rss_bytes),
        "{:,.0f}",
        (RSS_CHECK,),
    ),
    SyncRow(3, "1% changed, profiles: entities", lambda s, r: _profiles(r.changed).sent, "{:,.0f}"),
    SyncRow(
        3, "1% changed, profiles: requests", lambda s, r: _profiles(r.changed).requests, "{:,.0f}"
    ),
    SyncRow(
        3,
        "1% changed, profiles: MB sent",
        lambda s, r: _mb(_profiles(r.changed).bytes_sent),
        "{:,.2f}",
    ),
    SyncRow(
        3,
        "1% changed, profiles: entities/s",
        lambda s, r: _profiles(r.changed).rate,
        "{:,.0f}",
    ),
    SyncRow(
        3,
        "1% changed, profiles: seconds (plan + send)",
        lambda s, r: _profiles(r.changed).seconds,
        "{:,.2f}",
        (Check("< 15 s at 0 ms", _below(15.0), 0),),
    ),
    SyncRow(
        3,
        "1% changed: peak RSS of the sync process (MiB)",
        lambda s, r: _mib(r.changed.peak_rss_bytes),
        "{:,.0f}",
        (RSS_CHECK,),
    ),
    SyncRow(
        4,
        "SDK per-row identify (rows/s)",
        lambda s, r: r.sdk.per_row_profiles.rate,
        "{:,.1f}",
    ),
    SyncRow(4, "SDK per-row track (rows/s)", lambda s, r: r.sdk.per_row_events.rate, "{:,.1f}"),
    SyncRow(
        4,
        "SDK per-row: sample size per stream (rows)",
        lambda s, r: r.sdk.per_row_profiles.rows,
        "{:,.0f}",
    ),
    SyncRow(4, "SDK batch() identify (rows/s)", lambda s, r: r.sdk.batch_profiles.rate, "{:,.0f}"),
    SyncRow(4, "SDK batch() track (rows/s)", lambda s, r: r.sdk.batch_events.rate, "{:,.0f}"),
    SyncRow(
        4,
        "SDK batch(): sample size per stream (rows)",
        lambda s, r: r.sdk.batch_profiles.rows,
        "{:,.0f}",
    ),
    SyncRow(
        4,
        "ours / SDK per-row, profiles",
        lambda s, r: _ratio(_profiles(r.initial).rate, r.sdk.per_row_profiles.rate),
        "{:,.1f}x",
        (
            Check(">= 100x at 80 ms", _at_least(100.0), 80),
            Check(">= 20x at 0 ms", _at_least(20.0), 0),
        ),
    ),
    SyncRow(
        4,
        "ours / SDK batch(), profiles",
        lambda s, r: _ratio(_profiles(r.initial).rate, r.sdk.batch_profiles.rate),
        "{:,.2f}x",
        (
            Check(">= 10x at 80 ms", _at_least(10.0), 80),
            Check(">= 1x at 0 ms", _at_least(1.0), 0),
        ),
    ),
    SyncRow(
        4,
        "ours / SDK per-row, events",
        lambda s, r: _ratio(_events(r.initial).rate, r.sdk.per_row_events.rate),
        "{:,.1f}x",
    ),
    SyncRow(
        4,
        "ours / SDK batch(), events",
        lambda s, r: _ratio(_events(r.initial).rate, r.sdk.batch_events.rate),
        "{:,.2f}x",
    ),
    SyncRow(
        5,
        "ours / client-side limit, profiles",
        lambda s, r: _ratio(_profiles(r.initial).rate, s.client_limit.profiles.rate),
        "{:.0%}",
        (LIMIT_SHARE_CHECK,),
    ),
    SyncRow(
        5,
        "ours / client-side limit, events",
        lambda s, r: _ratio(_events(r.initial).rate, s.client_limit.events.rate),
        "{:.0%}",
        (LIMIT_SHARE_CHECK,),
    ),
    SyncRow(
        5,
        "ours / client-side limit, all",
        lambda s, r: _ratio(r.initial.rate, s.client_limit.rate),
        "{:.0%}",
        (LIMIT_SHARE_CHECK,),
    ),
)


@dataclass(frozen=True)
class Verdict:
    customers: int
    label: str
    target: str
    latency_ms: float
    value: str
    met: bool


def _cell(value: Value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return fmt.format(value)


def _latency(ms: float) -> str:
    return f"{ms:g} ms"


def _verdicts(scale: ScaleResult, row: SyncRow) -> list[Verdict]:
    verdicts = []
    for check in row.checks:
        for result in scale.latencies:
            if check.latency_ms is not None and check.latency_ms != result.latency_ms:
                continue
            value = row.value(scale, result)
            verdicts.append(
                Verdict(
                    scale.customers,
                    row.label,
                    check.text,
                    result.latency_ms,
                    _cell(value, row.fmt),
                    value is not None and check.passes(value),
                )
            )
    return verdicts


def verdicts(scale: ScaleResult) -> list[Verdict]:
    """Every target judged at every latency it applies to."""
    return [verdict for row in SYNC_ROWS for verdict in _verdicts(scale, row)]


def _met_cell(row_verdicts: Sequence[Verdict], several_latencies: bool) -> str:
    parts = []
    for verdict in row_verdicts:
        met = "yes" if verdict.met else "**NO**"
        parts.append(f"{_latency(verdict.latency_ms)}: {met}" if several_latencies else met)
    return "; ".join(parts)


def scale_tables(scale: ScaleResult) -> str:
    """The two tables of one scale: warehouse figures, then sync figures per latency."""
    latencies = [result.latency_ms for result in scale.latencies]
    lines = [
        f"### {scale.customers:,} customers",
        "",
        f"{scale.days} days of generated history ending {scale.as_of}: {scale.raw_rows:,} raw"
        f" rows, {scale.events:,} events ({scale.events / scale.customers:.1f} per customer).",
        "",
        "| # | figure | value |",
        "|---|---|--:|",
    ]
    for row in WAREHOUSE_ROWS:
        lines.append(f"| {row.section} | {row.label} | {_cell(row.value(scale), row.fmt)} |")
    lines += [
        "",
        "| # | figure | " + " | ".join(_latency(ms) for ms in latencies) + " | target | met |",
        "|---|---|" + "--:|" * len(latencies) + "---|---|",
    ]
    for sync_row in SYNC_ROWS:
        cells = [_cell(sync_row.value(scale, result), sync_row.fmt) for result in scale.latencies]
        target = "; ".join(check.text for check in sync_row.checks)
        met = _met_cell(_verdicts(scale, sync_row), len(latencies) > 1)
        lines.append(
            f"| {sync_row.section} | {sync_row.label} | {' | '.join(cells)} | {target} | {met} |"
        )
    return "\n".join(lines)


def summary(scales: Sequence[ScaleResult]) -> str:
    """Every target at every scale and latency it applies to, with its verdict."""
    lines = [
        "| customers | figure | latency | measured | target | met |",
        "|--:|---|--:|--:|---|---|",
    ]
    counts = []
    for scale in scales:
        judged = verdicts(scale)
        counts.append(f"{sum(v.met for v in judged)} of {len(judged)} met at {scale.customers:,}")
        lines += [
            f"| {v.customers:,} | {v.label} | {_latency(v.latency_ms)} | {v.value} | {v.target}"
            f" | {'yes' if v.met else '**NO**'} |"
            for v in judged
        ]
    return "Targets " + "; ".join(counts) + " customers.\n\n" + "\n".join(lines)


def render(
    scales: Sequence[ScaleResult], *, command: str, environment: Sequence[str], method: str
) -> str:
    """The whole markdown report: command, environment, method, targets met, tables."""
    parts = [
        "# Benchmarks",
        "",
        "Reproduce with:",
        "",
        "```",
        command,
        "```",
        "",
        "## Environment",
        "",
        *(f"- {line}" for line in environment),
        "",
        "## Method",
        "",
        method,
        "",
        "## Targets",
        "",
        summary(scales),
        "",
        "## Figures",
        "",
        "Sections: 1 generation, models and checks; 2 plan (diff); 3 our sync; 4 the official"
        " SDK; 5 the client-side limit.",
    ]
    for scale in scales:
        parts += ["", scale_tables(scale)]
    return "\n".join(parts) + "\n"
