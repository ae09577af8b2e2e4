"""Splunk's HTTP Event Collector (collector/receivers/splunk.py): the ``splunk-hec-handler``
package from PyPI driven by Python's logging (one request per record, as it sends them), and
HEC bodies as Fluent Bit, Vector and Docker's splunk driver write them."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest
from splunk_hec_handler import SplunkHecHandler

from loglens.collector.server import Collector
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from tests.conftest import settings_for_tests

T0 = 1_796_288_400  # 2026-12-03 09:00:00 UTC
SERVICES = ("checkout", "payment", "search")
LEVELS = ((logging.DEBUG, "DEBUG"), (logging.INFO, "INFO"), (logging.WARNING, "WARN"), (logging.ERROR, "ERROR"))
TOKEN = "hec-ingest-token"
COUNT = 10_000
SENDERS = 8  # threads, each with a handler of its own (the handler sends one request at a time)


def base(collector: Collector) -> str:
    return f"http://127.0.0.1:{collector.ports.otlp_http}"


def created(number: int) -> float:
    return T0 + number * 0.001237


def as_datetime(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(round(seconds * 1_000_000) / 1_000_000, dt.UTC)


class _Numbered(logging.Filter):
    """Gives record ``n`` its own time (the handler sends ``record.created``), so the test knows it."""

    def filter(self, record: logging.LogRecord) -> bool:
        event: dict[str, Any] = record.msg  # type: ignore[assignment]  # the handler sends dicts as they are
        record.created = created(event["n"])
        return True


@pytest.fixture
async def guarded(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(ingest_token=TOKEN), dsn)
    await running.start()
    yield running
    await running.stop()


def hec_handler(collector: Collector, failures: list[BaseException]) -> SplunkHecHandler:
    handler = SplunkHecHandler(
        "127.0.0.1",
        TOKEN,
        port=collector.ports.otlp_http,
        proto="http",
        source="shop-api",
        sourcetype="_json",
        index="main",
        hostname="web-1",
    )
    handler.addFilter(_Numbered())

    def failed(_record: logging.LogRecord) -> None:
        failures.append(RuntimeError("a record was not sent"))

    handler.handleError = failed
    return handler


# 10,000 requests, each on a connection of its own (the handler sends "Connection: close") from
# threads that share this process's interpreter with the collector: some 40 s on 2 cores.
@pytest.mark.timeout(300)
async def test_splunk_hec_handler_sends_ten_thousand_records_stored_once_with_their_columns(
    guarded: Collector, db: asyncpg.Connection
) -> None:
    failures: list[BaseException] = []

    def send(sender: int) -> None:
        logger = logging.getLogger(f"tests.hec.client.{sender}")
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        handler = hec_handler(guarded, failures)
        logger.addHandler(handler)
        try:
            for n in range(sender, COUNT, SENDERS):
                event: dict[str, Any] = {"message": f"event {n}", "n": n}
                if n % 2:
                    event["fields"] = {"service": SERVICES[n % 3]}  # indexed fields
                else:
                    event["service_name"] = SERVICES[n % 3]
                logger.log(LEVELS[n % 4][0], event)
        finally:
            logger.removeHandler(handler)

    await asyncio.gather(*(asyncio.to_thread(send, sender) for sender in range(SENDERS)))
    assert failures == []

    rows = await db.fetch("SELECT message, service, level::text, created_at, metadata FROM logs")
    by_message = {row["message"]: row for row in rows}
    assert (len(rows), len(by_message)) == (COUNT, COUNT)  # every one once
    for n in range(COUNT):
        row = by_message[f"event {n}"]
        expected = (SERVICES[n % 3], LEVELS[n % 4][1], as_datetime(created(n)))
        assert (row["service"], row["level"], row["created_at"]) == expected, n
    metadata = orjson.loads(by_message["event 0"]["metadata"])
    assert metadata == {"n": 0, "host.name": "web-1", "source": "shop-api", "sourcetype": "_json", "index": "main"}


async def post(url: str, body: bytes, **headers: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as answer:
        return answer.status, orjson.loads(await answer.read())


async def test_concatenated_events_as_shippers_write_them(collector: Collector, db: asyncpg.Connection) -> None:
    events = [
        # Fluent Bit's splunk output: the record as the event, the tag's time
        {"time": T0 + 0.25, "event": {"log": "GET /cart 200", "level": "info", "service": "cart"}},
        # Vector's splunk_hec_logs: time as text, host, source, fields
        {
            "time": f"{T0}.5",
            "host": "web-2",
            "source": "/var/log/app.log",
            "event": "plain text",
            "fields": {"k": "v"},
        },
        # Docker's splunk driver (inline format)
        {"time": T0 + 0.75, "event": {"line": "from a container", "source": "stdout", "tag": "abc"}},
        # an event object with no message: its JSON is the message
        {"time": T0 + 1, "event": {"action": "login", "user": "u-1"}},
        # the event's own time and level win
        {"time": T0, "event": {"msg": "own time", "severity": "error", "@timestamp": "2026-12-03T09:00:02.125Z"}},
    ]
    body = (
        b"".join(orjson.dumps(event) for event in events[:3])
        + b"\n"
        + b"\r\n ".join(orjson.dumps(event) for event in events[3:])
    )
    url = f"{base(collector)}/services/collector/event"
    assert await post(url, gzip.compress(body), **{"Content-Encoding": "gzip"}) == (
        200,
        {"text": "Success", "code": 0},
    )
    rows = {
        row["message"]: row
        for row in await db.fetch("SELECT message, service, level::text, created_at, metadata FROM logs")
    }
    at = dt.datetime.fromtimestamp(T0, dt.UTC)
    assert len(rows) == 5
    assert (rows["GET /cart 200"]["service"], rows["GET /cart 200"]["created_at"]) == (
        "cart",
        at + dt.timedelta(milliseconds=250),
    )
    plain = rows["plain text"]
    assert plain["created_at"] == at + dt.timedelta(milliseconds=500)
    assert orjson.loads(plain["metadata"]) == {"host.name": "web-2", "source": "/var/log/app.log", "k": "v"}
    docker = rows["from a container"]
    assert (docker["service"], orjson.loads(docker["metadata"])) == ("abc", {"log.iostream": "stdout"})
    assert '"action":"login"' in "".join(rows)
    own = rows["own time"]
    assert (own["level"], own["created_at"]) == (
        "ERROR",
        dt.datetime(2026, 12, 3, 9, 0, 2, 125_000, tzinfo=dt.UTC),
    )


async def test_raw_lines_take_the_query_as_their_envelope(collector: Collector, db: asyncpg.Connection) -> None:
    url = f"{base(collector)}/services/collector/raw?host=h-1&sourcetype=access&source=nginx"
    body = (
        b'first raw line\n\n{"message": "json line", "level": "warn", "service": "edge"}\r\nthird\x0bstill third\n'
    )
    assert await post(url, body) == (200, {"text": "Success", "code": 0})
    rows = {
        row["message"]: row for row in await db.fetch("SELECT message, service, level::text, metadata FROM logs")
    }
    assert set(rows) == {"first raw line", "json line", "third\x0bstill third"}
    assert (rows["json line"]["service"], rows["json line"]["level"]) == ("edge", "WARN")
    assert orjson.loads(rows["third\x0bstill third"]["metadata"]) == {
        "host.name": "h-1",
        "source": "nginx",
        "sourcetype": "access",
    }


@pytest.mark.parametrize(
    ("body", "code", "number"),
    [
        (b'{"event": "a"}{"event": "b"', 6, 1),
        (b'{"event": "a"} [1]', 6, 1),
        (b'{"event": "a"}{"time": 1}', 12, 1),
        (b'{"event": ""}', 13, 0),
        (b'{"event": "a"}{"event": "b", "fields": [1]}', 15, 1),
        (b"\xff\xfe", 6, 0),
    ],
)
async def test_a_bad_event_refuses_the_request_in_hecs_shape(
    collector: Collector, db: asyncpg.Connection, body: bytes, code: int, number: int
) -> None:
    status, answer = await post(f"{base(collector)}/services/collector", body)
    assert status == 400
    assert (answer["code"], answer["invalid-event-number"]) == (code, number)
    assert await db.fetchval("SELECT count(*) FROM logs") == 0


async def test_no_data_and_refused_events(collector: Collector, db: asyncpg.Connection) -> None:
    url = f"{base(collector)}/services/collector/event/1.0"
    status, answer = await post(url, b"  \n")
    assert (status, answer["code"], answer["text"]) == (400, 5, "No data")
    status, answer = await post(url, b'{"event": "kept"}{"event": "nul \\u0000 inside"}')
    assert (status, answer["code"], answer["invalid-event-number"]) == (400, 6, 1)
    status, answer = await post(url, b'{"event": "lone \\ud800 surrogate"}{"event": "kept too"}')
    assert (status, answer["code"], answer["invalid-event-number"]) == (400, 6, 0)
    assert "not valid UTF-8" in answer["detail"]
    assert sorted(await db.fetchval("SELECT array_agg(message) FROM logs")) == ["kept", "kept too"]


async def test_the_token_is_checked_as_hec_checks_it(guarded: Collector, db: asyncpg.Connection) -> None:
    url = f"{base(guarded)}/services/collector/event"
    body = b'{"event": "with token"}'
    assert (await post(url, body))[1]["code"] == 2
    status, answer = await post(url, body, Authorization=f"Basic {TOKEN}")
    assert (status, answer["code"]) == (401, 3)
    status, answer = await post(url, body, Authorization="Splunk not-it")
    assert (status, answer["code"]) == (403, 4)
    assert await post(url, body, Authorization=f"Bearer {TOKEN}") == (200, {"text": "Success", "code": 0})
    assert await post(url, body, Authorization=f"Splunk {TOKEN}") == (200, {"text": "Success", "code": 0})
    assert await db.fetchval("SELECT count(*) FROM logs") == 2


async def test_health_answers_without_a_token(guarded: Collector) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base(guarded)}/services/collector/health") as answer,
    ):
        assert (answer.status, await answer.json()) == (200, {"text": "HEC is healthy", "code": 17})


async def test_an_outage_is_answered_retryable_in_hecs_shape(own_postgres: EmbeddedPostgres) -> None:
    connection = await asyncpg.connect(own_postgres.dsn)
    await migrate(connection)
    await connection.close()
    running = Collector(settings_for_tests(commit_timeout_s=0.5), own_postgres.dsn)
    await running.start()
    try:
        async with aiohttp.ClientSession() as http:

            async def post(text: str) -> tuple[int, Any, Any]:
                body = orjson.dumps({"event": text})
                async with http.post(f"{base(running)}/services/collector/event", data=body) as response:
                    return response.status, response.headers, await response.json()

            await asyncio.to_thread(own_postgres.stop)
            own_postgres._started_here = False  # stopped by hand; start() below starts it again
            deadline = time.monotonic() + 30
            status, headers, answer = await post("during the outage")
            while status == 200 and time.monotonic() < deadline:
                status, headers, answer = await post("during the outage")
            assert (status, answer["code"], answer["text"]) == (503, 9, "Server is busy")
            assert int(headers["Retry-After"]) >= 1
            async with http.get(f"{base(running)}/services/collector/health") as health:
                assert (health.status, (await health.json())["code"]) == (503, 18)

            await asyncio.to_thread(own_postgres.start)
            deadline = time.monotonic() + 60
            status, _, answer = await post("after the outage")
            while status != 200 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)  # a client's retry interval, not a wait for a condition
                status, _, answer = await post("after the outage")
            assert (status, answer) == (200, {"text": "Success", "code": 0})
    finally:
        await running.stop()
    connection = await asyncpg.connect(own_postgres.dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM logs WHERE message = 'after the outage'") == 1
    finally:
        await connection.close()
