"""OTLP/gRPC: the LogsService Export method, gzip, partial success and bad input."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from loglens.collector.server import Collector
from tests.conftest import settings_for_tests
from tests.otlp_payloads import record, request

EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


@pytest.fixture
async def channel(collector: Collector) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{collector.ports.otlp_grpc}") as opened:
        yield opened


def export_call(channel: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable:
    # Raw bytes in, so that tests can also send bytes that are not a valid request.
    return channel.unary_unary(
        EXPORT, request_serializer=None, response_deserializer=ExportLogsServiceResponse.FromString
    )


async def test_export_stores_records(channel: grpc.aio.Channel, db: asyncpg.Connection) -> None:
    export = request(record("payment captured", attrs={"user.id": "u7"}), record("slow", severity=13))
    response = await export_call(channel)(export.SerializeToString(), compression=grpc.Compression.Gzip)
    assert not response.HasField("partial_success")
    rows = await db.fetch("SELECT level, message, user_id, service FROM logs ORDER BY level")
    assert [tuple(row) for row in rows] == [
        ("INFO", "payment captured", "u7", "checkout"),
        ("WARN", "slow", None, "checkout"),
    ]


async def test_partial_success_counts_refused_records(channel: grpc.aio.Channel, db: asyncpg.Connection) -> None:
    export = request(record("ok"), record("bad \x00 byte"), record("over", attrs={"session.id": "s" * 101}))
    response = await export_call(channel)(export.SerializeToString())
    assert response.partial_success.rejected_log_records == 2
    assert "record 2: session_id" in response.partial_success.error_message
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["ok"]


async def test_undecodable_request_is_invalid_argument(channel: grpc.aio.Channel, db: asyncpg.Connection) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await export_call(channel)(b"\x0a\xff\xff\xff\xff\x0fnot protobuf")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert await db.fetchval("SELECT count(*) FROM logs") == 0
    await export_call(channel)(request(record("after garbage")).SerializeToString())
    assert await db.fetchval("SELECT count(*) FROM logs") == 1


@pytest.fixture
async def small_collector(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(max_body_bytes=256 * 1024, max_message_chars=16 * 1024), dsn)
    await running.start()
    yield running
    await running.stop()


async def test_oversized_and_inflating_messages_are_resource_exhausted(
    small_collector: Collector, db: asyncpg.Connection
) -> None:
    # Highly compressible: a few kB on the wire with gzip, 2 MB once inflated.
    bomb = request(*[record("z" * 10_000) for _ in range(200)]).SerializeToString()
    assert len(gzip.compress(bomb)) < 64 * 1024
    async with grpc.aio.insecure_channel(f"127.0.0.1:{small_collector.ports.otlp_grpc}") as opened:
        for compression in (grpc.Compression.NoCompression, grpc.Compression.Gzip):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await export_call(opened)(bomb, compression=compression)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        await export_call(opened)(request(record("small")).SerializeToString())
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["small"]
