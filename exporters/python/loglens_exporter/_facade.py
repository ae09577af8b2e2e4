"""``LogCollector``: the mission's client API, a thin facade over the same pipeline.

    collector = LogCollector(server_url="http://localhost:4318", batch_size=100, flush_interval=5)
    collector.log("ERROR", "api-server", "DB connection failed", trace_id="abc123", user_id="user_001")
    collector.error("api-server", "payment failed", user_id="user_001", duration_ms=812)
    collector.close()

Keyword fields named like the ``logs`` columns (``trace_id``, ``user_id``, ``session_id``,
``error_type``, ``stack_trace``, ``path``, ``method``, ``action_type``, ``function_name``,
``file_path``, ``duration_ms``, ``log_type``, ``environment``, ``service_version``) land in
those columns; any other keyword, and the items of ``metadata={...}``, land in ``metadata``.

``log()`` only reads the clock and the current contexts and appends a tuple to a deque: the
OpenTelemetry record is built later, in the flush thread.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Mapping
from time import time_ns
from types import TracebackType
from typing import Any

from opentelemetry.context import get_current

from loglens_exporter._configure import make_resource, new_pipeline, retire
from loglens_exporter._context import _current
from loglens_exporter._pipeline import Stats


class LogCollector:
    def __init__(
        self,
        server_url: str = "http://localhost:4318",
        batch_size: int = 100,
        flush_interval: float = 5.0,
        *,
        service: str | None = None,
        environment: str | None = None,
        version: str | None = None,
        protocol: str = "http/protobuf",
        token: str | None = None,
        max_queue_size: int = 10_000,
        compression: bool = True,
        timeout: float = 10.0,
        shutdown_timeout: float = 5.0,
        resource_attributes: Mapping[str, Any] | None = None,
    ) -> None:
        """``server_url`` is loglens's OTLP/HTTP address (or its OTLP/gRPC one with
        ``protocol="grpc"``); ``flush_interval`` is in seconds; ``service`` is the default for
        logs that name none (the ``service`` argument of ``log()`` wins)."""
        self._pipeline = new_pipeline(
            resource=make_resource(service, environment, version, resource_attributes),
            endpoint=server_url,
            protocol=protocol,
            headers=None,
            token=token,
            compression=compression,
            timeout_s=timeout,
            batch_size=batch_size,
            flush_interval_s=flush_interval,
            max_queue_size=max(max_queue_size, batch_size),
            shutdown_timeout_s=shutdown_timeout,
            name="loglens-collector",
        )
        self._put = self._pipeline.put

    def log(
        self,
        level: str,
        service: str | None,
        message: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        """Queue one log; never blocks, never raises (a full queue drops it and counts it)."""
        self._put((time_ns(), level, service, message, fields, metadata, _current.get(), get_current()))

    def trace(self, service: str | None, message: str, **fields: Any) -> None:
        self.log("TRACE", service, message, **fields)

    def debug(self, service: str | None, message: str, **fields: Any) -> None:
        self.log("DEBUG", service, message, **fields)

    def info(self, service: str | None, message: str, **fields: Any) -> None:
        self.log("INFO", service, message, **fields)

    def warn(self, service: str | None, message: str, **fields: Any) -> None:
        self.log("WARN", service, message, **fields)

    warning = warn

    def error(self, service: str | None, message: str, **fields: Any) -> None:
        self.log("ERROR", service, message, **fields)

    def fatal(self, service: str | None, message: str, **fields: Any) -> None:
        self.log("FATAL", service, message, **fields)

    critical = fatal

    def exception(
        self, service: str | None, message: str, error: BaseException | None = None, **fields: Any
    ) -> None:
        """An ERROR with the exception's type and stack trace (the one being handled by default)."""
        error = error if error is not None else sys.exc_info()[1]
        if error is not None:
            fields.setdefault("error_type", type(error).__name__)
            fields.setdefault(
                "stack_trace", "".join(traceback.format_exception(type(error), error, error.__traceback__))
            )
        self.log("ERROR", service, message, **fields)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every log given so far is sent; False if that took longer than ``timeout``."""
        return self._pipeline.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Send what is queued (within ``timeout``, default ``shutdown_timeout``) and stop."""
        self._pipeline.close(timeout)
        retire(self._pipeline)

    def stats(self) -> Stats:
        return self._pipeline.stats()

    def __enter__(self) -> LogCollector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
