"""The warehouse interface every asset, check and sync step uses to run SQL.

Heavy work runs as SQL inside the warehouse; Python only streams results in bounded Arrow
record batches. Assets depend on :class:`WarehouseResource`, never on a driver, so the
embedded DuckDB file used in development and tests and the Snowflake warehouse used in
production sit behind one interface. SQL handed to a session is written in DuckDB's dialect
with ``$name`` parameters; a session for another dialect translates it.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
import duckdb
import pyarrow as pa
from pydantic import Field
from sqlglot.tokens import Tokenizer, TokenType

from resources.params import bind

DEFAULT_BATCH_ROWS = 50_000
# DuckDB's own default buffer pool is 80% of RAM, which a sync (it streams rows out) would fill
# with cached pages; this bound keeps a 1M-customer sync under 1 GB resident. Its joins, sorts
# and aggregations larger than this spill to a temporary directory beside the database file.
# Model builds keep DuckDB's default: their window functions need the memory.
DEFAULT_DUCKDB_SYNC_MEMORY_LIMIT = "384MB"
# Seconds between attempts to open a DuckDB file another process holds (jittered).
LOCK_POLL_SECONDS = (0.05, 0.25)
# A wait for the file is logged when it starts and at this interval while it lasts, so a run
# that seems stuck says why.
LOCK_WAIT_LOG_SECONDS = 5.0
# DuckDB names the holder in its error: 'Conflicting lock is held in <program> (PID <n>)'.
_LOCK_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")

Params = Mapping[str, Any] | None

_LOGGER = dg.get_dagster_logger(__name__)


def split_statements(sql: str) -> list[str]:
    """The statements of a SQL script, split on semicolons outside strings and comments."""
    return list(_statements(sql))


# Scripts are a handful of fixed texts run over and over: tokenize each once.
@lru_cache(maxsize=256)
def _statements(sql: str) -> tuple[str, ...]:
    statements, start = [], 0
    for token in Tokenizer().tokenize(sql):
        if token.token_type == TokenType.SEMICOLON:
            statements.append(sql[start : token.start].strip())
            start = token.end + 1
    statements.append(sql[start:].strip())
    return tuple(statement for statement in statements if statement)


class WarehouseSession(Protocol):
    """An open connection to the warehouse, valid inside ``WarehouseResource.session()``."""

    def execute(self, sql: str, params: Params = None) -> None:
        """Run a script of one or more statements separated by ``;``."""

    def fetch_all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run a query whose result is small and return its rows."""

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query whose result is small and return it as one Arrow table."""

    def stream(
        self, sql: str, params: Params = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its result in record batches of at most ``batch_rows`` rows."""

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        """Append Arrow rows to an existing table, matching columns by name."""


class WarehouseResource(dg.ConfigurableResource):
    """Base class of the warehouse resources; assets annotate their parameter with it."""

    @contextmanager
    def session(self, for_sync: bool = False) -> Iterator[WarehouseSession]:
        """A session; ``for_sync`` for the sync's steps, which stream rows out and should
        stay small in memory (a warehouse may bound them)."""
        raise NotImplementedError
        yield  # pragma: no cover


class DuckDBSession:
    """A DuckDB connection with the session time zone pinned to UTC."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection
        # Without this, timestamptz values come back in the machine's zone.
        connection.execute("SET TimeZone = 'UTC'")

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._connection

    def execute(self, sql: str, params: Params = None) -> None:
        for statement in split_statements(sql):
            self._connection.execute(statement, bind(statement, params) or None)

    def fetch_all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql, bind(sql, params) or None).fetchall()

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        return self._connection.sql(sql, params=bind(sql, params) or None).to_arrow_table()

    def stream(
        self, sql: str, params: Params = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        # A cursor of its own, so the caller may write (ledger rows) while it reads.
        cursor = self._connection.cursor()
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            relation = cursor.sql(sql, params=bind(sql, params) or None)
            yield from relation.to_arrow_reader(batch_rows)
        finally:
            cursor.close()

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        if data.num_rows == 0:
            return 0
        # On the session's own connection, so its temporary tables are visible.
        self._connection.register("incoming_rows", data)
        try:
            self._connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
        finally:
            self._connection.unregister("incoming_rows")
        return data.num_rows


class DuckDBWarehouse(WarehouseResource):
    """The embedded warehouse: one DuckDB file, for development, tests and the demo."""

    database: str = Field(description="Path of the DuckDB file (RETENTION_DUCKDB_PATH).")
    threads: int | None = Field(
        default=None, description="DuckDB worker threads; all cores when unset."
    )
    sync_memory_limit: str = Field(
        default=DEFAULT_DUCKDB_SYNC_MEMORY_LIMIT,
        description=(
            "DuckDB's memory limit in the sync's sessions (RETENTION_DUCKDB_SYNC_MEMORY_LIMIT),"
            " e.g. '384MB' or '2GB'; larger work spills to disk."
        ),
    )
    lock_timeout_seconds: float = Field(
        default=600.0,
        description="How long a session waits for another process to release the file.",
    )

    @contextmanager
    def session(self, for_sync: bool = False) -> Iterator[DuckDBSession]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        # No query relies on insertion order without an ORDER BY; dropping the guarantee
        # lets DuckDB stream large inserts and scans without buffering them.
        config: dict[str, Any] = {"preserve_insertion_order": False}
        if for_sync:
            config["memory_limit"] = self.sync_memory_limit
        if self.threads:
            config["threads"] = self.threads
        connection = self._connect(config)
        try:
            yield DuckDBSession(connection)
        finally:
            connection.close()

    def _connect(self, config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        """A connection, once no other process holds the file.

        One process at a time may open a DuckDB file for writing; steps in other processes
        (the shards of a sync on the multiprocess executor) take turns. They poll briefly
        rather than back off exponentially, so a turn is taken soon after it is free.
        """
        started = time.monotonic()
        deadline = started + self.lock_timeout_seconds
        next_log = started
        while True:
            try:
                connection = duckdb.connect(self.database, config=config)
            except duckdb.IOException as error:
                now = time.monotonic()
                if "lock" not in str(error).lower() or now > deadline:
                    raise
                if now >= next_log:
                    _LOGGER.info(
                        f"Waiting for the DuckDB file {self.database}, held by"
                        f" {lock_holder(str(error))}: waited {now - started:.0f} s of at most"
                        f" {self.lock_timeout_seconds:.0f} s."
                    )
                    next_log = now + LOCK_WAIT_LOG_SECONDS
                time.sleep(random.uniform(*LOCK_POLL_SECONDS))
                continue
            if next_log > started:
                _LOGGER.info(
                    f"Opened the DuckDB file {self.database} after waiting"
                    f" {time.monotonic() - started:.1f} s for it."
                )
            return connection


def lock_holder(message: str) -> str:
    """Who holds a DuckDB file, as DuckDB's lock error names it."""
    match = _LOCK_HOLDER.search(message)
    if match is None:
        return "another process"
    return f"process {match['pid']} ({match['program']})"


@contextmanager
def transaction(session: WarehouseSession) -> Iterator[None]:
    """Commit everything inside the block together, or nothing if it raises."""
    session.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        session.execute("ROLLBACK")
        raise
    session.execute("COMMIT")
