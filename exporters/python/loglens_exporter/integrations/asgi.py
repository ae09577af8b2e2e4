"""ASGI middleware for FastAPI, Starlette and any ASGI app: one log per request.

    from loglens_exporter.integrations.asgi import LoglensMiddleware
    app.add_middleware(LoglensMiddleware)          # FastAPI / Starlette
    app = LoglensMiddleware(app)                   # any ASGI app

Every log written while a request is served carries its trace id (from ``traceparent``, or
new) and the user/session set with ``loglens_exporter.set_user()``/``set_session()``. The
request log has the method, the route template (Starlette's, when it matched one) or the
path, the status, ``duration_ms`` and, for an exception, its type and stack trace.
Pure ASGI: nothing of Starlette is imported.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, MutableMapping
from typing import Any, Callable

from loglens_exporter._context import request_scope
from loglens_exporter._requests import log_request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LoglensMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        traceparent = None
        for name, value in scope.get("headers") or ():
            if name == b"traceparent":
                traceparent = value.decode("latin-1")
                break

        async def send_and_see_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with request_scope(traceparent):
            error: BaseException | None = None
            try:
                await self.app(scope, receive, send_and_see_status)
            except Exception as raised:
                error = raised
                raise
            finally:
                log_request(
                    scope.get("method", "GET"), scope.get("path", ""), _route(scope), status, started, error
                )


def _route(scope: Scope) -> str | None:
    route = scope.get("route")  # Starlette/FastAPI put the matched route here
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None
