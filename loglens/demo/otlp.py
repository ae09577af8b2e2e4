"""Scenario records → OTLP export requests, and sending them to a collector over OTLP/HTTP.

The demo data goes in the way applications' logs do: as OpenTelemetry log records, with the
service in resource attributes and request details in semantic-convention attributes, so
that ``loglens up --demo`` exercises the same path as a real exporter.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterable, Iterator
from typing import Any

import aiohttp
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

SEVERITY_NUMBER = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
# Scenario fields sent as semantic-convention attributes; the collector maps them back to columns.
ATTRIBUTE_OF_FIELD = {
    "user_id": "user.id",
    "session_id": "session.id",
    "error_type": "exception.type",
    "stack_trace": "exception.stacktrace",
    "path": "http.route",
    "method": "http.request.method",
    "action_type": "action_type",
    "function_name": "code.function.name",
    "file_path": "code.file.path",
    "duration_ms": "duration_ms",
}


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))


def log_record(record: dict[str, Any]) -> LogRecord:
    created = dt.datetime.fromisoformat(record["created_at"])
    attributes = [
        KeyValue(key=ATTRIBUTE_OF_FIELD[name], value=any_value(record[name]))
        for name in ATTRIBUTE_OF_FIELD
        if record.get(name) is not None
    ]
    attributes += [
        KeyValue(key=key, value=any_value(value)) for key, value in (record.get("metadata") or {}).items()
    ]
    return LogRecord(
        time_unix_nano=int(created.timestamp()) * 1_000_000_000 + created.microsecond * 1000,
        severity_number=SEVERITY_NUMBER[record["level"]],  # type: ignore[arg-type]
        severity_text=record["level"],
        body=AnyValue(string_value=record["message"]),
        attributes=attributes,
        trace_id=bytes.fromhex(record["trace_id"]) if record.get("trace_id") else b"",
    )


def export_requests(
    records: Iterable[dict[str, Any]], batch_size: int = 1000
) -> Iterator[ExportLogsServiceRequest]:
    """Group records by their resource (service, version, environment, kind), batch_size a request."""
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) >= batch_size:
            yield _request(batch)
            batch = []
    if batch:
        yield _request(batch)


def _request(records: list[dict[str, Any]]) -> ExportLogsServiceRequest:
    by_resource: dict[tuple[Any, ...], list[LogRecord]] = {}
    for record in records:
        key = (record["service"], record["service_version"], record["environment"], record["log_type"])
        by_resource.setdefault(key, []).append(log_record(record))
    request = ExportLogsServiceRequest()
    for (service, version, environment, log_type), log_records in by_resource.items():
        resource = Resource(
            attributes=[
                KeyValue(key="service.name", value=AnyValue(string_value=service)),
                KeyValue(key="service.version", value=AnyValue(string_value=version)),
                KeyValue(key="deployment.environment.name", value=AnyValue(string_value=environment)),
                KeyValue(key="loglens.log_type", value=AnyValue(string_value=log_type)),
            ]
        )
        scope = ScopeLogs(scope=InstrumentationScope(name="loglens.demo"), log_records=log_records)
        request.resource_logs.append(ResourceLogs(resource=resource, scope_logs=[scope]))
    return request


async def send(
    requests: Iterable[ExportLogsServiceRequest], endpoint: str, token: str | None = None
) -> tuple[int, int]:
    """POST each request to ``endpoint`` (…/v1/logs) gzip-compressed; return (sent, rejected)."""
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    sent = rejected = 0
    async with aiohttp.ClientSession() as session:
        for request in requests:
            body = gzip.compress(request.SerializeToString(), compresslevel=5)
            async with session.post(endpoint, data=body, headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"the collector answered {response.status}: {await response.text()}")
                answer = ExportLogsServiceResponse.FromString(await response.read())
            count = sum(
                len(scope.log_records) for resource in request.resource_logs for scope in resource.scope_logs
            )
            sent += count
            rejected += answer.partial_success.rejected_log_records
    return sent, rejected
