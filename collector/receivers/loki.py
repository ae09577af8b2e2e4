"""Loki's push API on the HTTP port: ``POST /loki/api/v1/push``, what Promtail, Grafana Alloy,
Fluent Bit's ``loki`` output, Vector's ``loki`` sink and the Loki logging handlers send.

``application/json`` (gzip or not) or snappy-compressed ``application/x-protobuf`` (any other
content type is read as protobuf, as Loki reads it); the mapping is ``mapping/loki.py``.
Answers are Loki's: 204 once every entry is committed; 400 with the reason as text for a body
that is not a push request (nothing stored) or for entries refused (the others stored, as
Loki's distributor does); 401 without the ingest token (``Bearer`` or Basic auth's password);
429/503 with ``Retry-After`` when the writer cannot take it now, which clients retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from loglens.collector import offload
from loglens.collector.ingest import Ingest
from loglens.collector.mapping import loki

PUSH_PATH = "/loki/api/v1/push"
MAX_REASONS = 5

BodyReader = Callable[[web.Request], Awaitable[bytes]]
Authorize = Callable[[web.Request], None]


def add_routes(
    app: web.Application, ingest: Ingest, read_body: BodyReader, authorize: Authorize, max_body_bytes: int
) -> None:
    receiver = _LokiReceiver(ingest, read_body, authorize, max_body_bytes)
    app.router.add_post(PUSH_PATH, receiver.push)
    app.router.add_post("/api/prom/push", receiver.push)  # Loki's legacy path, which old clients use


class _LokiReceiver:
    def __init__(self, ingest: Ingest, read_body: BodyReader, authorize: Authorize, max_body_bytes: int) -> None:
        self._ingest = ingest
        self._read_body = read_body
        self._authorize = authorize
        self._max_body_bytes = max_body_bytes

    async def push(self, request: web.Request) -> web.Response:
        # IngestErrors (401, 413, 429, 503) are answered by the HTTP receiver's middleware.
        with self._ingest.batcher.arrival() as arrival:
            self._authorize(request)
            body = await self._read_body(request)
            heavy = len(body) >= offload.OFF_LOOP_BYTES // (8 if request.content_type != "application/json" else 1)
            try:
                if request.content_type == "application/json":
                    push = await offload.run(heavy, loki.parse_json, body)
                else:
                    push = await offload.run(heavy, loki.parse_protobuf, body, self._max_body_bytes)
            except loki.PushBodyError as error:
                return web.Response(status=400, text=f"{error}\n")
            if not push.records:
                return web.Response(status=204)
            result, _ = await self._ingest.json_records(
                push.records, body_bytes=len(body), client_gone=_gone(request), arrival=arrival
            )
        if result.refused:
            reasons = "; ".join(f"{push.where(index)}: {reason}" for index, reason in result.refused[:MAX_REASONS])
            more = len(result.refused) - MAX_REASONS
            text = f"{len(result.refused)} entries refused ({result.stored} stored): {reasons}"
            return web.Response(status=400, text=text + (f"; and {more} more" if more > 0 else "") + "\n")
        return web.Response(status=204)


def _gone(request: web.Request) -> Callable[[], bool]:
    return lambda: request.transport is None or request.transport.is_closing()
