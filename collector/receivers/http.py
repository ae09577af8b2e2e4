"""OTLP/HTTP (``POST /v1/logs``), the plain JSON API (``POST /logs``), ``GET /health``, the
Elasticsearch-compatible API (``elasticsearch.py``: ``/_bulk``, ``/{index}/_doc`` and the probes),
Loki's push API (``loki.py``) and Splunk's HTTP Event Collector (``splunk.py``).

Answers follow the OTLP/HTTP specification: 200 with an ``ExportLogsServiceResponse`` in
the request's encoding (``partial_success`` counts refused records), 400 for a body that
cannot be decoded, 413 for one too large, 415 for an unknown content type, and the
retryable 429/503 with ``Retry-After`` when the writer is saturated or the database is down.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from multidict import CIMultiDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceResponse,
)

from loglens.collector import native, offload
from loglens.collector.batcher import Arrival
from loglens.collector.decompress import inflate
from loglens.collector.ingest import Ingest, Result, collections_paused, json_receipt
from loglens.collector.mapping import json_api, otlp
from loglens.collector.receivers import elasticsearch, loki, splunk
from loglens.collector.storage.writer import IdempotencyKey, content_digest
from loglens.errors import (
    IngestError,
    MalformedPayloadError,
    PayloadTooLargeError,
    RetryLaterError,
    UnauthorizedError,
)
from loglens.settings import Settings

log = logging.getLogger(__name__)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")
MAX_IDEMPOTENCY_KEY = 200

MAX_BODY_BYTES = web.AppKey("max_body_bytes", int)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    settings: Settings,
    ingest: Ingest,
    workers: Callable[[], dict[str, int]] | None = None,
    receivers: Callable[[], dict[str, object]] | None = None,
) -> web.Application:
    """``workers``: the collector workers expected and alive, for /health (workers.py);
    ``receivers``: the other receivers' counters, for /health (the syslog receiver's)."""
    # aiohttp checks the raw (compressed) size against client_max_size; inflate() checks the rest.
    middlewares: list[Middleware] = [_errors_as_answers]
    if settings.cors_origin_set:
        middlewares.insert(0, _cors(settings.cors_origin_set))
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=middlewares)
    app[MAX_BODY_BYTES] = settings.max_body_bytes
    receiver = _HttpReceiver(settings, ingest, workers, receivers)
    app.router.add_post("/v1/logs", receiver.otlp_logs)
    app.router.add_post("/logs", receiver.json_logs)
    app.router.add_get("/health", receiver.health)
    elasticsearch.add_routes(app, ingest, receiver.read_body, receiver.authorize)
    loki.add_routes(app, ingest, receiver.read_body, receiver.authorize, settings.max_body_bytes)
    token = settings.ingest_token.get_secret_value() if settings.ingest_token else None
    splunk.add_routes(app, ingest, receiver.read_body, token)
    return app


# What a browser exporter may send: protobuf or JSON bodies, gzip, a token, an idempotency key.
CORS_ALLOWED_HEADERS = "Content-Type, Content-Encoding, Authorization, Idempotency-Key"
CORS_INGEST_PATHS = ("/v1/logs", "/logs")
CORS_MAX_AGE_S = 600


def _cors(origins: frozenset[str]) -> Middleware:
    """Answers preflights for the ingest paths and lets the configured origins read answers."""
    any_origin = "*" in origins

    def allowed(origin: str | None) -> str | None:
        if origin is None:
            return None
        return origin if any_origin or origin in origins else None

    def add_headers(headers: CIMultiDict[str], origin: str) -> None:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = "Retry-After"
        headers["Vary"] = "Origin"

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = allowed(request.headers.get("Origin"))
        if request.method == "OPTIONS" and request.path in CORS_INGEST_PATHS:
            if origin is None or "Access-Control-Request-Method" not in request.headers:
                return web.Response(status=403, text="this origin may not send logs here (LOGLENS_CORS_ORIGINS)")
            preflight = web.Response(status=204)
            add_headers(preflight.headers, origin)
            preflight.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            preflight.headers["Access-Control-Allow-Headers"] = CORS_ALLOWED_HEADERS
            preflight.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_S)
            return preflight
        try:
            response = await handler(request)
        except web.HTTPException as answer:
            if origin is not None:
                add_headers(answer.headers, origin)
            raise
        if origin is not None:
            add_headers(response.headers, origin)
        return response

    return cors


@web.middleware
async def _errors_as_answers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except IngestError as error:
        return _error_answer(request, error)
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[MAX_BODY_BYTES]
        return _error_answer(request, PayloadTooLargeError(f"the body is larger than the limit of {limit} bytes"))


def _error_answer(request: web.Request, error: IngestError, status: int | None = None) -> web.Response:
    status = status or error.http_status
    headers = {}
    if isinstance(error, RetryLaterError):
        headers["Retry-After"] = str(error.retry_after_s)
    if status >= 500 or isinstance(error, RetryLaterError):
        log.warning("%s %s answered %d: %s", request.method, request.path, status, error)
    if request.path == "/v1/logs" and request.content_type == PROTOBUF:
        # OTLP/HTTP: a google.rpc.Status in the request's encoding; field 2 is the message.
        body = _rpc_status_bytes(status, str(error))
        return web.Response(status=status, body=body, content_type=PROTOBUF, headers=headers)
    return web.json_response(
        {"status": "error", "error": str(error)},
        status=status,
        headers=headers,
        dumps=lambda value: orjson.dumps(value).decode(),
    )


def _rpc_status_bytes(http_status: int, message: str) -> bytes:
    from google.rpc import code_pb2, status_pb2

    code = {
        400: code_pb2.INVALID_ARGUMENT,
        401: code_pb2.UNAUTHENTICATED,
        413: code_pb2.RESOURCE_EXHAUSTED,
        415: code_pb2.INVALID_ARGUMENT,
        429: code_pb2.RESOURCE_EXHAUSTED,
    }.get(http_status, code_pb2.UNAVAILABLE)
    return bytes(status_pb2.Status(code=code, message=message).SerializeToString())


class _HttpReceiver:
    def __init__(
        self,
        settings: Settings,
        ingest: Ingest,
        workers: Callable[[], dict[str, int]] | None = None,
        receivers: Callable[[], dict[str, object]] | None = None,
    ) -> None:
        self._settings = settings
        self._workers = workers
        self._receivers = receivers
        self._ingest = ingest
        self._token = settings.ingest_token.get_secret_value().encode() if settings.ingest_token else None

    def authorize(self, request: web.Request) -> None:
        if self._token is None:
            return
        if not any(hmac.compare_digest(given, self._token) for given in presented_tokens(request)):
            raise UnauthorizedError(
                "a valid ingest token is required: send 'Authorization: Bearer <LOGLENS_INGEST_TOKEN>' "
                "(or the token as a Basic auth password, or as an ApiKey)"
            )

    async def read_body(self, request: web.Request) -> bytes:
        raw = await _read_body(request, self._settings.idle_timeout_s, self._settings.max_body_bytes)
        encoding = request.headers.get("Content-Encoding", "")
        # A compressed body costs what it inflates to: a small one may take long (offload.py).
        heavy = len(raw) >= (offload.OFF_LOOP_BYTES // 32 if encoding else offload.OFF_LOOP_BYTES)
        return await offload.run(heavy, inflate, raw, encoding, self._settings.max_body_bytes)

    async def otlp_logs(self, request: web.Request) -> web.Response:
        # From here to its submission, the batcher counts this request as on its way (batcher.py).
        with self._ingest.batcher.arrival() as arrival:
            return await self._otlp_logs(request, arrival)

    async def json_logs(self, request: web.Request) -> web.Response:
        with self._ingest.batcher.arrival() as arrival:
            return await self._json_logs(request, arrival)

    async def _otlp_logs(self, request: web.Request, arrival: Arrival) -> web.Response:
        self.authorize(request)
        content_type = request.content_type
        if content_type not in (PROTOBUF, JSON):
            return web.Response(status=415, text=f"Content-Type must be {PROTOBUF} or {JSON}, not {content_type}")
        body = await self.read_body(request)
        try:
            decode = self._ingest.decode_protobuf if content_type == PROTOBUF else otlp.decode_json
            export = await offload.run(len(body) >= offload.OFF_LOOP_BYTES, decode, body)
        except (DecodeError, ValueError, json_format.ParseError, orjson.JSONDecodeError) as error:
            raise MalformedPayloadError(
                f"the body is not a valid OTLP {content_type} ExportLogsServiceRequest: {error or 'undecodable'}"
            ) from None
        result = await self._ingest.otlp_request(
            export, body_bytes=len(body), client_gone=_gone(request), arrival=arrival
        )
        return _otlp_answer(result, content_type)

    async def _json_logs(self, request: web.Request, arrival: Arrival) -> web.Response:
        self.authorize(request)
        key = _idempotency_key(request)
        if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise MalformedPayloadError(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} bytes long")
        body = await self.read_body(request)
        try:
            ndjson = request.content_type in NDJSON
            parsed = await offload.run(len(body) >= offload.OFF_LOOP_BYTES, _parse_json, body, ndjson)
        except json_api.BodyError as error:
            raise MalformedPayloadError(str(error)) from None
        result, replayed = await self._ingest.json_records(
            parsed.records,
            unreadable=parsed.unreadable,
            check_utf8=parsed.had_invalid_utf8,
            idempotency_key=_keyed_by_body(key, body, request.content_type in NDJSON),
            body_bytes=len(body),
            client_gone=_gone(request),
            arrival=arrival,
        )
        # The receipt of a large body (a rejection per record) is built and encoded off the loop too.
        heavy = len(result.refused) >= offload.OFF_LOOP_RECORDS
        answer = (
            replayed
            if replayed is not None
            else await offload.run(heavy, json_receipt, result.refused, result.stored)
        )
        status = 400 if answer["status"] == "error" else 200
        headers = {"Idempotent-Replayed": "true"} if replayed is not None else None
        text = await offload.run(heavy, orjson.dumps, answer)
        return web.Response(body=text, status=status, headers=headers, content_type="application/json")

    async def health(self, _request: web.Request) -> web.Response:
        # The probe has a connection and a short timeout of its own (LogWriter.ping): /health
        # answers at once while the writer's connections wait on a locked table.
        problem = self._ingest.batcher.storage_error
        if problem is None and not await self._ingest.batcher.database_reachable():
            problem = "PostgreSQL is unreachable (no answer to SELECT 1 within 0.5 s)"
        stats = self._ingest.batcher.stats
        answer = {
            "status": "ok" if problem is None else "degraded",
            "database": "ok" if problem is None else problem,
            "pending_rows": self._ingest.batcher.pending_rows,
            "pending_bytes": self._ingest.batcher.pending_bytes,
            "committed_rows": stats.committed_rows,
            "refused_rows": stats.refused_rows,
            # Requests answered 503 at LOGLENS_COMMIT_TIMEOUT_S, nothing of them stored.
            "commit_timeouts": stats.timed_out_submissions,
            # Whether OTLP protobuf is decoded and rows encoded in C (collector/native), and why.
            "native": native.status().as_dict(),
            # Syslog and GELF: messages received, stored, malformed and dropped, per transport (this worker's).
            **(self._receivers() if self._receivers is not None else {}),
        }
        if self._workers is not None:
            # A worker missing is a degraded collector, though this one can take logs (200).
            workers = self._workers()
            if workers["alive"] < workers["expected"]:
                answer["status"] = "degraded"
            return web.json_response({**answer, "workers": workers}, status=200 if problem is None else 503)
        return web.json_response(answer, status=200 if problem is None else 503)


def presented_tokens(request: web.Request) -> list[bytes]:
    """What the Authorization header may carry as the ingest token: ``Bearer <token>``, Basic auth
    with the token as the password (any user name: what Fluent Bit, Vector and Filebeat send with
    a user and password), or ``ApiKey <token>`` (Elasticsearch's, which is base64 of ``id:key``:
    the key, or the whole decoded value, is the token)."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    value = value.strip()
    scheme = scheme.lower()
    if scheme == "bearer":
        return [value.encode()]
    if scheme not in ("basic", "apikey"):
        return []
    tokens = [value.encode()] if scheme == "apikey" else []
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return tokens
    _user, colon, password = decoded.partition(b":")
    if scheme == "basic":
        return [password] if colon else []
    return [*tokens, decoded, *([password] if colon else [])]


def _parse_json(body: bytes, ndjson: bool) -> json_api.Parsed:
    """The records of a /logs body, parsed without cyclic garbage collection (ingest.py)."""
    with collections_paused():
        return json_api.parse_body(body, ndjson)


def _gone(request: web.Request) -> Callable[[], bool]:
    """Whether the client closed the connection: aiohttp lets go of the transport then."""
    return lambda: request.transport is None or request.transport.is_closing()


async def _read_body(request: web.Request, idle_s: float, limit: int) -> bytes:
    """The body as it arrives; a client that sends none of it for ``idle_s`` is answered 408
    and its connection closed (``LOGLENS_IDLE_TIMEOUT_S``), so a slow sender holds no worker."""
    body = bytearray()
    while True:
        try:
            async with asyncio.timeout(idle_s):
                chunk = await request.content.readany()
        except TimeoutError:
            answer = web.HTTPRequestTimeout(
                text=f"the body stalled: nothing of it for {idle_s:g} s (LOGLENS_IDLE_TIMEOUT_S)"
            )
            answer.force_close()
            raise answer from None
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))


def _idempotency_key(request: web.Request) -> bytes | None:
    """The Idempotency-Key header's bytes as sent. A field value may hold any byte above 0x7f,
    and what aiohttp decodes of one that is not UTF-8 is not text PostgreSQL could take."""
    if "Idempotency-Key" not in request.headers:
        return None
    for name, value in request.raw_headers:
        if name.lower() == b"idempotency-key":
            return value
    return None


def _keyed_by_body(key: bytes | None, body: bytes, ndjson: bool) -> IdempotencyKey | None:
    """The request's key and a digest of its (inflated) body: a key reused with another body is
    refused with 422 (IdempotencyConflictError), never taken for a replay."""
    if not key:
        return None
    return IdempotencyKey(b"json:" + key, content_digest(b"ndjson" if ndjson else b"json", body))


def _otlp_answer(result: Result, content_type: str) -> web.Response:
    response = ExportLogsServiceResponse()
    if result.refused:
        response.partial_success.CopyFrom(
            ExportLogsPartialSuccess(rejected_log_records=len(result.refused), error_message=result.summary())
        )
    if content_type == JSON:
        return web.Response(body=json_format.MessageToJson(response, indent=None).encode(), content_type=JSON)
    return web.Response(body=response.SerializeToString(), content_type=PROTOBUF)
