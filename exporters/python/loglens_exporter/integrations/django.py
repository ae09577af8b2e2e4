"""Django: one log per request, and a request context for every log written while serving it.

    MIDDLEWARE = ["loglens_exporter.integrations.django.LoglensMiddleware", *MIDDLEWARE]

Put it first, so that the duration covers the other middleware too.
"""

from __future__ import annotations

import time
from typing import Any, Callable

try:
    import django  # noqa: F401
except ImportError:  # pragma: no cover - depends on what is installed
    raise ImportError("Django is not installed; pip install loglens-exporter[django]") from None

from loglens_exporter._context import request_scope
from loglens_exporter._requests import log_request

_ERROR = "_loglens_error"


class LoglensMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        started = time.perf_counter()
        with request_scope(request.headers.get("traceparent")):
            status = 500
            try:
                response = self.get_response(request)
                status = int(response.status_code)
                return response
            finally:
                match = getattr(request, "resolver_match", None)
                route = getattr(match, "route", None) or None
                if route is not None and not route.startswith("/"):
                    route = "/" + route
                log_request(request.method, request.path, route, status, started, getattr(request, _ERROR, None))

    def process_exception(self, request: Any, exception: Exception) -> None:
        setattr(request, _ERROR, exception)
