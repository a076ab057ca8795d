"""Metadata tables: typed columns, one-line cells, long text cut, nulls as empty cells."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa

from retention_assets.metadata_tables import MAX_CELL_CHARS, frame_table, records_table
from retention_assets.models.build import preview_table
from tests.metadata_tables import as_text


def test_cells_are_flattened_and_cut_and_numbers_stay_numbers() -> None:
    rows = pd.DataFrame(
        {
            "value": ["a|b\nc", None, "x" * 200],
            "flips": pd.array([1, None, 3], dtype="Int64"),
            "score": [0.5, float("nan"), 2.0],
            "flag": [True, False, None],
            "at": [dt.datetime(2025, 3, 10, tzinfo=dt.UTC), pd.NaT, pd.NaT],
        }
    )

    table = frame_table(rows)

    assert [(column.name, column.type) for column in table.schema.columns] == [
        ("value", "string"),
        ("flips", "int"),
        ("score", "float"),
        ("flag", "bool"),
        ("at", "string"),
    ]
    assert [record.data for record in table.records] == [
        {
            "value": "a|b c",
            "flips": 1,
            "score": 0.5,
            "flag": True,
            "at": "2025-03-10T00:00:00+00:00",
        },
        {"value": None, "flips": None, "score": None, "flag": False, "at": None},
        {
            "value": f"{'x' * 79}…",
            "flips": 3,
            "score": 2.0,
            "flag": None,
            "at": None,
        },
    ]


def test_a_column_of_mixed_numbers_is_float_and_of_mixed_kinds_is_text() -> None:
    table = records_table(["n", "m"], [{"n": 1, "m": 1}, {"n": 2.5, "m": "x"}])

    assert [column.type for column in table.schema.columns] == ["float", "string"]
    assert [record.data for record in table.records] == [{"n": 1.0, "m": "1"}, {"n": 2.5, "m": "x"}]


def test_own_descriptions_can_be_shown_whole() -> None:
    text = "y" * (MAX_CELL_CHARS * 2)

    (record,) = records_table(["d"], [{"d": text}], max_chars=None).records

    assert record.data == {"d": text}


def test_a_model_preview_masks_emails_and_keeps_integers(monkeypatch) -> None:
    monkeypatch.delenv("RETENTION_FULL_SAMPLES", raising=False)
    rows = pa.table({"customer_id": ["c1"], "email": ["jane.doe@example.com"], "orders": [3]})

    table = preview_table(rows)

    assert as_text(table).splitlines() == [
        "| customer_id | email | orders |",
        "| c1 | j***@example.com | 3 |",
    ]
    assert [column.type for column in table.schema.columns] == ["string", "string", "int"]
