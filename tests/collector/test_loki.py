"""Loki's push API (collector/receivers/loki.py): the ``loki-logger-handler`` package from PyPI
(JSON, gzip) driven by Python's logging, and protobuf bodies built with the generated
``logproto`` code and snappy-compressed as Promtail sends them."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import cramjam
import orjson
import pytest
from loki_logger_handler.loki_logger_handler import LokiLoggerHandler

from loglens.collector.mapping.logproto import push_pb2
from loglens.collector.mapping.loki import PushBodyError, parse_labels
from loglens.collector.server import Collector
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from tests.conftest import settings_for_tests, wait_for

T0 = 1_796_288_400  # 2026-12-03 09:00:00 UTC
SERVICES = ("checkout", "payment", "search")
LEVELS = ((logging.DEBUG, "DEBUG"), (logging.INFO, "INFO"), (logging.WARNING, "WARN"), (logging.ERROR, "ERROR"))
TOKEN = "loki-ingest-token"
COUNT = 10_000


def push_url(collector: Collector) -> str:
    return f"http://127.0.0.1:{collector.ports.otlp_http}/loki/api/v1/push"


def created(number: int) -> float:
    """A sub-second time for record ``number`` (as Python's logging keeps it: float seconds)."""
    return T0 + number * 0.001237


def as_datetime(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(round(seconds * 1_000_000) / 1_000_000, dt.UTC)


class _Numbered(logging.Filter):
    """Gives record ``n`` (``extra={"n": n}``) its own time, so that the test knows it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.created = created(record.__dict__["n"])
        return True


@pytest.fixture
async def guarded(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(ingest_token=TOKEN), dsn)
    await running.start()
    yield running
    await running.stop()


async def test_loki_logger_handler_pushes_ten_thousand_records_stored_once_with_their_columns(
    collector: Collector, db: asyncpg.Connection
) -> None:
    handler = LokiLoggerHandler(
        url=push_url(collector), labels={"env": "test", "team": "shop"}, label_keys={"app"}, timeout=1
    )
    handler.addFilter(_Numbered())
    logger = logging.getLogger("tests.loki.client")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:

        def send() -> None:
            for n in range(COUNT):
                level = LEVELS[n % 4][0]
                logger.log(level, "event %d of the shop", n, extra={"app": SERVICES[n % 3], "n": n})

        await asyncio.to_thread(send)
        stored = await wait_for("SELECT count(*) FROM logs", db, COUNT, within_s=60)
    finally:
        logger.removeHandler(handler)
    assert stored == COUNT
    assert handler.error is False

    rows = await db.fetch("SELECT message, service, level::text, created_at, metadata FROM logs")
    by_message = {row["message"]: row for row in rows}
    assert len(by_message) == COUNT  # every one once
    for n in range(COUNT):
        row = by_message[f"event {n} of the shop"]
        expected = (SERVICES[n % 3], LEVELS[n % 4][1], as_datetime(created(n)))
        assert (row["service"], row["level"], row["created_at"]) == expected, n
    metadata = orjson.loads(by_message["event 0 of the shop"]["metadata"])
    assert (metadata["env"], metadata["team"]) == ("test", "shop")  # the other labels, kept


def protobuf_push(streams: list[tuple[str, list[tuple[int, str, dict[str, str]]]]]) -> bytes:
    request = push_pb2.PushRequest()
    for labels, entries in streams:
        stream = request.streams.add(labels=labels)
        for time_ns, line, metadata in entries:
            entry = stream.entries.add(line=line)
            entry.timestamp.seconds, entry.timestamp.nanos = divmod(time_ns, 1_000_000_000)
            for name, value in metadata.items():
                entry.structuredMetadata.add(name=name, value=value)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


async def post(url: str, body: bytes, content_type: str, **headers: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers={"Content-Type": content_type, **headers}) as answer,
    ):
        return answer.status, await answer.text()


async def test_snappy_protobuf_pushes_are_stored_with_labels_as_service_and_level(
    collector: Collector, db: asyncpg.Connection
) -> None:
    levels = ("debug", "info", "warn", "error")
    per_stream = 500
    streams = []
    for number in range(COUNT // per_stream):
        service, level = SERVICES[number % 3], levels[number % 4]
        labels = f'{{service_name="{service}", level="{level}", filename="/var/log/{service}.log"}}'
        entries = []
        for entry in range(per_stream):
            n = number * per_stream + entry
            entries.append((T0 * 1_000_000_000 + n * 1_234_567, f"line {n}", {"trace_id": f"{n:032x}"}))
        streams.append((labels, entries))
    for part in range(0, len(streams), 5):  # four pushes of five streams
        body = protobuf_push(streams[part : part + 5])
        assert await post(push_url(collector), body, "application/x-protobuf") == (204, "")

    rows = await db.fetch("SELECT message, service, level::text, created_at, trace_id, metadata FROM logs")
    by_message = {row["message"]: row for row in rows}
    assert (len(rows), len(by_message)) == (COUNT, COUNT)
    for n in range(COUNT):
        row = by_message[f"line {n}"]
        number = n // per_stream
        at = dt.datetime.fromtimestamp(T0, dt.UTC) + dt.timedelta(microseconds=n * 1_234_567 // 1000)
        expected = (SERVICES[number % 3], levels[number % 4].upper(), at, f"{n:032x}")
        assert (row["service"], row["level"], row["created_at"], row["trace_id"]) == expected, n
    assert orjson.loads(by_message["line 0"]["metadata"]) == {"filename": "/var/log/checkout.log"}


async def test_json_lines_keep_their_own_columns_and_labels_fill_the_rest(
    collector: Collector, db: asyncpg.Connection
) -> None:
    ns = str(T0 * 1_000_000_000 + 500_000_000)
    line = orjson.dumps(
        {"msg": "paid", "level": "error", "ts": "2026-12-03T09:00:01.25Z", "userId": "u-1"}
    ).decode()
    body = {
        "streams": [
            {
                "stream": {"job": "shop/payment", "detected_level": "warn", "host": "web-1"},
                "values": [[ns, line], [ns, "plain text line", {"pod": "p-1"}], [ns, '{"no": "message"}']],
            },
            {"stream": {"app": "search", "container": "search-1"}, "values": [[ns, "searched"]]},
        ]
    }
    assert await post(push_url(collector), orjson.dumps(body), "application/json") == (204, "")
    rows = {
        row["message"]: row
        for row in await db.fetch("SELECT message, service, level::text, created_at, user_id, metadata FROM logs")
    }
    paid = rows["paid"]
    at_ns = dt.datetime.fromtimestamp(T0, dt.UTC) + dt.timedelta(milliseconds=500)
    assert (paid["service"], paid["level"], paid["user_id"]) == ("shop/payment", "ERROR", "u-1")
    assert paid["created_at"] == dt.datetime(2026, 12, 3, 9, 0, 1, 250_000, tzinfo=dt.UTC)  # the line's own time
    assert orjson.loads(paid["metadata"]) == {"detected_level": "warn", "host": "web-1"}
    plain = rows["plain text line"]
    assert (plain["service"], plain["level"], plain["created_at"]) == ("shop/payment", "WARN", at_ns)
    assert orjson.loads(plain["metadata"]) == {"host": "web-1", "pod": "p-1"}
    assert rows['{"no": "message"}']["metadata"] is not None  # the line, as the message: its keys kept too
    assert (rows["searched"]["service"], orjson.loads(rows["searched"]["metadata"])) == (
        "search",
        {"container": "search-1"},
    )


GOOD_STREAM = {"stream": {"job": "a"}, "values": [[str(T0 * 10**9), "good"]]}


@pytest.mark.parametrize(
    ("stream", "reason"),
    [
        ("not a stream", "a stream must be an object"),
        ({"stream": {"a": 1}, "values": []}, "string values"),
        ({"stream": {}, "values": {}}, '"values" must be an array'),
        ({"stream": {}, "values": [["soon", "x"]]}, "nanoseconds"),
        ({"stream": {}, "values": [["1", 2]]}, "the line must be a string"),
        ({"stream": {}, "values": [["1"]]}, "[ns, line]"),
        ({"stream": {}, "values": [["1", "x", "meta"]]}, "structured metadata must be an object"),
    ],
)
async def test_a_bad_stream_refuses_the_whole_push_with_a_reason(
    collector: Collector, db: asyncpg.Connection, stream: Any, reason: str
) -> None:
    body = orjson.dumps({"streams": [GOOD_STREAM, stream]})
    status, text = await post(push_url(collector), body, "application/json")
    assert status == 400
    assert "stream 1" in text
    assert reason in text
    assert await db.fetchval("SELECT count(*) FROM logs") == 0


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"streams": {}}', b'"streams"'])
async def test_a_body_that_is_no_push_is_400(collector: Collector, body: bytes) -> None:
    status, text = await post(push_url(collector), body, "application/json")
    assert status == 400
    assert "the body" in text


async def test_bad_protobuf_is_400_and_refused_entries_name_their_stream(
    collector: Collector, db: asyncpg.Connection
) -> None:
    url = push_url(collector)
    assert (await post(url, b"\xff\x00garbage", "application/x-protobuf"))[0] == 400
    not_a_request = bytes(cramjam.snappy.compress_raw(b"\xff\xff\xff"))
    assert (await post(url, not_a_request, "application/x-protobuf"))[0] == 400
    bad_labels = protobuf_push([("job=api", [(T0 * 10**9, "x", {})])])
    status, text = await post(url, bad_labels, "application/x-protobuf")
    assert (status, "labels must be written" in text) == (400, True)
    mixed = protobuf_push([('{job="api"}', [(T0 * 10**9, "kept", {}), (T0 * 10**9, "", {})])])
    status, text = await post(url, mixed, "application/x-protobuf")
    assert status == 400
    assert "stream 0, entry 1" in text
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["kept"]


async def test_the_ingest_token_is_required_when_set(guarded: Collector, db: asyncpg.Connection) -> None:
    body = orjson.dumps({"streams": [{"stream": {"job": "a"}, "values": [[str(T0 * 10**9), "with token"]]}]})
    assert (await post(push_url(guarded), body, "application/json"))[0] == 401
    wrong = await post(push_url(guarded), body, "application/json", Authorization="Bearer nope")
    assert wrong[0] == 401
    right = await post(push_url(guarded), body, "application/json", Authorization=f"Bearer {TOKEN}")
    assert right == (204, "")
    basic = "Basic " + base64.b64encode(f"tenant-1:{TOKEN}".encode()).decode()  # Fluent Bit's http_user/passwd
    legacy = f"http://127.0.0.1:{guarded.ports.otlp_http}/api/prom/push"  # Loki's old path
    assert await post(legacy, body, "application/json", Authorization=basic) == (204, "")
    assert await db.fetchval("SELECT count(*) FROM logs") == 2


def test_labels_are_read_in_prometheus_text_form() -> None:
    text = r'{job="api", path="C:\\logs", quote="say \"hi\"", line="a\nb",empty=""}'
    labels = parse_labels(0, text)
    assert labels == {"job": "api", "path": "C:\\logs", "quote": 'say "hi"', "line": "a\nb", "empty": ""}
    assert parse_labels(0, "{}") == {}
    for bad in ('{job="api"', "{job=api}", '{="x"}', '{job="a" path="b"}'):
        with pytest.raises(PushBodyError):
            parse_labels(0, bad)


async def test_an_outage_is_answered_retryable(own_postgres: EmbeddedPostgres) -> None:
    connection = await asyncpg.connect(own_postgres.dsn)
    await migrate(connection)
    await connection.close()
    running = Collector(settings_for_tests(commit_timeout_s=0.5), own_postgres.dsn)
    await running.start()
    try:
        async with aiohttp.ClientSession() as http:

            async def push(text: str) -> tuple[int, Any]:
                body = protobuf_push([('{job="outage"}', [(T0 * 10**9, text, {})])])
                headers = {"Content-Type": "application/x-protobuf"}
                async with http.post(push_url(running), data=body, headers=headers) as response:
                    return response.status, response.headers

            await asyncio.to_thread(own_postgres.stop)
            own_postgres._started_here = False  # stopped by hand; start() below starts it again
            deadline = time.monotonic() + 30
            status, headers = await push("during the outage")
            while status == 204 and time.monotonic() < deadline:
                status, headers = await push("during the outage")
            assert status in (429, 503)
            assert int(headers["Retry-After"]) >= 1

            await asyncio.to_thread(own_postgres.start)
            deadline = time.monotonic() + 60
            status, _ = await push("after the outage")
            while status != 204 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)  # Promtail's backoff, not a wait for a condition
                status, _ = await push("after the outage")
            assert status == 204
    finally:
        await running.stop()
    connection = await asyncpg.connect(own_postgres.dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM logs WHERE message = 'after the outage'") == 1
    finally:
        await connection.close()
