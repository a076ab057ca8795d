"""The growth table's verdict: a step whose cost per million rows grows with scale is flagged."""

from __future__ import annotations

from benchmarks.report import superlinear


def test_a_linear_step_is_not_flagged() -> None:
    assert superlinear([(100_000, 2.0), (1_000_000, 2.1), (10_000_000, 1.9)]) == []


def test_fixed_costs_that_shrink_per_row_are_not_flagged() -> None:
    # Process start-up is paid once: per million rows it only falls as the scale grows.
    assert superlinear([(100_000, 50.0), (1_000_000, 8.0), (10_000_000, 5.0)]) == []


def test_a_step_growing_faster_than_the_rows_is_flagged_where_it_grows() -> None:
    flagged = superlinear([(100_000, 2.0), (1_000_000, 2.2), (10_000_000, 6.0)])
    assert flagged == ["1,000,000 -> 10,000,000"]


def test_one_scale_has_nothing_to_compare() -> None:
    assert superlinear([(2_000, 9.0)]) == []
