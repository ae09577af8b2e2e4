"""OTLP/HTTP: protobuf and JSON bodies, gzip, partial success, and every kind of bad input."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import orjson
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from loglens.collector.server import Collector
from tests.conftest import settings_for_tests
from tests.otlp_payloads import record, request

PROTOBUF = {"Content-Type": "application/x-protobuf"}
PROTOBUF_GZIP = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def url(collector: Collector, path: str = "/v1/logs") -> str:
    return f"http://127.0.0.1:{collector.ports.otlp_http}{path}"


async def post(
    http: aiohttp.ClientSession, collector: Collector, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    async with http.post(url(collector), data=body, headers=headers) as response:
        return response.status, await response.read(), dict(response.headers)


async def still_serves(http: aiohttp.ClientSession, collector: Collector, db: asyncpg.Connection) -> None:
    before = await db.fetchval("SELECT count(*) FROM logs")
    status, _, _ = await post(http, collector, request(record("still here")).SerializeToString(), PROTOBUF)
    assert status == 200
    assert await db.fetchval("SELECT count(*) FROM logs") == before + 1


async def test_gzip_protobuf_request_is_stored_and_acknowledged(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    export = request(
        record(
            "GET /orders took 12 ms",
            severity=9,
            attrs={
                "http.request.method": "get",
                "url.path": "/orders",
                "duration_ms": 12.25,
                "user.id": "u1",
            },
            trace_id=bytes.fromhex("5b8efff798038103d269b633813fc60c"),
            span_id=bytes.fromhex("eee19b7ec3c1b174"),
        ),
        record("disk almost full", severity=13),
        resource={"service.name": "orders", "service.version": "1.2.3", "deployment.environment": "prod"},
    )
    status, body, _ = await post(http, collector, gzip.compress(export.SerializeToString()), PROTOBUF_GZIP)

    assert status == 200
    assert not ExportLogsServiceResponse.FromString(body).HasField("partial_success")
    rows = await db.fetch("SELECT * FROM logs ORDER BY level")
    assert [(r["level"], r["message"]) for r in rows] == [
        ("INFO", "GET /orders took 12 ms"),
        ("WARN", "disk almost full"),
    ]
    first = rows[0]
    assert (first["service"], first["service_version"], first["environment"]) == (
        "orders",
        "1.2.3",
        "production",
    )
    assert (first["method"], first["path"], first["user_id"]) == ("GET", "/orders", "u1")
    assert float(first["duration_ms"]) == 12.25
    assert first["trace_id"] == "5b8efff798038103d269b633813fc60c"
    assert first["span_id"] == "eee19b7ec3c1b174"


async def test_otlp_json_encoding_with_hex_ids_and_string_integers(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]},
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": "1767225600000000000",
                                "severityNumber": 17,
                                "severityText": "ERROR",
                                "body": {"stringValue": "checkout failed"},
                                "traceId": "5B8EFFF798038103D269B633813FC60C",
                                "spanId": "eee19b7ec3c1b174",
                                "attributes": [{"key": "http.response.status_code", "value": {"intValue": "500"}}],
                            }
                        ]
                    }
                ],
            }
        ]
    }
    async with http.post(
        url(collector), data=orjson.dumps(body), headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == {}

    row = await db.fetchrow("SELECT * FROM logs")
    assert row is not None
    assert (row["service"], row["level"], row["message"]) == ("web", "ERROR", "checkout failed")
    assert row["trace_id"] == "5b8efff798038103d269b633813fc60c"
    assert row["created_at"].isoformat() == "2026-01-01T00:00:00+00:00"
    assert orjson.loads(row["metadata"])["http_status"] == 500


async def test_bad_records_are_refused_one_by_one_and_the_rest_stored(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    export = request(
        record("good one"),
        record("nul \x00 inside"),
        record(b"\xff\xfe not utf-8"),
        record("long user", attrs={"user.id": "u" * 500}),
        record("good two"),
    )
    status, body, _ = await post(http, collector, export.SerializeToString(), PROTOBUF)

    assert status == 200
    partial = ExportLogsServiceResponse.FromString(body).partial_success
    assert partial.rejected_log_records == 3
    assert "record 1" in partial.error_message
    assert "NUL" in partial.error_message
    assert "record 2" in partial.error_message
    assert "UTF-8" in partial.error_message
    assert await db.fetchval("SELECT array_agg(message ORDER BY message) FROM logs") == [
        "good one",
        "good two",
    ]


async def test_undecodable_protobuf_is_400_and_stores_nothing(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    status, body, _ = await post(http, collector, b"\x0a\xff\xff\xff\xff\x0fgarbage", PROTOBUF)

    assert status == 400
    assert "not a valid OTLP" in status_pb2.Status.FromString(body).message
    assert await db.fetchval("SELECT count(*) FROM logs") == 0
    await still_serves(http, collector, db)


async def test_undecodable_json_is_400(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    async with http.post(
        url(collector), data=b'{"resourceLogs": [', headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400
        assert "not a valid OTLP" in (await r.json())["error"]
    await still_serves(http, collector, db)


async def test_unknown_content_type_is_415(collector: Collector, http: aiohttp.ClientSession) -> None:
    async with http.post(url(collector), data=b"x", headers={"Content-Type": "text/plain"}) as response:
        assert response.status == 415


async def test_truncated_gzip_is_400(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    compressed = gzip.compress(request(record("cut short")).SerializeToString())
    status, _, _ = await post(http, collector, compressed[: len(compressed) // 2], PROTOBUF_GZIP)
    assert status == 400
    assert await db.fetchval("SELECT count(*) FROM logs") == 0
    await still_serves(http, collector, db)


@pytest.fixture
async def small_collector(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(max_body_bytes=256 * 1024, max_message_chars=16 * 1024), dsn)
    await running.start()
    yield running
    await running.stop()


async def test_body_over_the_limit_is_413(
    small_collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    big = request(*[record("x" * 1000) for _ in range(400)]).SerializeToString()
    assert len(big) > 256 * 1024
    status, body, _ = await post(http, small_collector, big, PROTOBUF)
    assert status == 413
    assert "limit" in status_pb2.Status.FromString(body).message
    assert await db.fetchval("SELECT count(*) FROM logs") == 0
    await still_serves(http, small_collector, db)


async def test_gzip_bomb_is_413_without_inflating_it(
    small_collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    # 128 MiB of zeros deflate to about 130 kB, 500 times the body limit once inflated.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(16 * 1024 * 1024)
    bomb = b"".join(compressor.compress(chunk) for _ in range(8)) + compressor.flush()
    assert len(bomb) < small_collector.settings.max_body_bytes

    status, body, _ = await post(http, small_collector, bomb, PROTOBUF_GZIP)

    assert status == 413
    assert "inflates past the limit" in status_pb2.Status.FromString(body).message
    assert await db.fetchval("SELECT count(*) FROM logs") == 0
    await still_serves(http, small_collector, db)


async def test_message_over_the_limit_is_refused_alone(
    small_collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    export = request(record("y" * (17 * 1024)), record("fits"))
    status, body, _ = await post(http, small_collector, export.SerializeToString(), PROTOBUF)
    assert status == 200
    partial = ExportLogsServiceResponse.FromString(body).partial_success
    assert partial.rejected_log_records == 1
    assert "LOGLENS_MAX_MESSAGE_CHARS" in partial.error_message
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["fits"]


@pytest.fixture
async def guarded_collector(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(ingest_token="s3cret-token"), dsn)
    await running.start()
    yield running
    await running.stop()


async def test_ingest_token_is_required_when_configured(
    guarded_collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = request(record("authorised")).SerializeToString()
    status, _, _ = await post(http, guarded_collector, body, PROTOBUF)
    assert status == 401
    status, _, _ = await post(http, guarded_collector, body, {**PROTOBUF, "Authorization": "Bearer wrong"})
    assert status == 401
    status, _, _ = await post(http, guarded_collector, body, {**PROTOBUF, "Authorization": "Bearer s3cret-token"})
    assert status == 200
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["authorised"]


async def test_health_reports_the_database(collector: Collector, http: aiohttp.ClientSession) -> None:
    async with http.get(url(collector, "/health")) as response:
        assert response.status == 200
        answer = await response.json()
    assert answer["status"] == "ok"
    assert answer["database"] == "ok"


async def test_a_gzip_body_of_several_members_is_read_whole(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = orjson.dumps({"logs": [{"message": f"line {n}"} for n in range(100)]})
    members = gzip.compress(body[:500]) + gzip.compress(body[500:])
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    async with http.post(url(collector, "/logs"), data=members, headers=headers) as response:
        assert response.status == 200
    assert await db.fetchval("SELECT count(*) FROM logs") == 100
