"""Request context: the user, the session and the trace of the request being served.

Every log written while a request is served carries them, whichever thread or task writes
it: the integrations open a context per request; ``set_user``/``set_session`` fill it in
from the application's code (after authentication, say). The context is a mutable dict held
in a ``ContextVar``, so that a value set in a handler running in a thread pool (Starlette's
sync endpoints) is still seen by the middleware's request log once the handler returns.

The trace id is OpenTelemetry's own: when no span is active (the app has no tracing set up),
the request runs in a context holding a non-recording span whose trace id comes from the
``traceparent`` header, or is new. The SDK's ``LoggingHandler`` reads it from there.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

USER = "user.id"
SESSION = "session.id"

_current: ContextVar[dict[str, Any] | None] = ContextVar("loglens_request", default=None)
_ids = RandomIdGenerator()
_propagator = TraceContextTextMapPropagator()


def current() -> dict[str, Any] | None:
    """The attributes of the current request context (``user.id``, ``session.id``, ...)."""
    return _current.get()


@contextlib.contextmanager
def request_context(
    *, user_id: str | None = None, session_id: str | None = None, **attributes: Any
) -> Iterator[dict[str, Any]]:
    """Attach ``user_id``, ``session_id`` and any attributes to every log written inside."""
    values = dict(_current.get() or {})
    values.update(attributes)
    if user_id is not None:
        values[USER] = user_id
    if session_id is not None:
        values[SESSION] = session_id
    token = _current.set(values)
    try:
        yield values
    finally:
        _current.reset(token)


def _set(key: str, value: Any) -> None:
    values = _current.get()
    if values is None:
        _current.set({key: value})
    else:
        values[key] = value


def set_user(user_id: str | None) -> None:
    """The user of the current request (or, outside one, of this context from now on)."""
    _set(USER, user_id)


def set_session(session_id: str | None) -> None:
    _set(SESSION, session_id)


def set_attribute(key: str, value: Any) -> None:
    _set(key, value)


def add_to_record(record: logging.LogRecord) -> bool:
    """A logging filter: copy the request context into a record (its own ``extra`` wins)."""
    values = _current.get()
    if values:
        fields = record.__dict__
        for key, value in values.items():
            if key not in fields and value is not None:
                fields[key] = value
    return True


def trace_context_for(traceparent: str | None) -> otel_context.Context | None:
    """The OTel context a request should run in, or None when a span is already active."""
    if trace.get_current_span().get_span_context().is_valid:
        return None
    if traceparent:
        extracted = _propagator.extract({"traceparent": traceparent})
        if trace.get_current_span(extracted).get_span_context().is_valid:
            return extracted
    span_context = trace.SpanContext(
        trace_id=_ids.generate_trace_id(),
        span_id=_ids.generate_span_id(),
        is_remote=False,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context))


@contextlib.contextmanager
def request_scope(traceparent: str | None) -> Iterator[dict[str, Any]]:
    """One served request: a trace context and a fresh request context."""
    trace_ctx = trace_context_for(traceparent)
    token = otel_context.attach(trace_ctx) if trace_ctx is not None else None
    try:
        with request_context() as values:
            yield values
    finally:
        if token is not None:
            otel_context.detach(token)


def trace_id_hex() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
