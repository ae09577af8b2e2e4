"""The plain JSON API: POST /logs with {"logs": [...]} or NDJSON, and its answers."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from loglens.collector.mapping.shipper import MESSAGE_REQUIRED
from loglens.collector.server import Collector


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post_logs(
    http: aiohttp.ClientSession,
    collector: Collector,
    body: bytes | dict[str, Any] | list[Any],
    **headers: str,
) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"Content-Type": "application/json", **{k.replace("_", "-"): v for k, v in headers.items()}}
    async with http.post(
        f"http://127.0.0.1:{collector.ports.otlp_http}/logs", data=data, headers=headers
    ) as response:
        return response.status, await response.json()


async def test_the_missions_shape_lands_in_columns(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    status, answer = await post_logs(
        http,
        collector,
        {
            "logs": [
                {
                    "level": "error",
                    "service": "api-server",
                    "message": "DB connection failed",
                    "trace_id": "abc123",
                    "user_id": "user_001",
                    "environment": "Production",
                    "method": "post",
                    "path": "/api/v1/orders",
                    "duration_ms": "1530.5",
                    "created_at": 1767225600,
                    "error_type": "ConnectionError",
                    "metadata": {"ip": "10.0.0.9"},
                    "region": "eu-west-1",
                }
            ]
        },
    )

    assert (status, answer) == (200, {"status": "ok", "count": 1, "rejected": []})
    row = await db.fetchrow("SELECT * FROM logs")
    assert row is not None
    assert (row["level"], row["service"], row["message"]) == ("ERROR", "api-server", "DB connection failed")
    assert (row["trace_id"], row["user_id"], row["environment"]) == ("abc123", "user_001", "production")
    assert (row["method"], row["path"], float(row["duration_ms"])) == ("POST", "/api/v1/orders", 1530.5)
    assert row["created_at"].isoformat() == "2026-01-01T00:00:00+00:00"
    assert orjson.loads(row["metadata"]) == {"ip": "10.0.0.9", "region": "eu-west-1"}


async def test_only_message_is_required_and_refusals_name_their_index(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    status, answer = await post_logs(
        http,
        collector,
        {
            "logs": [
                {"message": "minimal"},
                {"level": "INFO"},
                "not an object",
                {"message": "iso time", "created_at": "2026-03-01T12:30:00+09:00"},
            ]
        },
    )

    assert status == 200
    assert answer["status"] == "partial"
    assert answer["count"] == 2
    assert [(r["index"], r["error"]) for r in answer["rejected"]] == [
        (1, MESSAGE_REQUIRED),
        (2, "a log record must be a JSON object"),
    ]
    rows = await db.fetch("SELECT message, level, log_type, created_at FROM logs ORDER BY message")
    assert [r["message"] for r in rows] == ["iso time", "minimal"]
    assert rows[0]["created_at"].isoformat() == "2026-03-01T03:30:00+00:00"
    assert (rows[1]["level"], rows[1]["log_type"]) == ("INFO", "BACKEND")


async def test_values_outside_an_enum_are_kept_in_metadata(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    status, _ = await post_logs(
        http,
        collector,
        {
            "logs": [
                {
                    "message": "odd values",
                    "level": "chatty",
                    "environment": "qa-eu",
                    "method": "PURGE",
                    "log_type": "robot",
                    "duration_ms": 10**9,
                }
            ]
        },
    )
    assert status == 200
    row = await db.fetchrow("SELECT level, environment, method, log_type, duration_ms, metadata FROM logs")
    assert row is not None
    assert (row["level"], row["environment"], row["method"], row["log_type"], row["duration_ms"]) == (
        "INFO",
        None,
        None,
        "BACKEND",
        None,
    )
    assert orjson.loads(row["metadata"]) == {
        "level": "chatty",
        "environment": "qa-eu",
        "method": "PURGE",
        "log_type": "robot",
        "duration_ms": 10**9,
    }


async def test_ndjson_with_a_broken_line_stores_the_others(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = b'{"message": "one"}\n{"message": broken\n{"message": "three", "level": "warn"}\n'
    status, answer = await post_logs(
        http, collector, gzip.compress(body), Content_Type="application/x-ndjson", Content_Encoding="gzip"
    )
    assert status == 200
    assert answer["count"] == 2
    assert answer["rejected"][0]["index"] == 1
    assert "not valid JSON" in answer["rejected"][0]["error"]
    assert await db.fetchval("SELECT array_agg(message ORDER BY message) FROM logs") == ["one", "three"]


async def test_invalid_utf8_refuses_only_its_record(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = b'{"logs": [{"message": "fine"}, {"message": "bad \xff\xfe bytes"}, {"message": "also fine"}]}'
    status, answer = await post_logs(http, collector, body)
    assert status == 200
    assert answer["rejected"] == [{"index": 1, "error": "the record contains bytes that are not valid UTF-8"}]
    assert await db.fetchval("SELECT array_agg(message ORDER BY message) FROM logs") == ["also fine", "fine"]


async def test_nul_characters_are_refused_by_record(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    status, answer = await post_logs(
        http,
        collector,
        {
            "logs": [
                {"message": "nul \u0000 here"},
                {"message": "meta", "metadata": {"k": "a\u0000b"}},
                {"message": "clean"},
            ]
        },
    )
    assert status == 200
    assert [r["index"] for r in answer["rejected"]] == [0, 1]
    assert all("NUL" in r["error"] for r in answer["rejected"])
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["clean"]


async def test_nothing_storable_is_400_and_not_json_is_400(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    status, answer = await post_logs(http, collector, {"logs": [{"level": "ERROR"}]})
    assert (status, answer["status"], answer["count"]) == (400, "error", 0)
    status, answer = await post_logs(http, collector, b"{not json")
    assert status == 400
    assert answer["error"] == "the body is not valid JSON"
    assert await db.fetchval("SELECT count(*) FROM logs") == 0


async def test_a_repeated_idempotency_key_is_acknowledged_without_storing_twice(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    batch = {"logs": [{"message": "charge 1"}, {"message": "charge 2"}, {"level": "x"}]}
    first = await post_logs(http, collector, batch, Idempotency_Key="batch-0001")
    again = await post_logs(http, collector, batch, Idempotency_Key="batch-0001")

    assert (
        first
        == again
        == (
            200,
            {"status": "partial", "count": 2, "rejected": [{"index": 2, "error": MESSAGE_REQUIRED}]},
        )
    )
    assert await db.fetchval("SELECT count(*) FROM logs") == 2
    await post_logs(http, collector, batch, Idempotency_Key="batch-0002")
    assert await db.fetchval("SELECT count(*) FROM logs") == 4


async def test_concurrent_requests_with_one_key_store_once(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    batch = {"logs": [{"message": f"event {n}"} for n in range(50)]}
    answers = await asyncio.gather(*[post_logs(http, collector, batch, Idempotency_Key="race") for _ in range(8)])
    assert {status for status, _ in answers} == {200}
    assert {answer["count"] for _, answer in answers} == {50}
    assert await db.fetchval("SELECT count(*) FROM logs") == 50


async def test_fluent_bit_http_output_records_keep_their_line_and_time(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    """Fluent Bit's http output (format json) behind a tail input: raw lines under "log", the
    time as float seconds under "date"; syslog-ng's http() with format-json names them
    MESSAGE and ISODATE."""
    start = 1_764_770_000.0
    records: list[dict[str, Any]] = [
        {"date": start + n / 1000, "log": f"GET /item/{n} 200\n"} for n in range(1000)
    ]
    records.append({"ISODATE": "2026-12-03T14:00:00.250000+00:00", "MESSAGE": "syslog-ng", "PROGRAM": "cron"})
    status, answer = await post_logs(http, collector, records)
    assert (status, answer["count"]) == (200, 1001)
    rows = await db.fetch("SELECT message, service, created_at FROM logs")
    times = {row["message"]: row["created_at"].timestamp() for row in rows}
    assert len(times) == 1001
    assert all(times[f"GET /item/{n} 200"] == pytest.approx(start + n / 1000, abs=1e-6) for n in range(1000))
    assert {row["service"] for row in rows if row["message"] == "syslog-ng"} == {"cron"}
