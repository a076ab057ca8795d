"""Which SQL the DuckDB-only cases run that no case runs on Snowflake (fakesnow): a report.

The suite runs its warehouse-facing tests on both kinds, except cases marked ``duckdb_only``
(tests/retention_assets/sync/conftest.py), which run on DuckDB alone to keep the suite within
its time budget. That is safe only while every statement such a case sends is also sent by
some case on fakesnow. This plugin records, per test, the statements each session runs (the
project's DuckDB-dialect text, before any translation) and, at the end, prints each statement
seen on DuckDB that no fakesnow case sent, with the tests that sent it::

    .venv/bin/python -m pytest -p tests.sql_coverage tests/retention_assets/sync

A statement listed is Snowflake SQL the suite no longer checks: drop ``duckdb_only`` from one
of the tests named, or accept it when the test must be DuckDB-only (a killed child process
cannot reach fakesnow's in-memory database).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from resources import snowflake, warehouse

_OUT = Path(os.environ.get("SQL_COVERAGE_DIR", "/tmp/sql_coverage"))
_current: dict[str, str | None] = {"test": None}
_seen: dict[str, set[str]] = {}


def _normal(statement: str) -> str:
    """One line, with every schema-qualified name's schema left out: a spec's ledger schema
    ("cio_eu") changes no SQL."""
    return re.sub(r'"[^"]+"\.', '"<schema>".', re.sub(r"\s+", " ", statement).strip())


def _record(statement: str) -> None:
    if _current["test"] is not None:
        _seen.setdefault(_current["test"], set()).add(_normal(statement))


def _insert(table: str, data: pa.Table) -> str:
    return f"INSERT INTO {table} ({', '.join(sorted(data.column_names))})"


def _recording(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        for statement in warehouse.split_statements(sql):
            _record(statement)
        return method(self, sql, *args, **kwargs)

    return wrapper


def _recording_insert(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, table: str, data: pa.Table) -> Any:
        _record(_insert(table, data))
        return method(self, table, data)

    return wrapper


def pytest_configure(config: pytest.Config) -> None:
    for session in (warehouse.DuckDBSession, snowflake.SnowflakeSession):
        for name in ("execute", "fetch_all", "fetch_arrow", "stream"):
            setattr(session, name, _recording(getattr(session, name)))
        session.insert_arrow = _recording_insert(session.insert_arrow)  # type: ignore[method-assign]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _current["test"] = item.nodeid
    yield
    _current["test"] = None


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    _OUT.mkdir(parents=True, exist_ok=True)
    if worker is not None:
        seen = {test: sorted(statements) for test, statements in _seen.items()}
        (_OUT / f"{worker}.json").write_text(json.dumps(seen))
        return
    merged = {test: set(statements) for test, statements in _seen.items()}
    for path in _OUT.glob("gw*.json"):
        merged.update({t: set(s) for t, s in json.loads(path.read_text()).items()})
        path.unlink()
    (_OUT / "statements.json").write_text(
        json.dumps({test: sorted(statements) for test, statements in merged.items()})
    )
    on_snowflake = set().union(*(s for t, s in merged.items() if "fakesnow" in t))
    missing: dict[str, list[str]] = {}
    for test, statements in merged.items():
        if "fakesnow" not in test:
            for statement in statements - on_snowflake:
                missing.setdefault(statement, []).append(test)
    lines = [f"{len(missing)} statements run on DuckDB only:"]
    for statement, tests in sorted(missing.items()):
        lines += [f"\n{statement[:300]}", *(f"    {test}" for test in sorted(tests))]
    report = "\n".join(lines)
    (_OUT / "report.txt").write_text(report)
    print(f"\nsql coverage: {len(missing)} statements run on DuckDB only ({_OUT}/report.txt)")
