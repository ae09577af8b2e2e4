"""Running validated SQL the way nothing can go wrong: the agent's side of the database.

Every query from a model or a user runs

- as ``loglens_reader``, a role that can only SELECT from ``logs`` (created by the
  migrations), logged in as it or switched to with ``SET ROLE`` after connecting;
- in a READ ONLY transaction, with ``statement_timeout`` and ``lock_timeout`` set locally;
- through PostgreSQL's extended protocol, which refuses a second statement on its own;
- wrapped in ``SELECT * FROM (...) LIMIT max_rows + 1``, so a query that would return millions
  of rows costs the database what it costs, but never the agent's memory.

``explain`` asks PostgreSQL to plan the query without running it: unknown columns, type
errors and the like come back as its own message, which the model can act on.
"""

from __future__ import annotations

import datetime as dt
import decimal
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from loglens.errors import DatabaseUnavailableError, QueryFailedError

READER_ROLE = "loglens_reader"


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    execution_time_ms: float


class ReadOnlyDatabase:
    def __init__(self, dsn: str, *, login_as_reader: bool, timeout_s: float, pool_size: int = 4) -> None:
        self._dsn = dsn
        self._login_as_reader = login_as_reader
        self._timeout_ms = int(timeout_s * 1000)
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=1,
                max_size=self._pool_size,
                init=self._prepare_connection,
                setup=self._become_reader,
                statement_cache_size=0,  # model SQL is rarely repeated; don't keep plans for it
            )
        except (OSError, asyncpg.PostgresError) as error:
            raise DatabaseUnavailableError(f"cannot connect as {READER_ROLE}: {error}") from error

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _become_reader(self, connection: asyncpg.Connection) -> None:
        # On every checkout, not once: the pool's reset between uses must not leave a
        # connection running as the owner.
        if not self._login_as_reader:
            await connection.execute(f"SET ROLE {READER_ROLE}")
        role = await connection.fetchval("SELECT current_user")
        if role != READER_ROLE:
            raise DatabaseUnavailableError(f"queries must run as {READER_ROLE}, not {role}")

    async def _prepare_connection(self, connection: asyncpg.Connection) -> None:
        await connection.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        await connection.set_type_codec(
            "jsonb", schema="pg_catalog", encoder=orjson.dumps, decoder=orjson.loads, format="text"
        )
        await connection.set_type_codec(
            "json", schema="pg_catalog", encoder=orjson.dumps, decoder=orjson.loads, format="text"
        )

    async def explain(self, sql: str) -> None:
        """Plan the query without running it; raise ``QueryFailedError`` with PostgreSQL's reason."""
        async with self._transaction() as connection:
            try:
                await connection.fetch("EXPLAIN " + sql)
            except asyncpg.PostgresError as error:
                raise QueryFailedError(_describe(error)) from None

    async def run(self, sql: str, max_rows: int) -> QueryResult:
        async with self._transaction() as connection:
            started = time.perf_counter()
            try:
                # The cap goes into the query, not into a cursor: PostgreSQL never plans a
                # parallel scan for a cursor, and on a million rows that costs twice the time.
                statement = await connection.prepare(f"SELECT * FROM ({sql}\n) AS capped LIMIT {max_rows + 1}")
                records = await statement.fetch()
            except asyncpg.PostgresError as error:
                raise QueryFailedError(_describe(error, self._timeout_ms)) from None
            elapsed_ms = (time.perf_counter() - started) * 1000
            columns = [attribute.name for attribute in statement.get_attributes()]
        rows = [
            {name: json_value(value) for name, value in zip(columns, record, strict=True)}
            for record in records[:max_rows]
        ]
        return QueryResult(columns, rows, len(records) > max_rows, round(elapsed_ms, 2))

    async def fetch_trusted(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Loglens' own read queries (schema profiling), under the same role and limits."""
        async with self._transaction() as connection:
            records: list[asyncpg.Record] = await connection.fetch(sql, *args)
            return records

    def _transaction(self) -> _ReadOnlyTransaction:
        if self._pool is None:
            raise DatabaseUnavailableError("the agent's database connection is not open")
        return _ReadOnlyTransaction(self._pool, self._timeout_ms)


class _ReadOnlyTransaction:
    def __init__(self, pool: asyncpg.Pool, timeout_ms: int) -> None:
        self._pool = pool
        self._timeout_ms = timeout_ms
        self._connection: Any = None
        self._transaction: Any = None

    async def __aenter__(self) -> asyncpg.Connection:
        try:
            self._connection = await self._pool.acquire(timeout=10)
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            raise DatabaseUnavailableError(
                f"PostgreSQL is unavailable: {error or type(error).__name__}"
            ) from error
        self._transaction = self._connection.transaction(readonly=True)
        await self._transaction.start()
        await self._connection.execute(
            f"SET LOCAL statement_timeout = {self._timeout_ms}; SET LOCAL lock_timeout = 2000"
        )
        connection: asyncpg.Connection = self._connection
        return connection

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            # Nothing a query did may persist, even if it somehow could write: always roll back.
            await self._transaction.rollback()
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            pass
        finally:
            await self._pool.release(self._connection)


def _describe(error: asyncpg.PostgresError, timeout_ms: int | None = None) -> str:
    if isinstance(error, asyncpg.QueryCanceledError) and timeout_ms is not None:
        return (
            f"the query ran past the {timeout_ms / 1000:g} s limit and was cancelled; "
            "narrow the time window or aggregate more"
        )
    message = str(error).strip()
    detail = getattr(error, "hint", None) or getattr(error, "detail", None)
    return f"{message} ({detail})" if detail else message


def json_value(value: Any) -> Any:
    """A database value as JSON-friendly Python: times in ISO-8601, decimals as numbers."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return value
