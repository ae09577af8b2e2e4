"""Flask: one log per request, and a request context for every log written while serving it.

from loglens_exporter.integrations.flask import init_app
init_app(app)
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

try:
    import flask
    from flask import signals
except ImportError:  # pragma: no cover - depends on what is installed
    raise ImportError("Flask is not installed; pip install loglens-exporter[flask]") from None

from loglens_exporter._context import request_scope
from loglens_exporter._requests import log_request

_STATE = "_loglens"


class _RequestState:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.scope = contextlib.ExitStack()
        self.status = 500
        self.error: BaseException | None = None


def init_app(app: flask.Flask) -> flask.Flask:
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_teardown)
    signals.got_request_exception.connect(_on_exception, app, weak=False)
    return app


def _before() -> None:
    state = _RequestState()
    state.scope.enter_context(request_scope(flask.request.headers.get("traceparent")))
    setattr(flask.g, _STATE, state)


def _after(response: flask.Response) -> flask.Response:
    state: _RequestState | None = getattr(flask.g, _STATE, None)
    if state is not None:
        state.status = response.status_code
    return response


def _on_exception(_sender: Any, exception: BaseException, **_extra: Any) -> None:
    state: _RequestState | None = getattr(flask.g, _STATE, None)
    if state is not None:
        state.error = exception


def _teardown(error: BaseException | None) -> None:
    state: _RequestState | None = getattr(flask.g, _STATE, None)
    if state is None:
        return
    delattr(flask.g, _STATE)
    request = flask.request
    rule = request.url_rule.rule if request.url_rule is not None else None
    try:
        log_request(request.method, request.path, rule, state.status, state.started, state.error or error)
    finally:
        state.scope.close()
