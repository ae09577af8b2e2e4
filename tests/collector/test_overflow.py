"""A number that does not fit its column (a ``duration_ms`` of 1.8e305 or more, infinity, NaN, an
integer past 64 bits, a time past any calendar) is kept in ``metadata`` and its record stored:
never a reason to fail the request, through every receiver."""

from __future__ import annotations

import gzip
import math
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import grpc
import orjson
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from loglens.collector.server import Collector
from tests.forward_client import ForwardClient, event_time, message, new_chunk, packed_forward
from tests.otlp_payloads import record, request

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
JSON = {"Content-Type": "application/json"}
EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
# What an OTLP attribute or a msgpack value can carry that NUMERIC(10,3) cannot, and how
# metadata keeps it.
OTLP_DURATIONS: list[tuple[Any, Any]] = [
    (1.8e305, 1.8e305),
    (1.7976931348623157e308, 1.7976931348623157e308),
    (math.inf, "inf"),
    (-math.inf, "-inf"),
    (math.nan, "nan"),
    (2**63 - 1, 2**63 - 1),
    (-(2**63), -(2**63)),
    (1e7, 1e7),
]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def stored(db: asyncpg.Connection) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Each stored row's message -> (duration_ms, metadata)."""
    rows = await db.fetch("SELECT message, duration_ms, metadata FROM logs")
    return {row["message"]: (row["duration_ms"], orjson.loads(row["metadata"] or "{}")) for row in rows}


def otlp_body() -> bytes:
    records = [record(f"d{n}", attrs={"duration_ms": value}) for n, (value, _) in enumerate(OTLP_DURATIONS)]
    return request(*records, resource={"service.name": "overflow"}).SerializeToString()


def assert_otlp_durations_kept(rows: dict[str, tuple[Any, dict[str, Any]]]) -> None:
    assert len(rows) == len(OTLP_DURATIONS)
    for n, (_, kept) in enumerate(OTLP_DURATIONS):
        duration, metadata = rows[f"d{n}"]
        assert duration is None, (n, duration)
        assert metadata["duration_ms"] == kept, (n, metadata)


async def test_otlp_http_protobuf_keeps_durations_no_column_holds(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    async with http.post(
        f"http://127.0.0.1:{collector.ports.otlp_http}/v1/logs",
        data=gzip.compress(otlp_body()),
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    ) as response:
        assert response.status == 200, await response.text()
        answer = ExportLogsServiceResponse.FromString(await response.read())
    assert answer.partial_success.rejected_log_records == 0
    assert_otlp_durations_kept(await stored(db))


async def test_otlp_grpc_keeps_durations_no_column_holds(collector: Collector, db: asyncpg.Connection) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{collector.ports.otlp_grpc}") as channel:
        export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
        answer = ExportLogsServiceResponse.FromString(await export(otlp_body(), timeout=10))
    assert answer.partial_success.rejected_log_records == 0
    assert_otlp_durations_kept(await stored(db))


async def test_otlp_http_json_keeps_numbers_orjson_and_int64_cannot_hold(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    values = {
        "big": '{"doubleValue": 1e400}',
        "minus-big": '{"doubleValue": -1e400}',
        "quoted": '{"doubleValue": "Infinity"}',
        "nan": '{"doubleValue": "NaN"}',
        "past-int64": '{"intValue": "123456789012345678901234567890"}',
        "past-int64-number": '{"intValue": 9223372036854775808}',
        "near": '{"doubleValue": 1.8e305}',
    }
    records = ",".join(
        f'{{"body": {{"stringValue": "{name}"}}, "attributes": [{{"key": "duration_ms", "value": {value}}}]}}'
        for name, value in values.items()
    )
    body = f'{{"resourceLogs": [{{"scopeLogs": [{{"logRecords": [{records}]}}]}}]}}'.encode()
    async with http.post(
        f"http://127.0.0.1:{collector.ports.otlp_http}/v1/logs",
        data=body,
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 200, await response.text()
        assert await response.json() == {}
    rows = await stored(db)
    assert {name: rows[name][1]["duration_ms"] for name in values} == {
        "big": "inf",
        "minus-big": "-inf",
        "quoted": "inf",
        "nan": "nan",
        "past-int64": "123456789012345678901234567890",
        "past-int64-number": "9223372036854775808",
        "near": 1.8e305,
    }
    assert all(duration is None for duration, _ in rows.values())


async def test_json_api_keeps_numbers_no_column_holds(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    # NDJSON, read line by line by Python's parser: NaN, Infinity and integers of any length.
    lines = [
        '{"message": "huge int", "duration_ms": 123456789012345678901234567890}',
        '{"message": "past float", "duration_ms": 1' + "0" * 400 + "}",
        '{"message": "overflowing", "duration_ms": 1e400}',
        '{"message": "nan", "duration_ms": NaN, "level": Infinity}',
        '{"message": "near", "duration_ms": 1.8e305}',
        '{"message": "time", "created_at": 1' + "0" * 400 + ', "user_id": 123456789012345678901234567890}',
        '{"message": 123456789012345678901234567890, "extra": [1, 123456789012345678901234567890]}',
        '{"message": "fits", "duration_ms": 9999999.999}',
    ]
    async with http.post(
        f"http://127.0.0.1:{collector.ports.otlp_http}/logs",
        data=gzip.compress("\n".join(lines).encode()),
        headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
    ) as response:
        assert response.status == 200, await response.text()
        assert await response.json() == {"status": "ok", "count": len(lines), "rejected": []}

    rows = await stored(db)
    assert rows["huge int"] == (None, {"duration_ms": "123456789012345678901234567890"})
    assert rows["past float"] == (None, {"duration_ms": "1" + "0" * 400})
    assert rows["overflowing"] == (None, {"duration_ms": "inf"})
    assert rows["nan"] == (None, {"duration_ms": "NaN", "level": "Infinity"})
    assert rows["near"] == (None, {"duration_ms": 1.8e305})
    assert rows["time"][1] == {"created_at": "1" + "0" * 400}  # a time no column holds: under its key
    assert rows["123456789012345678901234567890"][1] == {"extra": [1, "123456789012345678901234567890"]}
    assert str(rows["fits"][0]) == "9999999.999"
    user = await db.fetchval("SELECT user_id FROM logs WHERE message = 'time'")
    assert user == "123456789012345678901234567890"


async def test_json_api_array_body_with_a_number_orjson_refuses(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = b'{"logs": [{"message": "a", "duration_ms": 1e400}, {"message": "b", "duration_ms": -1.8e305}]}'
    async with http.post(
        f"http://127.0.0.1:{collector.ports.otlp_http}/logs", data=body, headers=JSON
    ) as response:
        assert response.status == 200, await response.text()
        assert (await response.json())["count"] == 2
    assert await stored(db) == {"a": (None, {"duration_ms": "inf"}), "b": (None, {"duration_ms": -1.8e305})}


async def test_fluent_forward_keeps_numbers_no_column_holds(collector: Collector, db: asyncpg.Connection) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    entries = [
        [T0, {"message": "inf", "duration_ms": math.inf}],
        [T0, {"message": "nan", "duration_ms": math.nan}],
        [T0, {"message": "near", "duration_ms": 1.8e305}],
        [T0, {"message": "uint64", "duration_ms": 2**64 - 1}],
        [T0, {"message": "int64", "duration_ms": -(2**63)}],
        [T0, {"message": "time", "time": math.inf, "level": math.nan}],
    ]
    chunk, second = new_chunk(), new_chunk()
    await client.send(
        packed_forward("app.overflow", entries, chunk),
        message("app.overflow", event_time(T0), {"message": "message mode", "duration_ms": -math.inf}, second),
    )
    assert await client.acks(2) == [chunk, second]
    await client.close()

    rows = await stored(db)
    tag = {"fluent.tag": "app.overflow"}
    assert rows["inf"] == (None, {"duration_ms": "inf", **tag})
    assert rows["nan"] == (None, {"duration_ms": "nan", **tag})
    assert rows["near"] == (None, {"duration_ms": 1.8e305, **tag})
    assert rows["uint64"] == (None, {"duration_ms": 2**64 - 1, **tag})
    assert rows["int64"] == (None, {"duration_ms": -(2**63), **tag})
    assert rows["time"] == (None, {"time": "inf", "level": "nan", **tag})
    assert rows["message mode"] == (None, {"duration_ms": "-inf", **tag})
