"""An acknowledged log is never lost: the database going away mid-stream, a saturated
writer, and shutdown while requests are in flight."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import orjson
import pytest

from loglens.collector.server import Collector
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from tests.conftest import eventually, settings_for_tests, start_loglens, stop_loglens


class Sender:
    """A client that sends numbered batches and retries on retryable answers, as exporters do."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: list[int] = []
        self.retryable_answers: list[tuple[int, str | None]] = []

    async def send(self, session: aiohttp.ClientSession, batch_number: int, size: int = 20) -> None:
        body = orjson.dumps(
            {
                "logs": [
                    {"message": f"batch {batch_number} record {n}", "user_id": str(batch_number)}
                    for n in range(size)
                ]
            }
        )
        while True:
            try:
                async with session.post(self.url, data=body, headers={"Content-Type": "application/json"}) as r:
                    if r.status == 200:
                        self.acknowledged.append(batch_number)
                        return
                    assert r.status in (429, 503), await r.text()
                    self.retryable_answers.append((r.status, r.headers.get("Retry-After")))
            except aiohttp.ClientConnectionError:
                self.retryable_answers.append((0, None))
            await asyncio.sleep(0.1)


async def test_database_going_away_mid_stream_loses_no_acknowledged_log(
    own_postgres: EmbeddedPostgres,
) -> None:
    connection = await asyncpg.connect(own_postgres.dsn)
    await migrate(connection)
    await connection.close()
    collector = Collector(settings_for_tests(commit_timeout_s=1.0), own_postgres.dsn)
    await collector.start()
    sender = Sender(f"http://127.0.0.1:{collector.ports.otlp_http}/logs")
    health_url = f"http://127.0.0.1:{collector.ports.otlp_http}/health"
    try:
        async with aiohttp.ClientSession() as session:

            async def stream(first: int, last: int) -> None:
                for number in range(first, last):
                    await sender.send(session, number)
                    await asyncio.sleep(0.01)

            streaming = asyncio.create_task(stream(0, 150))
            await asyncio.sleep(0.5)
            await asyncio.to_thread(own_postgres.stop)
            own_postgres._started_here = False  # stopped by hand; start() below starts it again
            await asyncio.sleep(3.0)  # longer than commit_timeout: waiting requests are told to retry
            async with session.get(health_url) as response:
                assert response.status == 503
                assert (await response.json())["status"] == "degraded"
            await asyncio.to_thread(own_postgres.start)
            await asyncio.wait_for(streaming, timeout=60)
            async with session.get(health_url) as response:
                assert response.status == 200
    finally:
        await collector.stop()

    assert any(status == 503 and retry_after for status, retry_after in sender.retryable_answers), (
        "the outage should have been answered with 503 and Retry-After"
    )
    connection = await asyncpg.connect(own_postgres.dsn)
    try:
        stored = await connection.fetch("SELECT user_id::int AS batch, count(*) AS n FROM logs GROUP BY 1")
    finally:
        await connection.close()
    per_batch = {row["batch"]: row["n"] for row in stored}
    assert sorted(sender.acknowledged) == list(range(150))
    lost = [number for number in sender.acknowledged if per_batch.get(number, 0) < 20]
    assert lost == []
    duplicated = [number for number, n in per_batch.items() if n > 20]
    # A commit whose answer is lost with the connection is retried by the client: at least once.
    assert len(duplicated) <= 2, f"batches stored twice: {duplicated}"


@pytest.fixture
async def small_queue_collector(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(max_pending_rows=1000, batch_rows=500, flush_interval_ms=5), dsn)
    await running.start()
    yield running
    await running.stop()


async def test_a_saturated_writer_answers_429_then_catches_up(
    small_queue_collector: Collector, dsn: str, db: asyncpg.Connection
) -> None:
    url = f"http://127.0.0.1:{small_queue_collector.ports.otlp_http}/logs"
    body = orjson.dumps({"logs": [{"message": f"row {n}"} for n in range(600)]})
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        blocker = await asyncpg.connect(dsn)
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")

        async def post() -> int:
            async with session.post(url, data=body, headers=headers) as response:
                return response.status

        first = asyncio.create_task(post())
        await eventually(lambda: small_queue_collector.batcher.pending_rows >= 600)
        async with session.post(url, data=body, headers=headers) as refused:
            assert refused.status == 429
            assert refused.headers["Retry-After"] == "1"
            assert "rows behind" in (await refused.json())["error"]

        await transaction.commit()
        await blocker.close()
        assert await first == 200
        assert await post() == 200
    assert await db.fetchval("SELECT count(*) FROM logs") == 1200


async def test_sigterm_commits_what_was_accepted(dsn: str, tmp_path: Path, db: asyncpg.Connection) -> None:
    running = start_loglens(dsn, tmp_path)
    sender = Sender(f"{running.http_url}/logs")
    try:
        async with aiohttp.ClientSession() as session:

            async def stream() -> None:
                number = 0
                while running.process.poll() is None:
                    try:
                        await asyncio.wait_for(sender.send(session, number, size=200), timeout=0.5)
                    except TimeoutError:
                        return
                    number += 1

            streaming = asyncio.create_task(stream())
            await asyncio.sleep(1.0)
            running.process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            await asyncio.to_thread(running.process.wait, 30)
            await streaming
    finally:
        stop_loglens(running)

    assert running.process.returncode == 0, running.output()
    assert time.monotonic() - started < 20
    assert "committing what was accepted" in running.output()
    assert len(sender.acknowledged) > 3
    stored = await db.fetchval(
        "SELECT count(DISTINCT user_id) FROM logs WHERE user_id = ANY($1::text[])",
        [str(number) for number in sender.acknowledged],
    )
    assert stored == len(sender.acknowledged)


async def test_grpc_answers_unavailable_with_retry_info_while_the_database_is_down(
    own_postgres: EmbeddedPostgres,
) -> None:
    import grpc
    from google.rpc import error_details_pb2, status_pb2
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

    from tests.otlp_payloads import record, request

    connection = await asyncpg.connect(own_postgres.dsn)
    await migrate(connection)
    await connection.close()
    collector = Collector(settings_for_tests(commit_timeout_s=0.5), own_postgres.dsn)
    await collector.start()
    export = request(record("during the outage")).SerializeToString()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{collector.ports.otlp_grpc}") as channel:
            call = channel.unary_unary(
                "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                request_serializer=None,
                response_deserializer=ExportLogsServiceResponse.FromString,
            )
            await asyncio.to_thread(own_postgres.stop)
            own_postgres._started_here = False
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(export)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            details = dict(refused.value.trailing_metadata() or ())["grpc-status-details-bin"]
            status = status_pb2.Status.FromString(details)
            retry_info = error_details_pb2.RetryInfo()
            assert status.details[0].Unpack(retry_info)
            assert retry_info.retry_delay.seconds >= 1

            await asyncio.to_thread(own_postgres.start)
            await eventually(lambda: collector.batcher.storage_error is None, within_s=15)
            await call(export)
    finally:
        await collector.stop()
    connection = await asyncpg.connect(own_postgres.dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM logs") == 1
    finally:
        await connection.close()
