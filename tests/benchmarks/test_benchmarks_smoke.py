"""Smoke test of ``python -m benchmarks``: a tiny run end to end must produce every figure.

The real run takes an hour at 1M customers; this one runs every step (generation, model builds,
check suite, SDK baselines, client-side limit, our three syncs in child processes against a real
sandbox) on 2,000 customers at one latency, and checks the report has every row, a value in
every cell and a verdict for every target.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.harness import main
from benchmarks.report import ROW_LABELS, SYNC_ROWS


def test_quick_run_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    text = main(
        [
            "--quick",
            "--customers",
            "2000",
            "--latencies",
            "0",
            "--sdk-row-sample",
            "50",
            "--sdk-batch-sample",
            "50",
            "--workdir",
            str(tmp_path),
            "--out",
            str(out),
        ]
    )
    assert out.read_text() == text
    assert "python -m benchmarks --quick --customers 2000" in text
    table_lines = [line for line in text.splitlines() if line.startswith("| ")]
    for label in ROW_LABELS:
        (line,) = [line for line in table_lines if f"| {label} |" in line]
        assert "n/a" not in line, line
    judged = [row for row in SYNC_ROWS if any(c.latency_ms in (None, 0) for c in row.checks)]
    for row in judged:
        (line,) = [line for line in table_lines if f"| {row.label} |" in line]
        assert line.rstrip(" |").endswith(("yes", "**NO**")), line
    assert "2,000 customers:" in text.split("## Targets", 1)[1]
    # Nothing is left behind: the DuckDB files live in a temporary directory of their own.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["benchmarks.md"]
