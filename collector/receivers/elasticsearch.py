"""The Elasticsearch-compatible ingest API on the HTTP port: what Filebeat, Logstash, Vector,
Fluent Bit, syslog-ng, rsyslog and the ``elasticsearch`` clients send logs with.

``POST /_bulk`` and ``/{index}/_bulk`` store the documents of ``index`` and ``create``
actions and answer per item, in Elasticsearch's shape: 201 for a document committed, 400 with
a reason for one refused (``delete`` and ``update`` too); the request itself fails only when
it cannot be read (400), is not allowed (401), or cannot be stored now (429/503, which
shippers retry). A body whose documents all have an ``_id``, sent again, is stored once.
``/{index}/_doc`` and ``/{index}/_create/{id}`` store one document. The
probes shippers make at start are answered well enough that they proceed: ``GET /`` (an 8.x
version), ``HEAD /{index}``, ``_license``, ``_nodes/http``, ``_cluster/health``, and index
templates, ILM policies and ingest pipelines (kept in memory and acknowledged; loglens has
one table, not indices). Every answer carries ``X-Elastic-Product: Elasticsearch``, which the
official clients require.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from loglens.collector import offload
from loglens.collector.ingest import Ingest, Result
from loglens.collector.mapping import elasticsearch as bulk_api
from loglens.collector.mapping.shipper import dumps
from loglens.collector.storage.writer import IdempotencyKey, content_digest
from loglens.errors import IngestError, RetryLaterError, UnauthorizedError

VERSION = "8.17.0"  # the version shippers are told (7.x and 8.x clients accept it)
LUCENE_VERSION = "9.12.0"
CLUSTER = "loglens"
PRODUCT_HEADERS = {"X-Elastic-Product": "Elasticsearch"}
# Setup endpoints whose objects are kept (in memory) and acknowledged.
SETUP_KINDS = ("_template", "_index_template", "_component_template", "_ilm/policy", "_ingest/pipeline")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BodyReader = Callable[[web.Request], Awaitable[bytes]]
Authorize = Callable[[web.Request], None]


def add_routes(app: web.Application, ingest: Ingest, read_body: BodyReader, authorize: Authorize) -> None:
    api = _ElasticsearchApi(ingest, read_body)
    route = app.router

    def add(method: str, path: str, handler: Handler) -> None:
        route.add_route(method, path, _es_answers(handler, authorize))

    add("GET", "/", api.info)
    add("HEAD", "/", api.info)
    add("GET", "/_license", api.license)
    add("GET", "/_xpack", api.xpack)
    add("GET", "/_nodes/http", api.nodes)
    add("GET", "/_nodes", api.nodes)
    add("GET", "/_cluster/health", api.health)
    for kind in SETUP_KINDS:
        for method in ("GET", "HEAD", "PUT", "POST"):
            add(method, f"/{kind}/{{name}}", api.setup_of(kind))
        add("GET", f"/{kind}", api.setup_of(kind))
    for method in ("POST", "PUT"):
        add(method, "/_bulk", api.bulk)
        add(method, "/{index}/_bulk", api.bulk)
        add(method, "/{index}/_doc/{id}", api.document)
        add(method, "/{index}/_create/{id}", api.document)
    add("POST", "/{index}/_doc", api.document)
    add("HEAD", "/{index}", api.index_exists)
    add("GET", "/{index}", api.index_info)
    add("PUT", "/{index}", api.create_index)


def _es_answers(handler: Handler, authorize: Authorize) -> Handler:
    """The token checked, the product header on every answer, errors in Elasticsearch's shape."""

    async def answered(request: web.Request) -> web.StreamResponse:
        try:
            authorize(request)
            response = await handler(request)
        except IngestError as error:
            response = _error(error.http_status, _error_type(error), str(error))
            if isinstance(error, RetryLaterError):
                response.headers["Retry-After"] = str(error.retry_after_s)
            if isinstance(error, UnauthorizedError):
                response.headers["WWW-Authenticate"] = 'Basic realm="loglens", ApiKey'
        except web.HTTPRequestEntityTooLarge as error:
            response = _error(413, "content_too_long_exception", error.text or "the body is too large")
        response.headers.update(PRODUCT_HEADERS)
        return response

    return answered


def _error_type(error: IngestError) -> str:
    if isinstance(error, UnauthorizedError):
        return "security_exception"
    if isinstance(error, RetryLaterError):
        return "es_rejected_execution_exception" if error.http_status == 429 else "unavailable_shards_exception"
    return "parse_exception"


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(body=dumps(value), status=status, content_type="application/json")


def _error(status: int, kind: str, reason: str) -> web.Response:
    cause = {"type": kind, "reason": reason}
    return _json({"error": {"root_cause": [cause], **cause}, "status": status}, status)


def _not_found(kind: str, reason: str) -> web.Response:
    return _error(404, kind, reason)


class _ElasticsearchApi:
    def __init__(self, ingest: Ingest, read_body: BodyReader) -> None:
        self._ingest = ingest
        self._read_body = read_body
        self._uuid = secrets.token_urlsafe(16)
        # PUT templates, policies and pipelines: (kind, name) → body, for the GETs that follow.
        self._setup: dict[tuple[str, str], Any] = {}

    # --- the probes ------------------------------------------------------------------------
    async def info(self, _request: web.Request) -> web.Response:
        return _json(
            {
                "name": CLUSTER,
                "cluster_name": CLUSTER,
                "cluster_uuid": self._uuid,
                "version": {
                    "number": VERSION,
                    "build_flavor": "default",
                    "build_type": "tar",
                    "build_hash": "loglens",
                    "build_date": "2024-12-11T12:08:05.663969764Z",
                    "build_snapshot": False,
                    "lucene_version": LUCENE_VERSION,
                    "minimum_wire_compatibility_version": "7.17.0",
                    "minimum_index_compatibility_version": "7.0.0",
                },
                "tagline": "You Know, for Search",
            }
        )

    async def license(self, _request: web.Request) -> web.Response:
        return _json({"license": _LICENSE})

    async def xpack(self, _request: web.Request) -> web.Response:
        return _json({"build": {"hash": "loglens"}, "license": _LICENSE, "features": {}})

    async def nodes(self, request: web.Request) -> web.Response:
        address = request.host
        node: dict[str, Any] = {"name": CLUSTER, "version": VERSION, "roles": ["data", "ingest", "master"]}
        node["http"] = {"bound_address": [address], "publish_address": address}
        counts = {"total": 1, "successful": 1, "failed": 0}
        return _json({"_nodes": counts, "cluster_name": CLUSTER, "nodes": {self._uuid: node}})

    async def health(self, _request: web.Request) -> web.Response:
        healthy = self._ingest.batcher.storage_error is None
        return _json(
            {
                "cluster_name": CLUSTER,
                "status": "green" if healthy else "red",
                "timed_out": False,
                "number_of_nodes": 1,
                "number_of_data_nodes": 1,
                "active_primary_shards": 1,
                "active_shards": 1,
                "relocating_shards": 0,
                "initializing_shards": 0,
                "unassigned_shards": 0,
                "active_shards_percent_as_number": 100.0,
            }
        )

    def setup_of(self, kind: str) -> Handler:
        async def setup(request: web.Request) -> web.Response:
            return await self._setup_request(kind, request)

        return setup

    async def _setup_request(self, kind: str, request: web.Request) -> web.Response:
        name = request.match_info.get("name")
        if request.method in ("PUT", "POST") and name:
            body = await self._read_body(request)
            try:
                self._setup[(kind, name)] = orjson.loads(body) if body.strip() else {}
            except orjson.JSONDecodeError:
                return _error(400, "parse_exception", f"the {kind} body is not valid JSON")
            return _json({"acknowledged": True})
        kept = {key[1]: value for key, value in self._setup.items() if key[0] == kind and name in (None, key[1])}
        if not kept:
            return _not_found("resource_not_found_exception", f"{kind} [{name}] missing")
        if request.method == "HEAD":
            return web.Response(status=200)
        return _json(_listing(kind, kept))

    async def index_exists(self, _request: web.Request) -> web.Response:
        # Every index "exists": its documents all go to the one logs table.
        return web.Response(status=200, content_type="application/json")

    async def index_info(self, request: web.Request) -> web.Response:
        index = request.match_info["index"]
        if index.startswith("_"):
            return _error(400, "invalid_index_name_exception", f"no such endpoint or index [{index}] on loglens")
        return _json({index: {"aliases": {}, "mappings": {}, "settings": {"index": {"number_of_shards": "1"}}}})

    async def create_index(self, request: web.Request) -> web.Response:
        index = request.match_info["index"]
        await self._read_body(request)
        return _json({"acknowledged": True, "shards_acknowledged": True, "index": index})

    # --- ingest ------------------------------------------------------------------------------
    async def bulk(self, request: web.Request) -> web.Response:
        with self._ingest.batcher.arrival() as arrival:
            started = time.monotonic()
            body = await self._read_body(request)
            default_index = request.match_info.get("index")
            try:
                parsed = await offload.run(
                    len(body) >= offload.OFF_LOOP_BYTES, bulk_api.parse_bulk, body, default_index
                )
            except bulk_api.BulkBodyError as error:
                return _error(400, bulk_api.ILLEGAL_ARGUMENT, str(error))
            result, replayed = await self._ingest.json_records(
                parsed.records,
                check_utf8=parsed.had_invalid_utf8,
                idempotency_key=_identified(parsed, body),
                body_bytes=len(body),
                client_gone=_gone(request),
                arrival=arrival,
            )
        if replayed is not None:  # this body was committed before: answered as then, stored once
            refused = [(int(entry["index"]), str(entry["error"])) for entry in replayed.get("rejected", [])]
            result = Result(int(replayed.get("count", 0)), refused)
        heavy = len(parsed.items) >= offload.OFF_LOOP_RECORDS
        answer = await offload.run(heavy, _bulk_answer, parsed.items, result, started)
        return web.Response(body=answer, content_type="application/json")

    async def document(self, request: web.Request) -> web.Response:
        with self._ingest.batcher.arrival() as arrival:
            body = await self._read_body(request)
            index = request.match_info["index"]
            given_id = request.match_info.get("id")
            try:
                document, invalid_utf8 = bulk_api.parse_document(body)
            except bulk_api.BulkBodyError as error:
                return _error(400, bulk_api.MAPPER_PARSING, str(error))
            record = bulk_api.stamped(document, index, given_id)
            gone = _gone(request)
            result, _ = await self._ingest.json_records(
                [record], check_utf8=invalid_utf8, body_bytes=len(body), client_gone=gone, arrival=arrival
            )
        if result.refused:
            return _error(400, bulk_api.MAPPER_PARSING, result.refused[0][1])
        return _json({**_created(index, given_id or _new_id(), 0)}, 201)


_LICENSE = {
    "status": "active",
    "uid": "loglens",
    "type": "basic",
    "issue_date": "2024-01-01T00:00:00.000Z",
    "issue_date_in_millis": 1704067200000,
    "max_nodes": 1000,
    "max_resource_units": None,
    "issued_to": "loglens",
    "issuer": "elasticsearch",
    "start_date_in_millis": -1,
}


def _listing(kind: str, kept: dict[str, Any]) -> Any:
    if kind == "_index_template":
        return {"index_templates": [{"name": name, "index_template": body} for name, body in kept.items()]}
    if kind == "_component_template":
        return {"component_templates": [{"name": name, "component_template": body} for name, body in kept.items()]}
    return kept  # _template, _ilm/policy, _ingest/pipeline: name → body


def _identified(parsed: bulk_api.Bulk, body: bytes) -> IdempotencyKey | None:
    """A key for a body whose every document has its ``_id`` (Fluent Bit's ``Generate_ID``):
    sent again (Fluent Bit resends a whole chunk when any item failed) it is answered as the
    first time and not stored twice, as Elasticsearch keeps one document per id. Bodies without
    ids are stored each time they come, as Elasticsearch stores them."""
    stored = [item for item in parsed.items if item.record is not None]
    if not stored or any(item.id is None for item in stored):
        return None
    digest = content_digest(b"es-bulk", body)
    return IdempotencyKey(b"es-bulk:" + digest, digest)


def _gone(request: web.Request) -> Callable[[], bool]:
    return lambda: request.transport is None or request.transport.is_closing()


def _new_id() -> str:
    return secrets.token_urlsafe(15)


def _created(index: str, item_id: str, sequence: int) -> dict[str, Any]:
    return {
        "_index": index,
        "_id": item_id,
        "_version": 1,
        "result": "created",
        "_shards": {"total": 1, "successful": 1, "failed": 0},
        "_seq_no": sequence,
        "_primary_term": 1,
    }


def _bulk_answer(items: list[bulk_api.Item], result: Result, started: float) -> bytes:
    """Elasticsearch's bulk response: ``took``, ``errors`` and an item per action, in order
    (Fluent Bit looks for ``{"took":…,"errors":false,"items":[`` as written here). A stored
    item's answer is the same but for its index, id and number: written from a template."""
    refused = dict(result.refused)
    # Generated ids: one random prefix per request and a counter, unique and cheap (URL-safe:
    # nothing to escape).
    prefix = secrets.token_urlsafe(9)
    quoted: dict[str | None, bytes] = {}
    parts: list[bytes] = []
    errors = False
    for number, item in enumerate(items):
        error = item.error
        if error is None and item.record in refused:
            error = (bulk_api.MAPPER_PARSING, refused[item.record])
        if error is not None:
            errors = True
            kind, reason = error
            failure = {
                "_index": item.index,
                "_id": item.id,
                "status": 400,
                "error": {"type": kind, "reason": reason},
            }
            parts.append(dumps({item.action: failure}))
            continue
        index = quoted.get(item.index)
        if index is None:
            index = quoted[item.index] = dumps(item.index or "")
        item_id = dumps(item.id) if item.id is not None else b'"%s%08x"' % (prefix.encode(), number)
        parts.append(_CREATED % (item.action.encode(), index, item_id, number))
    took = int((time.monotonic() - started) * 1000)
    head = b'{"took":%d,"errors":%s,"items":[' % (took, b"true" if errors else b"false")
    return head + b",".join(parts) + b"]}"


_CREATED = (
    b'{"%s":{"_index":%s,"_id":%s,"_version":1,"result":"created",'
    b'"_shards":{"total":1,"successful":1,"failed":0},"_seq_no":%d,"_primary_term":1,"status":201}}'
)
