"""Building OTLP export requests for tests, with the protobuf classes of opentelemetry-proto."""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

DEFAULT_RESOURCE = {"service.name": "checkout", "deployment.environment.name": "production"}


def value(python: Any) -> AnyValue:
    if isinstance(python, AnyValue):
        return python
    if python is None:
        return AnyValue()
    if isinstance(python, bool):
        return AnyValue(bool_value=python)
    if isinstance(python, int):
        return AnyValue(int_value=python)
    if isinstance(python, float):
        return AnyValue(double_value=python)
    if isinstance(python, bytes):
        return AnyValue(bytes_value=python)
    if isinstance(python, list):
        return AnyValue(array_value=ArrayValue(values=[value(item) for item in python]))
    if isinstance(python, dict):
        return AnyValue(kvlist_value=KeyValueList(values=attributes(python)))
    return AnyValue(string_value=str(python))


def attributes(mapping: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=value(item)) for key, item in mapping.items()]


def record(
    body: Any = "hello", severity: int = 9, attrs: dict[str, Any] | None = None, **fields: Any
) -> LogRecord:
    fields.setdefault("time_unix_nano", time.time_ns())
    return LogRecord(body=value(body), severity_number=severity, attributes=attributes(attrs or {}), **fields)  # type: ignore[arg-type]


def request(*records: LogRecord, resource: dict[str, Any] | None = None) -> ExportLogsServiceRequest:
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=attributes(DEFAULT_RESOURCE if resource is None else resource)),
                scope_logs=[ScopeLogs(log_records=list(records))],
            )
        ]
    )
