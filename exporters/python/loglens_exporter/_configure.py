"""``configure()``: plain ``logging`` shipped to loglens through the OpenTelemetry SDK.

It builds a ``LoggerProvider`` with the service's resource, our batching pipeline (see
``_pipeline.py``: bounded, counted, retried, fork-safe) in place of the SDK's
``BatchLogRecordProcessor``, and the OTLP exporter (HTTP/protobuf, gzip, or gRPC), and puts
the SDK's ``LoggingHandler`` on the root logger. Arguments left out come from the standard
``OTEL_*`` variables (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT``, ``..._PROTOCOL``, ``..._HEADERS``,
``..._COMPRESSION``, ``..._TIMEOUT``, ``OTEL_BLRP_*``), then from loglens's defaults.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import socket
import threading
import weakref
from collections.abc import Mapping
from typing import Any

from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter
from opentelemetry.sdk.resources import Resource

from loglens_exporter._context import add_to_record
from loglens_exporter._pipeline import ExporterFactory, Pipeline, Stats, StatusRecorder, in_flush_thread

DEFAULT_HTTP_ENDPOINT = "http://localhost:4318"
DEFAULT_GRPC_ENDPOINT = "http://localhost:4317"
PROTOCOLS = ("http/protobuf", "grpc")

_lock = threading.Lock()
_configured: _Configured | None = None
_pipelines: weakref.WeakSet[Pipeline] = weakref.WeakSet()
_retired = Stats()  # what pipelines that were closed had counted


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def make_resource(
    service: str | None,
    environment: str | None,
    version: str | None,
    attributes: Mapping[str, Any] | None,
) -> Resource:
    values: dict[str, Any] = {"host.name": socket.gethostname()}
    values.update(attributes or {})
    if service is not None:
        values["service.name"] = service
    if version is not None:
        values["service.version"] = version
    if environment is not None:
        values["deployment.environment.name"] = environment
    # Resource.create merges OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME under these.
    return Resource.create(values)


def exporter_factory(
    endpoint: str | None,
    protocol: str | None,
    headers: Mapping[str, str] | None,
    token: str | None,
    compression: bool | None,
    timeout_s: float | None,
) -> ExporterFactory:
    """A function building the OTLP exporter (called again in a forked child)."""
    protocol = protocol or _env("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") or PROTOCOLS[0]
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    env_compression = _env("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION")
    gzip_on = compression if compression is not None else env_compression in (None, "gzip")

    if protocol == "grpc":
        try:
            import grpc
            from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcExporter
        except ImportError:
            raise ImportError(
                "protocol='grpc' needs the gRPC exporter; pip install loglens-exporter[grpc]"
            ) from None
        grpc_endpoint = endpoint or (
            None
            if _env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
            else DEFAULT_GRPC_ENDPOINT
        )

        def grpc_exporter(_status: StatusRecorder) -> LogRecordExporter:
            return GrpcExporter(
                endpoint=grpc_endpoint,
                insecure=grpc_endpoint.startswith("http://") if grpc_endpoint else None,
                headers=all_headers or None,
                timeout=timeout_s,
                compression=grpc.Compression.Gzip if gzip_on else grpc.Compression.NoCompression,
            )

        return grpc_exporter

    import requests
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpExporter

    if endpoint is not None:
        http_endpoint: str | None = endpoint.rstrip("/")
        if not http_endpoint.endswith("/v1/logs"):  # type: ignore[union-attr]
            http_endpoint = f"{http_endpoint}/v1/logs"
    elif _env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        http_endpoint = None  # the exporter reads them itself
    else:
        http_endpoint = f"{DEFAULT_HTTP_ENDPOINT}/v1/logs"

    def http_exporter(status: StatusRecorder) -> LogRecordExporter:
        return HttpExporter(
            endpoint=http_endpoint,
            headers=all_headers or None,
            timeout=timeout_s,
            compression=Compression.Gzip if gzip_on else Compression.NoCompression,
            session=status.install(requests.Session()),
        )

    return http_exporter


def new_pipeline(
    *,
    resource: Resource,
    endpoint: str | None,
    protocol: str | None,
    headers: Mapping[str, str] | None,
    token: str | None,
    compression: bool | None,
    timeout_s: float | None,
    batch_size: int | None,
    flush_interval_s: float | None,
    max_queue_size: int | None,
    shutdown_timeout_s: float,
    name: str,
) -> Pipeline:
    pipeline = Pipeline(
        exporter_factory(endpoint, protocol, headers, token, compression, timeout_s),
        resource,
        batch_size=batch_size or _env_int("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", 512),
        flush_interval_s=flush_interval_s or _env_int("OTEL_BLRP_SCHEDULE_DELAY", 1000) / 1000,
        max_queue_size=max_queue_size or _env_int("OTEL_BLRP_MAX_QUEUE_SIZE", 10_000),
        shutdown_timeout_s=shutdown_timeout_s,
        name=name,
    )
    _pipelines.add(pipeline)
    return pipeline


class PipelineProcessor(LogRecordProcessor):
    """Hands the SDK's records to the pipeline; drops those logged by the flush thread itself."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if not in_flush_thread():
            self.pipeline.put(log_record)

    def shutdown(self) -> None:
        self.pipeline.close()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.pipeline.flush(timeout_millis / 1000)


class LoglensHandler(LoggingHandler):
    """The SDK's ``LoggingHandler``, with the request context added and a flush that waits."""

    def __init__(self, level: int, provider: LoggerProvider, pipeline: Pipeline) -> None:
        super().__init__(level=level, logger_provider=provider, log_code_attributes=True)
        self._pipeline = pipeline
        self.addFilter(add_to_record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        except Exception:  # logging must never raise into the application
            self.handleError(record)

    def flush(self) -> None:
        # The SDK's flush starts a thread, which fails at interpreter exit; ours waits briefly.
        self._pipeline.flush(1.0)


class _Configured:
    def __init__(self, provider: LoggerProvider, handler: LoglensHandler, pipeline: Pipeline) -> None:
        self.provider = provider
        self.handler = handler
        self.pipeline = pipeline
        self.root_level_before: int | None = None


def configure(
    service: str | None = None,
    environment: str | None = None,
    version: str | None = None,
    endpoint: str | None = None,
    protocol: str | None = None,
    *,
    level: int = logging.INFO,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    resource_attributes: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    flush_interval: float | None = None,
    max_queue_size: int | None = None,
    compression: bool | None = None,
    export_timeout: float | None = None,
    shutdown_timeout: float = 5.0,
) -> LoggerProvider:
    """Ship every ``logging`` record at ``level`` or above to loglens; returns the provider.

    Calling it again replaces the previous configuration (which is flushed and shut down).
    """
    global _configured
    resource = make_resource(service, environment, version, resource_attributes)
    pipeline = new_pipeline(
        resource=resource,
        endpoint=endpoint,
        protocol=protocol,
        headers=headers,
        token=token,
        compression=compression,
        timeout_s=export_timeout,
        batch_size=batch_size,
        flush_interval_s=flush_interval,
        max_queue_size=max_queue_size,
        shutdown_timeout_s=shutdown_timeout,
        name="loglens",
    )
    provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    provider.add_log_record_processor(PipelineProcessor(pipeline))
    handler = LoglensHandler(level, provider, pipeline)
    configured = _Configured(provider, handler, pipeline)
    with _lock:
        previous, _configured = _configured, configured
    if previous is not None:
        _tear_down(previous)
    root = logging.getLogger()
    if root.getEffectiveLevel() > level:
        configured.root_level_before = root.level
        root.setLevel(level)
    root.addHandler(handler)
    return provider


def _tear_down(configured: _Configured, timeout_s: float | None = None) -> None:
    root = logging.getLogger()
    root.removeHandler(configured.handler)
    if configured.root_level_before is not None:
        root.setLevel(configured.root_level_before)
    configured.pipeline.close(timeout_s)
    configured.provider.shutdown()
    retire(configured.pipeline)


def retire(pipeline: Pipeline) -> None:
    """Keep a closed pipeline's counts in ``stats()``."""
    global _retired
    with _lock:
        if pipeline in _pipelines:
            _pipelines.discard(pipeline)
            _retired = _retired + dataclasses.replace(pipeline.stats(), queued=0)


def shutdown(timeout: float | None = None) -> None:
    """Send what is queued (within ``timeout``, default ``shutdown_timeout``), then stop."""
    global _configured
    with _lock:
        configured, _configured = _configured, None
    if configured is not None:
        _tear_down(configured, timeout)


def flush(timeout: float = 5.0) -> bool:
    """Wait until every log given so far is sent; False if that took longer than ``timeout``."""
    configured = _configured
    return configured.pipeline.flush(timeout) if configured is not None else True


def stats() -> Stats:
    """Counts over every pipeline of this process (``configure()``'s and each LogCollector's)."""
    total = _retired
    for pipeline in list(_pipelines):
        total = total + pipeline.stats()
    return total


def _at_exit() -> None:
    shutdown()
    for pipeline in list(_pipelines):
        pipeline.close()


atexit.register(_at_exit)
