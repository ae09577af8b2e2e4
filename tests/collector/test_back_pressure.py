"""Back-pressure while the database is slow (issue 14, defect 7): a table locked by another
connection (``LOCK TABLE logs IN ACCESS EXCLUSIVE MODE``).

* At ``LOGLENS_COMMIT_TIMEOUT_S`` a waiting request is answered 503 with ``Retry-After`` (gRPC
  ``UNAVAILABLE``), and nothing of it is stored later: a request still queued is withdrawn, a
  batch whose COPY waits on the lock is rolled back by the writer's statement timeout. OTLP has no
  idempotency key, so this is what keeps a client's retry from storing its records twice.
* 429 as soon as the pending rows or bytes (``LOGLENS_MAX_PENDING_BYTES``) reach their limit.
* ``/health`` answers at once while the table is locked (its probe has a connection of its own).

The last test runs the real OpenTelemetry SDK exporters (OTLP/HTTP and OTLP/gRPC) and plain
JSON clients through a 10 s lock against a real collector process and counts, per client,
sent / acknowledged / stored / missing / duplicated.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import grpc
import orjson
import psutil
import pytest
import requests
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExportResult
from opentelemetry.sdk.resources import Resource

from loglens.collector.server import Collector
from tests.conftest import eventually, settings_for_tests, start_loglens, stop_loglens
from tests.otlp_payloads import record, request

JSON = {"Content-Type": "application/json"}
EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


async def until(condition: Callable[[], Awaitable[bool]], within_s: float = 10.0) -> None:
    """``eventually`` for a condition that has to ask the database."""
    deadline = time.monotonic() + within_s
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.01)


class TableLock:
    """``LOCK TABLE logs IN ACCESS EXCLUSIVE MODE``, held by a connection of its own."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._connection: asyncpg.Connection | None = None

    async def take(self) -> None:
        self._connection = await asyncpg.connect(self._dsn)
        await self._connection.execute("BEGIN; LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")

    async def waiting(self) -> int:
        """Backends waiting for a lock on logs: a writer's COPY blocked by this one."""
        assert self._connection is not None
        return int(
            await self._connection.fetchval(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'logs'::regclass"
            )
        )

    async def release(self) -> None:
        if self._connection is not None:
            await self._connection.execute("COMMIT")
            await self._connection.close()
            self._connection = None


@dataclass
class SlowJsonRequest:
    """A POST /logs whose body is sent in two parts, the second when told: until then the
    request is on its way to the batcher."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    rest: bytes

    @classmethod
    async def start(cls, port: int, body: bytes) -> SlowJsonRequest:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body[:5])
        await writer.drain()
        return cls(reader, writer, body[5:])

    async def finish(self) -> int:
        """Send the rest of the body; the answer's status."""
        self.writer.write(self.rest)
        await self.writer.drain()
        status_line = await self.reader.readline()
        await self.reader.read()
        self.writer.close()
        return int(status_line.split()[1])


def _records(tag: str, count: int, message_chars: int = 0) -> bytes:
    padding = "x" * message_chars
    return orjson.dumps(
        {"logs": [{"message": f"{tag} {n} {padding}".rstrip(), "service": tag} for n in range(count)]}
    )


async def test_a_request_told_to_retry_at_the_commit_timeout_is_never_stored(
    dsn: str, db: asyncpg.Connection
) -> None:
    """One writer connection: the first request's batch waits in COPY on the lock (rolled back at
    the timeout), the next ones wait in the queue behind it (withdrawn at their deadline)."""
    collector = Collector(settings_for_tests(commit_timeout_s=1.0, writer_connections=1, flush_interval_ms=5), dsn)
    await collector.start()
    base = f"http://127.0.0.1:{collector.ports.otlp_http}"
    lock = TableLock(dsn)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:

            async def post(tag: str) -> tuple[int, str | None, float]:
                started = time.monotonic()
                async with session.post(f"{base}/logs", data=_records(tag, 50), headers=JSON) as response:
                    await response.read()
                    return response.status, response.headers.get("Retry-After"), time.monotonic() - started

            await lock.take()
            first = asyncio.create_task(post("in-copy"))

            async def copy_waits_on_the_lock() -> bool:
                return await lock.waiting() >= 1

            await until(copy_waits_on_the_lock)
            queued = [asyncio.create_task(post(f"queued-{n}")) for n in range(5)]
            await eventually(lambda: collector.batcher.pending_rows == 300)

            started = time.monotonic()
            async with session.get(f"{base}/health") as health:
                assert health.status == 200
                assert (await health.json())["pending_rows"] > 0
            assert time.monotonic() - started < 1.0, "/health must not wait on the locked table"

            answers = await asyncio.gather(first, *queued)
            for status, retry_after, elapsed in answers:
                assert status == 503
                assert retry_after == "1"
                assert elapsed < 1.0 + 1.0, f"answered after {elapsed:.2f} s; the commit timeout is 1 s"
            assert collector.batcher.pending_rows == 0
            assert collector.batcher.pending_bytes == 0
            assert collector.batcher.stats.timed_out_submissions == 6
            await lock.release()

            # Nothing of what was told to retry is committed once the lock is gone, and the writer
            # stores again.
            status, _, _ = await post("after")
            assert status == 200
    finally:
        await lock.release()
        await collector.stop()
    stored = await db.fetch("SELECT service, count(*) AS n FROM logs GROUP BY 1")
    assert {row["service"]: row["n"] for row in stored} == {"after": 50}


def _server_side_connections(port: int) -> int:
    """This process's accepted connections on ``port`` that the server has not closed yet."""
    return sum(
        1
        for c in psutil.Process().net_connections(kind="tcp")
        if c.laddr.port == port and c.status in (psutil.CONN_ESTABLISHED, psutil.CONN_CLOSE_WAIT)
    )


async def test_a_request_whose_client_left_during_the_lock_is_not_committed_after_it(
    dsn: str, db: asyncpg.Connection
) -> None:
    """The OpenTelemetry SDK retries a 503 with what is left of its export timeout, and gives up
    on that last attempt long before LOGLENS_COMMIT_TIMEOUT_S; the lock released before the
    commit timeout, its rows must not be committed: the exporter (or the application behind it)
    sends them again. Here an OTLP/HTTP client and a gRPC client give up after 0.5 s, beside a
    JSON client that waits, all in the batch whose COPY waits on the lock; the lock is released
    after they left and well before the 5 s commit timeout. The waiting client's rows are stored,
    the two that left store nothing, and their resends are stored once."""
    settings = settings_for_tests(commit_timeout_s=5.0, writer_connections=1, flush_interval_ms=300)
    collector = Collector(settings, dsn)
    await collector.start()
    http_port = collector.ports.otlp_http
    lock = TableLock(dsn)
    otlp_body = request(record(body="left otlp-http 0"), record(body="left otlp-http 1")).SerializeToString()
    grpc_body = request(record(body="left otlp-grpc 0")).SerializeToString()
    try:
        await lock.take()
        async with (
            aiohttp.ClientSession() as session,
            grpc.aio.insecure_channel(f"127.0.0.1:{collector.ports.otlp_grpc}") as channel,
        ):
            export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)

            async def otlp_http(timeout_s: float) -> int:
                async with session.post(
                    f"http://127.0.0.1:{http_port}/v1/logs",
                    data=otlp_body,
                    headers={"Content-Type": "application/x-protobuf"},
                    timeout=aiohttp.ClientTimeout(total=timeout_s),
                ) as response:
                    await response.read()
                    return response.status

            async def json_waits() -> int:
                async with session.post(
                    f"http://127.0.0.1:{http_port}/logs", data=_records("waited", 3), headers=JSON
                ) as response:
                    await response.read()
                    return response.status

            # A request whose body is still coming keeps the batch open (until its 300 ms timer),
            # so that the three sent at once share the batch whose COPY will wait on the lock.
            slow = await SlowJsonRequest.start(http_port, _records("slow", 1))
            await eventually(lambda: collector.batcher.arriving == 1)
            waiting = asyncio.create_task(json_waits())
            left: list[object] = await asyncio.gather(
                otlp_http(0.5), export(grpc_body, timeout=0.5), return_exceptions=True
            )
            http_left, grpc_left = left
            assert isinstance(http_left, TimeoutError), http_left
            assert isinstance(grpc_left, grpc.aio.AioRpcError), grpc_left
            assert grpc_left.code() == grpc.StatusCode.DEADLINE_EXCEEDED

            async def copy_waits_on_the_lock() -> bool:
                return await lock.waiting() >= 1

            await until(copy_waits_on_the_lock)
            assert collector.batcher.pending_rows == 6, "all three requests wait on the lock"
            # The OTLP/HTTP client's connection is closed on the server's side too: it is gone.
            await eventually(lambda: _server_side_connections(http_port) == 2)
            slow_answer = asyncio.create_task(slow.finish())
            await lock.release()
            assert await waiting == 200
            assert await slow_answer == 200
            assert collector.batcher.stats.abandoned_submissions == 2

            # What the clients that left send again is stored, once.
            assert await otlp_http(10) == 200
            await export(grpc_body, timeout=10)
    finally:
        await lock.release()
        await collector.stop()
    stored = await db.fetch("SELECT message, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1")
    assert {row["message"]: row["n"] for row in stored} == {
        "left otlp-grpc 0": 1,
        "left otlp-http 0": 1,
        "left otlp-http 1": 1,
        "slow 0": 1,
        "waited 0": 1,
        "waited 1": 1,
        "waited 2": 1,
    }


async def test_pending_bytes_past_their_limit_are_answered_429(dsn: str, db: asyncpg.Connection) -> None:
    """LOGLENS_MAX_PENDING_BYTES: 429 while far below the row limit, once the bytes are reached."""
    settings = settings_for_tests(max_pending_bytes=1024 * 1024, commit_timeout_s=20.0, writer_connections=1)
    collector = Collector(settings, dsn)
    await collector.start()
    url = f"http://127.0.0.1:{collector.ports.otlp_http}/logs"
    lock = TableLock(dsn)
    body = _records("big", 200, message_chars=2_000)  # about 400 KB, 800 KB as counted
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

            async def post() -> int:
                async with session.post(url, data=body, headers=JSON) as response:
                    await response.read()
                    return response.status

            await lock.take()
            accepted = asyncio.create_task(post())
            await eventually(lambda: collector.batcher.pending_rows == 200)
            assert collector.batcher.pending_bytes > len(body)
            async with session.post(url, data=body, headers=JSON) as refused:
                assert refused.status == 429
                assert refused.headers["Retry-After"] == "1"
                assert "LOGLENS_MAX_PENDING_BYTES" in (await refused.json())["error"]
            assert collector.batcher.pending_rows == 200, "the refused request holds nothing"
            await lock.release()
            assert await accepted == 200
            assert await post() == 200
    finally:
        await lock.release()
        await collector.stop()
    assert await db.fetchval("SELECT count(*) FROM logs") == 400


# --- real clients through a 10 s lock ------------------------------------------------------------

LOCK_S = 10.0
COMMIT_TIMEOUT_S = 2.0
SDK_RECORDS_PER_S = 100
JSON_CLIENT_TIMEOUT_S = 5.0


@dataclass
class Tally:
    """What one client sent and was acknowledged, and what a retryable answer looked like."""

    sent: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    retryable: list[tuple[int, str | None, float]] = field(default_factory=list)  # status, Retry-After, s
    timeouts: int = 0  # requests the client gave up waiting for, and sent again
    lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, name: str, stored: Counter[str]) -> dict[str, int]:
        acked = set(self.acknowledged)
        figures = {
            "sent": len(self.sent),
            "acknowledged": len(acked),
            "stored": sum(1 for message in self.sent if stored[message]),
            "missing": sum(1 for message in acked if not stored[message]),
            "duplicated": sum(1 for message in self.sent if stored[message] > 1),
            "retryable answers": len(self.retryable),
            "client timeouts": self.timeouts,
        }
        print(f"{name}: " + ", ".join(f"{key} {value}" for key, value in figures.items()))  # noqa: T201
        return figures


def _acknowledged(
    tally: Tally, batch: Sequence[ReadableLogRecord], result: LogRecordExportResult
) -> LogRecordExportResult:
    """Note the batch in ``tally`` as acknowledged if the exporter's ``result`` says so."""
    if result is LogRecordExportResult.SUCCESS:
        with tally.lock:
            tally.acknowledged.extend(str(record.log_record.body) for record in batch)
    return result


class _Acknowledging(HttpLogExporter):
    def __init__(self, tally: Tally, **options: Any) -> None:
        super().__init__(**options)
        self._tally = tally

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        return _acknowledged(self._tally, batch, super().export(batch))


class _AcknowledgingGrpc(GrpcLogExporter):
    def __init__(self, tally: Tally, **options: Any) -> None:
        super().__init__(**options)
        self._tally = tally

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        return _acknowledged(self._tally, batch, super().export(batch))


def _sdk_logger(name: str, exporter: Any) -> tuple[logging.Logger, LoggerProvider]:
    provider = LoggerProvider(resource=Resource.create({"service.name": name}))
    provider.add_log_record_processor(
        BatchLogRecordProcessor(
            exporter, schedule_delay_millis=50, max_export_batch_size=200, max_queue_size=50_000
        )
    )
    logger = logging.getLogger(f"loglens.tests.back_pressure.{name}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(LoggingHandler(logger_provider=provider))
    return logger, provider


@pytest.fixture
def sdk_loggers() -> Iterator[list[logging.Logger]]:
    loggers: list[logging.Logger] = []
    yield loggers
    for logger in loggers:
        logger.handlers.clear()
        logger.propagate = True


def _log_until(logger: logging.Logger, tally: Tally, prefix: str, stop: threading.Event) -> None:
    """An application logging at a steady rate until told to stop."""
    number = 0
    next_at = time.monotonic()
    while not stop.is_set():
        message = f"{prefix} {number}"
        with tally.lock:
            tally.sent.append(message)
        logger.info(message)
        number += 1
        next_at += 1 / SDK_RECORDS_PER_S
        stop.wait(max(0.0, next_at - time.monotonic()))


async def _json_client(
    session: aiohttp.ClientSession, url: str, name: str, tally: Tally, stop: asyncio.Event
) -> None:
    """A JSON client without idempotency keys that retries 429/503 after Retry-After, and sends
    again at once a request it waited ``JSON_CLIENT_TIMEOUT_S`` for (as the issue's clients did)."""
    number = 0
    while not stop.is_set():
        messages = [f"{name} {number} {n}" for n in range(20)]
        body = orjson.dumps({"logs": [{"message": message, "service": name} for message in messages]})
        tally.sent.extend(messages)
        while True:
            started = time.monotonic()
            try:
                async with session.post(
                    url, data=body, headers=JSON, timeout=aiohttp.ClientTimeout(total=JSON_CLIENT_TIMEOUT_S)
                ) as response:
                    await response.read()
                    if response.status == 200:
                        tally.acknowledged.extend(messages)
                        break
                    assert response.status in (429, 503), await response.text()
                    retry_after = response.headers.get("Retry-After")
                    tally.retryable.append((response.status, retry_after, time.monotonic() - started))
            except TimeoutError:
                tally.timeouts += 1
                continue
            await asyncio.sleep(float(retry_after or 1))
        number += 1
        await asyncio.sleep(0.02)


async def test_real_clients_through_a_ten_second_lock_store_each_record_once(
    dsn: str, db: asyncpg.Connection, tmp_path: Path, sdk_loggers: list[logging.Logger]
) -> None:
    running = start_loglens(
        dsn,
        tmp_path,
        command=("serve", "collector"),
        env={"LOGLENS_COLLECTOR_WORKERS": "1", "LOGLENS_COMMIT_TIMEOUT_S": str(COMMIT_TIMEOUT_S)},
    )
    http_tally, grpc_tally, json_tally = Tally(), Tally(), Tally()

    def heard(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if response.status_code != 200:
            with http_tally.lock:
                http_tally.retryable.append(
                    (response.status_code, response.headers.get("Retry-After"), response.elapsed.total_seconds())
                )

    session = requests.Session()
    session.hooks["response"].append(heard)
    # Timeouts longer than the lock: the exporters retry through it (each attempt is told 503 at
    # the commit timeout) instead of giving up.
    http_logger, http_provider = _sdk_logger(
        "sdk-http", _Acknowledging(http_tally, endpoint=f"{running.http_url}/v1/logs", timeout=40, session=session)
    )
    grpc_logger, grpc_provider = _sdk_logger(
        "sdk-grpc",
        _AcknowledgingGrpc(grpc_tally, endpoint=f"127.0.0.1:{running.grpc_port}", insecure=True, timeout=40),
    )
    sdk_loggers.extend([http_logger, grpc_logger])
    stop_logging = threading.Event()
    applications = [
        threading.Thread(target=_log_until, args=(http_logger, http_tally, "sdk-http", stop_logging)),
        threading.Thread(target=_log_until, args=(grpc_logger, grpc_tally, "sdk-grpc", stop_logging)),
    ]
    stop_json = asyncio.Event()
    lock = TableLock(dsn)
    health_s: list[float] = []
    health_statuses: list[int] = []
    json_clients: list[asyncio.Task[None]] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client:
            for application in applications:
                application.start()
            json_clients += [
                asyncio.create_task(
                    _json_client(client, f"{running.http_url}/logs", f"json-{n}", json_tally, stop_json)
                )
                for n in range(4)
            ]
            # Stored before the lock: every client gets through.
            await until(lambda: _all_clients_stored(db), within_s=20)

            await lock.take()
            locked_at = time.monotonic()
            while time.monotonic() - locked_at < LOCK_S:  # the lock lasts LOCK_S; /health meanwhile
                started = time.monotonic()
                try:
                    async with client.get(
                        f"{running.http_url}/health", timeout=aiohttp.ClientTimeout(total=5)
                    ) as health:
                        await health.read()
                        health_statuses.append(health.status)
                except TimeoutError:
                    health_statuses.append(0)  # no answer in 5 s
                health_s.append(time.monotonic() - started)
                await asyncio.sleep(0.25)
            await lock.release()

            # After the lock every client stores again; then they stop, and everything sent is delivered.
            at_release = await _stored_per_client(db)

            async def every_client_stores_again() -> bool:
                now = await _stored_per_client(db)
                return all(now.get(name, 0) > count for name, count in at_release.items())

            await until(every_client_stores_again, within_s=20)
            stop_logging.set()
            stop_json.set()
            for application in applications:
                await asyncio.to_thread(application.join, 10)
            assert await asyncio.to_thread(http_provider.force_flush, 60_000)
            assert await asyncio.to_thread(grpc_provider.force_flush, 60_000)
            await asyncio.wait_for(asyncio.gather(*json_clients), timeout=60)
    finally:
        stop_logging.set()
        stop_json.set()
        for task in json_clients:
            task.cancel()
        await asyncio.gather(*json_clients, return_exceptions=True)
        await lock.release()
        http_provider.shutdown()
        grpc_provider.shutdown()
        session.close()
        stop_loglens(running)

    stored = Counter(
        {row["message"]: row["n"] for row in await db.fetch("SELECT message, count(*) AS n FROM logs GROUP BY 1")}
    )
    print(  # noqa: T201 - the figures the issue asks for, in the test's output
        f"\n{LOCK_S:g} s lock, commit timeout {COMMIT_TIMEOUT_S:g} s; /health during the lock: "
        f"{len(health_s)} answers, slowest {max(health_s, default=0):.3f} s"
    )
    for name, tally in (
        ("OTel SDK OTLP/HTTP", http_tally),
        ("OTel SDK OTLP/gRPC", grpc_tally),
        ("JSON", json_tally),
    ):
        figures = tally.report(name, stored)
        assert figures["duplicated"] == 0, f"{name}: records stored twice"
        assert figures["missing"] == 0, f"{name}: acknowledged records not stored"
        assert figures["acknowledged"] == figures["sent"] == figures["stored"], f"{name}: not everything delivered"
    for name, tally in (("OTel SDK OTLP/HTTP", http_tally), ("JSON", json_tally)):
        timely = [s for status, retry_after, s in tally.retryable if status == 503 and retry_after]
        assert timely, f"{name} never heard a 503 with Retry-After during the lock"
        assert min(timely) <= COMMIT_TIMEOUT_S + 1.0
        assert max(s for status, _, s in tally.retryable if status == 503) <= COMMIT_TIMEOUT_S + 1.0, (
            f"{name}: a 503 came later than the commit timeout"
        )
    assert "gRPC Export answered UNAVAILABLE" in running.output(), "the gRPC exporter was never told to retry"
    assert health_s, "no /health during the lock"
    assert set(health_statuses) == {200}, f"/health during the lock: {health_statuses}"
    assert max(health_s) < 1.0, f"/health took {max(health_s):.2f} s during the lock"


async def _all_clients_stored(db: asyncpg.Connection) -> bool:
    services = await db.fetchval("SELECT count(DISTINCT service) FROM logs")
    return int(services) == 6  # sdk-http, sdk-grpc, json-0..3


async def _stored_per_client(db: asyncpg.Connection) -> dict[str, int]:
    rows = await db.fetch("SELECT service, count(*) AS n FROM logs GROUP BY 1")
    return {row["service"]: int(row["n"]) for row in rows}
