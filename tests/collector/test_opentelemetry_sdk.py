"""Applications log with plain ``logging`` through the real OpenTelemetry Python SDK, over
OTLP/HTTP and OTLP/gRPC, to a real ``loglens up``; the rows land with the right columns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
import orjson
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tests.conftest import LoglensProcess, wait_for


class PaymentDeclinedError(Exception):
    pass


def _provider(exporter: Any) -> LoggerProvider:
    resource = Resource.create(
        {
            "service.name": "payment-api",
            "service.version": "2.4.1",
            "deployment.environment.name": "staging",
            "host.name": "payment-api-7f9c",
        }
    )
    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter, schedule_delay_millis=100))
    return provider


@pytest.fixture
def app_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("payments.checkout")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger
    logger.handlers.clear()
    logger.propagate = True


def _log_a_request_and_a_failure(logger: logging.Logger, provider: LoggerProvider) -> str:
    logger.addHandler(LoggingHandler(logger_provider=provider, log_code_attributes=True))
    tracer = TracerProvider().get_tracer("checkout")
    with tracer.start_as_current_span("POST /api/v1/payments") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        logger.info(
            "payment accepted",
            extra={
                "user.id": "user_0042",
                "http.request.method": "POST",
                "http.route": "/api/v1/payments",
                "duration_ms": 182.5,
                "http.response.status_code": 201,
                "ip": "10.1.2.3",
            },
        )
        try:
            raise PaymentDeclinedError("card ending 4242 was declined")
        except PaymentDeclinedError:
            logger.error("could not charge the card", exc_info=True, extra={"user.id": "user_0042"})
    assert provider.force_flush(10_000)
    return trace_id


async def _assert_rows(db: asyncpg.Connection, trace_id: str) -> None:
    assert await wait_for("SELECT count(*) FROM logs", db, 2) == 2
    info, error = await db.fetch("SELECT * FROM logs ORDER BY level")
    for row in (info, error):
        assert row["service"] == "payment-api"
        assert row["service_version"] == "2.4.1"
        assert row["environment"] == "staging"
        assert row["log_type"] == "BACKEND"
        assert row["trace_id"] == trace_id
        assert row["user_id"] == "user_0042"
        assert row["function_name"] == "_log_a_request_and_a_failure"
        assert row["file_path"].endswith("test_opentelemetry_sdk.py")
    assert info["level"] == "INFO"
    assert info["message"] == "payment accepted"
    assert info["method"] == "POST"
    assert info["path"] == "/api/v1/payments"
    assert float(info["duration_ms"]) == 182.5
    info_metadata = orjson.loads(info["metadata"])
    assert info_metadata["http_status"] == 201
    assert info_metadata["ip"] == "10.1.2.3"
    assert info_metadata["host.name"] == "payment-api-7f9c"
    assert info_metadata["otel.scope.name"] == "payments.checkout"

    assert error["level"] == "ERROR"
    assert error["message"] == "could not charge the card"
    assert error["error_type"] == "PaymentDeclinedError"
    assert "Traceback (most recent call last)" in error["stack_trace"]
    assert "card ending 4242 was declined" in error["stack_trace"]
    assert orjson.loads(error["metadata"])["exception.message"] == "card ending 4242 was declined"


async def test_http_exporter_sends_logging_records_that_land_in_columns(
    loglens_up: LoglensProcess, db: asyncpg.Connection, app_logger: logging.Logger
) -> None:
    exporter = HttpLogExporter(endpoint=f"{loglens_up.http_url}/v1/logs", compression=Compression.Gzip)
    provider = _provider(exporter)
    try:
        trace_id = await asyncio.to_thread(_log_a_request_and_a_failure, app_logger, provider)
        await _assert_rows(db, trace_id)
    finally:
        provider.shutdown()


async def test_grpc_exporter_sends_logging_records_that_land_in_columns(
    loglens_up: LoglensProcess, db: asyncpg.Connection, app_logger: logging.Logger
) -> None:
    from grpc import Compression as GrpcCompression

    exporter = GrpcLogExporter(
        endpoint=f"127.0.0.1:{loglens_up.grpc_port}", insecure=True, compression=GrpcCompression.Gzip
    )
    provider = _provider(exporter)
    try:
        trace_id = await asyncio.to_thread(_log_a_request_and_a_failure, app_logger, provider)
        await _assert_rows(db, trace_id)
    finally:
        provider.shutdown()
