"""Smoke test of ``python -m benchmarks``: a tiny run end to end must produce every figure.

The real run takes an hour at 1M customers; this one runs every step (generation, model builds,
check suite, SDK baselines, client-side limit, our syncs as whole ``dagster asset materialize``
processes against a real sandbox) on 2,000 customers at one latency, then the capacity run of
``--scale 10m`` on 3,000, and checks the report has every row, a value in every cell, a verdict
for every target and a growth line for every step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import harness, sync_runs
from benchmarks.harness import main
from benchmarks.report import CAPACITY_ROWS, SYNC_ROWS, WAREHOUSE_ROWS, growth_rows


def test_quick_run_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    text = main(
        [
            "--quick",
            "--customers",
            "2000",
            # A month: every CLI run of the events sync records each day on its partition.
            "--days",
            "30",
            "--latencies",
            "0",
            "--sdk-row-sample",
            "50",
            "--sdk-batch-sample",
            "50",
            "--capacity",
            "3000",
            "--workdir",
            str(tmp_path),
            "--out",
            str(out),
        ]
    )
    assert out.read_text() == text
    assert "python -m benchmarks --quick --customers 2000" in text
    lines = text.splitlines()

    def figure_line(section: int, label: str) -> str:
        (line,) = [line for line in lines if line.startswith(f"| {section} | {label} |")]
        assert "n/a" not in line, line
        return line

    for row in WAREHOUSE_ROWS:
        figure_line(row.section, row.label)
    for row in SYNC_ROWS:
        line = figure_line(row.section, row.label)
        if any(check.latency_ms in (None, 0) for check in row.checks):
            assert line.rstrip(" |").endswith(("yes", "**NO**")), line
    for step in growth_rows([0.0]):
        (line,) = [line for line in lines if line.startswith(f"| {step.label} | ")]
        # A value at 2,000 customers, and at 3,000 for the steps the capacity run measures.
        cells = line.split(" | ")[1:3]
        assert all(cell.replace(",", "").replace(".", "").isdigit() for cell in cells[:1]), line
        assert (cells[1] == "not run") == (step.at_capacity is None), line
    for row in CAPACITY_ROWS:
        (line,) = [line for line in lines if line.startswith(f"| {row.label} | ")]
        assert "n/a" not in line, line
        if row.check is not None:
            assert line.endswith(("| yes |", "| **NO** |")), line
    # The capacity run's nothing-changed runs sent nothing, as in the full scales.
    (received,) = [line for line in lines if line.startswith("| nothing changed: Track entries")]
    assert received.startswith("| nothing changed: Track entries the sandbox received | 0 |")
    for customers in ("2,000", "3,000"):
        judged = [line for line in lines if line.startswith(f"| {customers} | ")]
        assert judged and all(line.endswith(("| yes |", "| **NO** |")) for line in judged)
    # Nothing is left behind: the DuckDB files live in a temporary directory of their own.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["benchmarks.md"]


def test_sync_runs_prints_the_three_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sync_runs.main(["--customers", "500", "--days", "30", "--workdir", str(tmp_path)])

    printed = capsys.readouterr().out
    first, unchanged, changed = (line for line in printed.splitlines() if line.startswith("== "))
    assert first.startswith("== first sync:") and "MiB" in first
    assert "== nothing changed:" in unchanged and ", 0 requests seen" in unchanged
    assert changed.startswith("== 1% changed (")
    assert "   profiles: plan" in printed and "   events: plan" in printed
    # The pristine copy stays for the next invocation; the working copy is removed.
    assert [path.name for path in tmp_path.glob("*.duckdb")] == [
        f"sync_runs_500{sync_runs.PRISTINE_SUFFIX}"
    ]


def test_a_failed_capacity_run_keeps_the_report_of_the_scales_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def out_of_memory(*_arguments: object) -> None:
        raise MemoryError("the capacity run failed")

    monkeypatch.setattr(harness, "run_capacity", out_of_memory)
    out = tmp_path / "benchmarks.md"
    arguments = ["--quick", "--customers", "500", "--days", "30", "--latencies", "0"]
    arguments += ["--sdk-row-sample", "20", "--sdk-batch-sample", "20", "--capacity", "600"]
    with pytest.raises(MemoryError):
        main([*arguments, "--workdir", str(tmp_path), "--out", str(out)])
    text = out.read_text()
    assert "### 500 customers" in text
    assert "customers: capacity run" not in text
