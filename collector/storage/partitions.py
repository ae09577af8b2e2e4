"""Daily partitions of ``logs``: created on demand before a COPY, dropped by retention.

A partition is named ``logs_pYYYYMMDD`` and holds one UTC day. The writer asks for the days
of a batch before copying it; days already known cost a set lookup. Creation races between
writers (in this process or another) are settled by PostgreSQL: the loser sees the table
exists and moves on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Iterable

import asyncpg

log = logging.getLogger(__name__)

DAY_US = 86_400 * 1_000_000
PARTITION_NAME = re.compile(r"^logs_p(\d{8})$")


def day_of(unix_us: int) -> int:
    """The UTC day number (days since 1970-01-01) of a timestamp in microseconds."""
    return unix_us // DAY_US


def partition_name(day: int) -> str:
    return "logs_p" + (dt.date(1970, 1, 1) + dt.timedelta(days=day)).strftime("%Y%m%d")


class Partitions:
    def __init__(self) -> None:
        self._known: set[int] = set()
        self._lock = asyncio.Lock()

    async def load(self, connection: asyncpg.Connection) -> None:
        names = await connection.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'logs'::regclass"
        )
        self._known = {_day_from_name(record["relname"]) for record in names} - {None}  # type: ignore[assignment]

    def forget(self) -> None:
        """Drop the cache, e.g. after retention dropped partitions behind our back."""
        self._known.clear()

    async def ensure(self, connection: asyncpg.Connection, days: Iterable[int]) -> None:
        missing = [day for day in days if day not in self._known]
        if not missing:
            return
        async with self._lock:
            for day in sorted(set(missing) - self._known):
                await _create(connection, day)
                self._known.add(day)

    async def drop_older_than(self, connection: asyncpg.Connection, keep_days: int, today: int) -> list[str]:
        await self.load(connection)
        dropped = []
        for day in sorted(self._known):
            if day < today - keep_days:
                name = partition_name(day)
                await connection.execute(f"DROP TABLE IF EXISTS {name}")
                dropped.append(name)
                self._known.discard(day)
        return dropped


async def _create(connection: asyncpg.Connection, day: int) -> None:
    start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day)
    end = start + dt.timedelta(days=1)
    name = partition_name(day)
    try:
        await connection.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF logs "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
        log.info("created partition %s", name)
    except (asyncpg.DuplicateTableError, asyncpg.UniqueViolationError):
        pass  # another writer created it a moment ago
    except asyncpg.InvalidObjectDefinitionError:
        # "would overlap": another writer's partition for this day exists under our name's shadow
        exists = await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", name)
        if not exists:
            raise


def _day_from_name(name: str) -> int | None:
    match = PARTITION_NAME.match(name)
    if not match:
        return None
    day = dt.datetime.strptime(match[1], "%Y%m%d").date()
    return (day - dt.date(1970, 1, 1)).days
