"""Splunk's HTTP Event Collector on the HTTP port: what Fluent Bit's ``splunk`` output, Vector's
``splunk_hec_logs`` sink, Docker's splunk logging driver, the OpenTelemetry Collector's
``splunk_hec`` exporter and the Splunk logging handlers send.

``POST /services/collector/event`` (also ``/services/collector`` and ``.../event/1.0``) and
``/services/collector/raw`` (``?host=&source=&sourcetype=&index=``), gzip or not; the
mapping is ``mapping/splunk.py``. ``GET /services/collector/health`` answers without a token,
as Splunk's does. The token is ``Authorization: Splunk <token>`` (or ``Bearer``), checked
against ``LOGLENS_INGEST_TOKEN`` when it is set. Answers in HEC's shape:
``{"text": "Success", "code": 0}`` once every event is committed; 400 with HEC's code (and
``invalid-event-number``) for a body that cannot be read (nothing stored) or for events
refused (the others stored); 401 (code 2 or 3) without a token or with an Authorization header
HEC does not read, 403 (code 4) for a wrong token; 503 (code 9) with ``Retry-After`` when the
writer cannot take it now, which clients retry.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from loglens.collector import offload
from loglens.collector.batcher import Arrival
from loglens.collector.ingest import Ingest
from loglens.collector.mapping import splunk
from loglens.collector.mapping.shipper import dumps
from loglens.errors import IngestError, RetryLaterError

EVENT_PATHS = ("/services/collector", "/services/collector/event", "/services/collector/event/1.0")
RAW_PATHS = ("/services/collector/raw", "/services/collector/raw/1.0")
HEALTH_PATHS = ("/services/collector/health", "/services/collector/health/1.0")

Handler = Callable[[web.Request], Awaitable[web.Response]]
BodyReader = Callable[[web.Request], Awaitable[bytes]]


def add_routes(app: web.Application, ingest: Ingest, read_body: BodyReader, token: str | None) -> None:
    receiver = _HecReceiver(ingest, read_body, token)
    for path in EVENT_PATHS:
        app.router.add_post(path, _hec_answers(receiver.events))
    for path in RAW_PATHS:
        app.router.add_post(path, _hec_answers(receiver.raw))
    for path in HEALTH_PATHS:
        app.router.add_get(path, receiver.health)


class HecError(Exception):
    """An answer in HEC's shape, raised where it is known."""

    def __init__(self, status: int, answer: tuple[int, str], detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code, self.text = answer
        self.extra = extra


def answer(status: int, code: int, text: str, **extra: object) -> web.Response:
    """``extra``: loglens' ``detail`` beside HEC's text, and ``invalid_event_number`` as HEC names it."""
    shown = {key.replace("_", "-"): value for key, value in extra.items()}
    return web.Response(
        status=status, body=dumps({"text": text, "code": code, **shown}), content_type="application/json"
    )


def _hec_answers(handler: Handler) -> Handler:
    """HEC's shape for every error, loglens' own reason beside it (``detail``)."""

    async def answered(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except HecError as error:
            return answer(error.status, error.code, error.text, detail=str(error), **error.extra)
        except splunk.HecBodyError as error:
            if error.event is None:
                return answer(400, error.code, error.text, detail=str(error))
            return answer(400, error.code, error.text, detail=str(error), invalid_event_number=error.event)
        except IngestError as error:
            response = answer(error.http_status, *_code_of(error), detail=str(error))
            if isinstance(error, RetryLaterError):
                response.headers["Retry-After"] = str(error.retry_after_s)
            return response
        except web.HTTPRequestEntityTooLarge as error:
            return answer(413, *splunk.INVALID_FORMAT, detail=error.text or "the body is too large")

    return answered


def _code_of(error: IngestError) -> tuple[int, str]:
    if isinstance(error, RetryLaterError):
        return splunk.SERVER_BUSY
    return splunk.INVALID_FORMAT


class _HecReceiver:
    def __init__(self, ingest: Ingest, read_body: BodyReader, token: str | None) -> None:
        self._ingest = ingest
        self._read_body = read_body
        self._token = token.encode() if token else None

    def authorize(self, request: web.Request) -> None:
        if self._token is None:
            return
        header = request.headers.get("Authorization")
        if header is None:
            raise HecError(401, splunk.TOKEN_REQUIRED, "send 'Authorization: Splunk <LOGLENS_INGEST_TOKEN>'")
        scheme, _, given = header.strip().partition(" ")
        if scheme.lower() not in ("splunk", "bearer") or not given.strip():
            raise HecError(401, splunk.INVALID_AUTHORIZATION, "the header must be 'Authorization: Splunk <token>'")
        if not hmac.compare_digest(given.strip().encode(), self._token):
            raise HecError(403, splunk.INVALID_TOKEN, "this is not LOGLENS_INGEST_TOKEN")

    async def events(self, request: web.Request) -> web.Response:
        with self._ingest.batcher.arrival() as arrival:
            self.authorize(request)
            body = await self._read_body(request)
            records = await offload.run(len(body) >= offload.OFF_LOOP_BYTES, splunk.parse_events, body)
            # Python's JSON parser takes an escaped lone surrogate ("\ud800"), which PostgreSQL
            # cannot store: such an event is refused by itself (json_api.map_record).
            return await self._store(request, records, len(body), arrival, check_utf8=b"\\u" in body)

    async def raw(self, request: web.Request) -> web.Response:
        with self._ingest.batcher.arrival() as arrival:
            self.authorize(request)
            body = await self._read_body(request)
            query = request.query
            metadata = {key: query[key] for key in splunk.ENVELOPE_METADATA if query.get(key)}
            envelope = splunk.Envelope(host=query.get("host") or None, metadata=metadata)
            records = await offload.run(len(body) >= offload.OFF_LOOP_BYTES, splunk.parse_raw, body, envelope)
            return await self._store(request, records, len(body), arrival)

    async def _store(
        self, request: web.Request, records: list[Any], body_bytes: int, arrival: Arrival, check_utf8: bool = False
    ) -> web.Response:
        result, _ = await self._ingest.json_records(
            records, check_utf8=check_utf8, body_bytes=body_bytes, client_gone=_gone(request), arrival=arrival
        )
        if result.refused:
            first, reason = result.refused[0]
            detail = f"{len(result.refused)} events refused ({result.stored} stored); event {first}: {reason}"
            return answer(400, *splunk.INVALID_FORMAT, detail=detail, invalid_event_number=first)
        return answer(200, *splunk.SUCCESS)

    async def health(self, _request: web.Request) -> web.Response:
        if self._ingest.batcher.storage_error is None:
            return answer(200, *splunk.HEALTHY)
        return answer(503, *splunk.UNHEALTHY)


def _gone(request: web.Request) -> Callable[[], bool]:
    return lambda: request.transport is None or request.transport.is_closing()
