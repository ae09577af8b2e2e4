"""Forward clients never lose an acknowledged chunk and never see one stored twice: not when
the database goes away mid-stream, not when the writer is saturated, not on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from loglens.collector.server import Collector
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from tests.conftest import eventually, settings_for_tests, start_loglens, stop_loglens
from tests.forward_client import ForwardClient, new_chunk, packed_forward

T0 = 1_767_225_600
RECORDS_PER_CHUNK = 20


class ChunkSender:
    """Sends numbered chunks one after the other and, like Fluentd's out_forward, sends a
    chunk again (same chunk id) whenever its connection closes before the ack came."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.client: ForwardClient | None = None
        self.acknowledged: list[int] = []
        self.closed_before_ack = 0

    async def send(self, number: int) -> None:
        chunk = new_chunk()
        entries = [[T0, {"message": f"chunk {number} record {n}", "user_id": str(number)}] for n in range(20)]
        frame = packed_forward("app.durable", entries, chunk)
        while True:
            try:
                if self.client is None:
                    self.client = await ForwardClient.connect(self.port)
                await self.client.send(frame)
                if await self.client.acks(1, within_s=5) == [chunk]:
                    self.acknowledged.append(number)
                    return
            except (EOFError, ConnectionError, TimeoutError):
                self.closed_before_ack += 1
                if self.client is not None:
                    await self.client.close()
                self.client = None
                await asyncio.sleep(0.1)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


async def test_database_going_away_mid_stream_loses_and_duplicates_nothing(
    own_postgres: EmbeddedPostgres,
) -> None:
    connection = await asyncpg.connect(own_postgres.dsn)
    await migrate(connection)
    await connection.close()
    collector = Collector(settings_for_tests(commit_timeout_s=1.0), own_postgres.dsn)
    await collector.start()
    sender = ChunkSender(collector.ports.forward)
    try:

        async def stream() -> None:
            for number in range(120):
                await sender.send(number)
                await asyncio.sleep(0.01)

        streaming = asyncio.create_task(stream())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(own_postgres.stop)
        own_postgres._started_here = False  # stopped by hand; start() below starts it again
        await asyncio.sleep(3.0)  # longer than commit_timeout: chunks in flight are not acknowledged
        await asyncio.to_thread(own_postgres.start)
        await asyncio.wait_for(streaming, timeout=60)
    finally:
        await sender.close()
        await collector.stop()

    assert sender.closed_before_ack > 0, "the outage should have closed connections without an ack"
    connection = await asyncpg.connect(own_postgres.dsn)
    try:
        stored = await connection.fetch("SELECT user_id::int AS chunk, count(*) AS n FROM logs GROUP BY 1")
    finally:
        await connection.close()
    per_chunk = {row["chunk"]: row["n"] for row in stored}
    assert sender.acknowledged == list(range(120))
    assert [n for n in sender.acknowledged if per_chunk.get(n) != RECORDS_PER_CHUNK] == [], (
        "every acknowledged chunk is stored exactly once: resends are recognised by their chunk id"
    )


@pytest.fixture
async def small_queue_collector(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(max_pending_rows=1000, batch_rows=500, flush_interval_ms=5), dsn)
    await running.start()
    yield running
    await running.stop()


async def test_a_saturated_writer_slows_the_client_down_instead_of_refusing_it(
    small_queue_collector: Collector, dsn: str, db: asyncpg.Connection
) -> None:
    blocker = await asyncpg.connect(dsn)
    transaction = blocker.transaction()
    await transaction.start()
    await blocker.execute("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
    client = await ForwardClient.connect(small_queue_collector.ports.forward)
    chunks = [new_chunk() for _ in range(10)]
    await client.send(
        *(
            packed_forward("app.burst", [[T0, {"message": f"c{c} r{n}"}] for n in range(300)], chunk)
            for c, chunk in enumerate(chunks)
        )
    )

    await eventually(lambda: small_queue_collector.batcher.stats.overloaded_submissions > 0)
    assert await client.nothing_within(0.3), "nothing is acknowledged while nothing can commit"
    await transaction.commit()
    await blocker.close()

    assert sorted(await client.acks(10)) == sorted(chunks), "the connection stayed open throughout"
    await client.close()
    assert await db.fetchval("SELECT count(*) FROM logs") == 3000


async def test_sigterm_stores_every_acknowledged_chunk(dsn: str, tmp_path: Path, db: asyncpg.Connection) -> None:
    running = start_loglens(dsn, tmp_path)
    acknowledged: list[int] = []

    async def stream(connection: int) -> None:
        client = await ForwardClient.connect(running.forward_port)
        try:
            for number in range(connection * 10_000, connection * 10_000 + 10_000):
                chunk = new_chunk()
                entries = [[T0, {"message": f"r{n}", "user_id": str(number)}] for n in range(RECORDS_PER_CHUNK)]
                await client.send(packed_forward("app.shutdown", entries, chunk))
                assert await client.acks(1, within_s=20) == [chunk]
                acknowledged.append(number)
        except (EOFError, ConnectionError):
            return  # loglens stopped: this chunk was not acknowledged
        finally:
            await client.close()

    try:
        streaming = asyncio.gather(*(stream(n) for n in range(4)))
        await asyncio.sleep(1.5)
        running.process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(running.process.wait, 30)
        await asyncio.wait_for(streaming, timeout=30)
    finally:
        stop_loglens(running)

    assert running.process.returncode == 0, running.output()
    assert len(acknowledged) > 20
    per_chunk = dict(await db.fetch("SELECT user_id::int, count(*) FROM logs GROUP BY 1"))
    assert [n for n in acknowledged if per_chunk.get(n) != RECORDS_PER_CHUNK] == []
