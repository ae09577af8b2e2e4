"""Every question asked, with its SQL, timing and outcome, kept in ``query_history``.

Written with the owner's connection, never the reader's: the role that runs model SQL
cannot read or write the history.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from loglens.agent.database import json_value
from loglens.agent.engine import QuestionReport

MAX_LISTED = 500


class History:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=2)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def record(self, outcome: QuestionReport, source: str) -> int:
        assert self._pool is not None
        result = outcome.result
        history_id: int = await self._pool.fetchval(
            """INSERT INTO query_history (question, source, engine, outcome, sql, row_count, execution_time_ms,
                                          total_time_ms, attempts, insight, error)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id""",
            outcome.question,
            source,
            outcome.engine,
            outcome.kind,
            outcome.sql,
            len(result.rows) if result else None,
            result.execution_time_ms if result else None,
            outcome.total_time_ms,
            outcome.attempts,
            outcome.insight,
            outcome.error,
        )
        return history_id

    async def recent(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        assert self._pool is not None
        records = await self._pool.fetch(
            "SELECT id, asked_at, question, source, engine, outcome, sql, row_count, execution_time_ms, "
            "total_time_ms, attempts, insight, error FROM query_history ORDER BY asked_at DESC, id DESC "
            "LIMIT $1 OFFSET $2",
            min(limit, MAX_LISTED),
            offset,
        )
        return [{key: json_value(value) for key, value in record.items()} for record in records]
