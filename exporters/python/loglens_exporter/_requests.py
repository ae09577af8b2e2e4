"""The one log per request that every framework integration writes."""

from __future__ import annotations

import logging
import time
from typing import Any

from loglens_exporter._context import current

logger = logging.getLogger("loglens.requests")


def log_request(
    method: str,
    path: str,
    route: str | None,
    status: int,
    started: float,
    error: BaseException | None = None,
) -> None:
    """``GET /users/42 → 200 in 3.1 ms``: INFO, WARNING for 4xx, ERROR for 5xx.

    An exception that became a 5xx brings its type and stack trace; one the framework turned
    into a 4xx (a not-found, a permission denied) is the client's doing and does not.
    ``started`` is a ``time.perf_counter()`` reading taken when the request arrived.
    """
    duration_ms = round((time.perf_counter() - started) * 1000, 3)
    if status < 500:
        error = None
    if status >= 500:
        level = logging.ERROR
    elif status >= 400:
        level = logging.WARNING
    else:
        level = logging.INFO
    if not logger.isEnabledFor(level):
        return
    extra: dict[str, Any] = {
        "http.request.method": method,
        "http.route": route or path,
        "http.response.status_code": status,
        "duration_ms": duration_ms,
    }
    if route and route != path:
        extra["url.path"] = path
    context = current()
    if context:
        for key, value in context.items():
            extra.setdefault(key, value)
    exc_info = (type(error), error, error.__traceback__) if error is not None else None
    logger.log(level, "%s %s → %d in %.1f ms", method, path, status, duration_ms, exc_info=exc_info, extra=extra)
