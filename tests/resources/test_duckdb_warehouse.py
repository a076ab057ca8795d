"""The embedded warehouse bounds DuckDB's memory in the sync's sessions only, and says so when
it waits for another process to release the file.

A sync streams rows out and must stay small in memory; a model build needs DuckDB's memory for
its window functions. The bound is DuckDB's own setting, read back from the session. A step
waiting for the file lock (another run, a shard, a UI query) logs who holds it and how long it
has waited, at the start and every few seconds, instead of looking stuck.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from resources import warehouse as warehouse_module
from resources.warehouse import DEFAULT_DUCKDB_SYNC_MEMORY_LIMIT, DuckDBWarehouse


def _setting(warehouse: DuckDBWarehouse, name: str, for_sync: bool) -> str:
    with warehouse.session(for_sync=for_sync) as session:
        return str(session.fetch_all(f"SELECT current_setting('{name}')")[0][0])


def test_sync_sessions_have_the_memory_limit_and_others_do_not(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"), sync_memory_limit="200MB")

    assert _setting(warehouse, "memory_limit", for_sync=True) == "190.7 MiB"
    assert _setting(warehouse, "memory_limit", for_sync=False) != "190.7 MiB"
    assert _setting(warehouse, "preserve_insertion_order", for_sync=False) == "False"


def test_the_default_sync_limit_is_the_documented_one(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"))

    assert warehouse.sync_memory_limit == DEFAULT_DUCKDB_SYNC_MEMORY_LIMIT == "384MB"
    assert _setting(warehouse, "memory_limit", for_sync=True) == "366.2 MiB"


@contextmanager
def _held_by_another_process(database: Path) -> Iterator[subprocess.Popen[str]]:
    """``database`` opened by a child process until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_FILE, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.kill()
        holder.wait()


_HOLD_FILE = (
    "import duckdb, sys; connection = duckdb.connect(sys.argv[1]);"
    " print('holding', flush=True); sys.stdin.read()"
)


def test_a_wait_for_the_file_lock_is_logged_with_its_holder_and_how_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(warehouse_module, "LOCK_WAIT_LOG_SECONDS", 0.4)
    database = tmp_path / "w.duckdb"
    warehouse = DuckDBWarehouse(database=str(database), lock_timeout_seconds=30)
    caplog.set_level(logging.INFO)

    with _held_by_another_process(database) as holder:
        threading.Timer(1.5, holder.kill).start()
        started = time.monotonic()
        with warehouse.session() as session:
            assert session.fetch_all("SELECT 1") == [(1,)]
        waited = time.monotonic() - started

    waits = [record.getMessage() for record in caplog.records if "Waiting for" in record.message]
    assert waited >= 1.0
    assert len(waits) >= 3, waits
    assert all(f"held by process {holder.pid} (" in message for message in waits)
    assert str(database) in waits[0] and "waited 0 s of at most 30 s" in waits[0]
    assert any(
        "Opened the DuckDB file" in record.getMessage() and "after waiting" in record.getMessage()
        for record in caplog.records
    )


def test_a_session_that_gets_the_file_at_once_logs_no_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with DuckDBWarehouse(database=str(tmp_path / "w.duckdb")).session() as session:
        session.fetch_all("SELECT 1")

    assert not [record for record in caplog.records if "DuckDB file" in record.getMessage()]
