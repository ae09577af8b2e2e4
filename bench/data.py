"""A fresh embedded PostgreSQL holding about a million realistic logs, for the read-side benchmarks.

100,000 scenario records (the demo's: services, an incident, a slow endpoint, front ends) are
mapped by the collector's JSON mapper and COPYed by its writer, then copied nine more times
inside PostgreSQL with their times shifted by seconds, so the mix and the time range stay.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from loglens.collector.mapping import json_api
from loglens.collector.rows import COLUMNS
from loglens.collector.storage.writer import LogWriter, Submission
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from loglens.demo import scenario

BASE_RECORDS = 100_000
COPIES = 10


@contextlib.asynccontextmanager
async def million_logs() -> AsyncIterator[tuple[str, int]]:
    """Yield the DSN of a database with ~1M logs and the exact row count."""
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="llbd-")))
    dsn = server.start()
    try:
        started = time.perf_counter()
        connection = await asyncpg.connect(dsn)
        await migrate(connection)
        await _load_base(dsn)
        columns = ", ".join(name for name in COLUMNS if name != "created_at")
        await connection.execute(
            f"INSERT INTO logs (created_at, {columns}) SELECT created_at - k * interval '17 seconds', {columns} "
            f"FROM logs, generate_series(1, {COPIES - 1}) AS k"
        )
        await connection.execute("ANALYZE logs")
        count = int(await connection.fetchval("SELECT count(*) FROM logs"))
        await connection.close()
        print(f"  (loaded {count:,} logs in {time.perf_counter() - started:.0f} s)")
        yield dsn, count
    finally:
        server.stop()


async def _load_base(dsn: str) -> None:
    records = scenario.Gen(dict(scenario.DEFAULT_VOCAB), seed=5, now=dt.datetime.now(dt.UTC)).all(BASE_RECORDS)
    received = int(time.time() * 1_000_000)
    rows = [json_api.map_record(record, received, check_utf8=False) for record in records]
    writer = LogWriter(dsn, connections=2)
    await writer.open()
    try:
        for start in range(0, len(rows), 20_000):
            await writer.write([Submission(rows[start : start + 20_000])])
    finally:
        await writer.close()
