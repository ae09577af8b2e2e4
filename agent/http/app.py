"""The agent's HTTP API (aiohttp, ``LOGLENS_AGENT_PORT``, 8001).

    WS   /ws/query   {"question", "max_results"} in; node_start/token/node_end/result/error/done out
                     (the protocol of agent/events.py)
    POST /query      {"question", "max_results"} → the answer (200 with "error" when unanswerable)
    GET  /history    past questions, newest first (?limit=&offset=)
    GET  /schema     the logs table as the agent sees it
    GET  /health     liveness, database, engine
    GET  /logs, /logs/{id}, /stats/volume, /stats/facets   the explorer (explorer.py)
    WS   /ws/tail    the live tail (live_tail.py)

Mounted beside them by the composition root (``loglens/run.py``), not by the agent:
    POST /slack/events   the Slack bot's Events API, slash command and interactivity endpoint
                         (with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; see bots/slack)
    GET  /           the web client (bots/web/dist, web_client.py), its own routes as fallback

With ``LOGLENS_API_TOKEN`` set, every route but /health and /slack/events (Slack signs its
requests instead) wants ``Authorization: Bearer <token>`` (``?token=`` for the WebSocket,
which browsers cannot give headers).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from loglens.agent.engine import Question
from loglens.agent.events import DoneEvent, ErrorEvent
from loglens.agent.http.explorer import add_explorer_routes
from loglens.agent.http.live_tail import add_tail_route
from loglens.agent.http.shared import cancel_and_wait, dumps
from loglens.agent.service import MAX_QUESTION_CHARS, AgentService
from loglens.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

SERVICE = web.AppKey("agent_service", AgentService)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# /slack/events is not behind the API token: Slack cannot send one, and the bot refuses any
# request whose signature was not made with SLACK_SIGNING_SECRET.
OPEN_PATHS = ("/health", "/slack/events")


def create_app(service: AgentService, api: bool = True) -> web.Application:
    """The agent's routes; without ``api``, only /health (``loglens serve slack`` adds the bot's)."""
    app = web.Application(middlewares=[_token_required(service)], client_max_size=64 * 1024)
    app[SERVICE] = service
    if api:
        app.router.add_get("/ws/query", ws_query)
        app.router.add_post("/query", post_query)
        app.router.add_get("/history", get_history)
        app.router.add_get("/schema", get_schema)
        add_explorer_routes(app, service.database)
        add_tail_route(app, service.database)
    app.router.add_get("/health", get_health)
    return app


def _token_required(service: AgentService) -> Any:
    token = service.settings.api_token.get_secret_value().encode() if service.settings.api_token else None

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is None or request.path in OPEN_PATHS or not _is_api(request.path):
            return await handler(request)
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        given = given or request.query.get("token", "")
        if not hmac.compare_digest(given.encode(), token):
            return web.json_response(
                {"error": "a valid token is required: Authorization: Bearer <LOGLENS_API_TOKEN>"}, status=401
            )
        return await handler(request)

    return check


def _is_api(path: str) -> bool:
    return path.startswith(("/ws/", "/query", "/history", "/schema", "/logs", "/stats", "/slack"))


def _parse_question(service: AgentService, document: Any, source: str) -> Question:
    if not isinstance(document, dict):
        raise ValueError('send {"question": "...", "max_results": 100}')
    text = document.get("question")
    if not isinstance(text, str) or not text.strip():
        raise ValueError('"question" must be a non-empty string')
    if len(text) > MAX_QUESTION_CHARS:
        raise ValueError(f'"question" is longer than {MAX_QUESTION_CHARS} characters')
    max_results = document.get("max_results")
    if max_results is not None and (not isinstance(max_results, int) or isinstance(max_results, bool)):
        raise ValueError('"max_results" must be an integer')
    context = document.get("context")
    context = [str(item) for item in context][-5:] if isinstance(context, list) else None
    return service.question(text, max_results, context, source=str(document.get("source") or source))


async def post_query(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    try:
        question = _parse_question(service, await _json(request), "api")
    except ValueError as error:
        return web.json_response({"error": str(error)}, status=400)
    outcome = await service.answer(question)
    return web.json_response(outcome.body(), dumps=dumps)


async def ws_query(request: web.Request) -> web.WebSocketResponse:
    service = request.app[SERVICE]
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
    await ws.prepare(request)
    running: asyncio.Task[None] | None = None
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                document = orjson.loads(message.data)
            except orjson.JSONDecodeError:
                await ws.send_str(dumps(ErrorEvent(message="messages must be JSON").wire()))
                continue
            if isinstance(document, dict) and document.get("type") == "cancel":
                await cancel_and_wait(running)
                continue
            try:
                question = _parse_question(service, document, "web")
            except ValueError as error:
                await ws.send_str(dumps(ErrorEvent(message=str(error)).wire()))
                await ws.send_str(dumps(DoneEvent().wire()))
                continue
            await cancel_and_wait(running)  # a new question replaces one still running
            running = asyncio.create_task(_stream_to(ws, service, question))
    finally:
        await cancel_and_wait(running)  # the client disconnected: stop the run
    return ws


async def _stream_to(ws: web.WebSocketResponse, service: AgentService, question: Question) -> None:
    try:
        async for event in service.stream(question):
            if ws.closed:
                return
            await ws.send_str(dumps(event))
    except ConnectionResetError:
        return


async def get_history(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    try:
        limit = int(request.query.get("limit", "100"))
        offset = int(request.query.get("offset", "0"))
    except ValueError:
        return web.json_response({"error": "limit and offset must be integers"}, status=400)
    items = await service.history.recent(max(1, limit), max(0, offset))
    return web.json_response({"items": items}, dumps=dumps)


async def get_schema(request: web.Request) -> web.Response:
    schema = await request.app[SERVICE].catalog.get()
    return web.json_response(schema.as_json(), dumps=dumps)


async def get_health(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    database = "ok"
    try:
        await service.database.fetch_trusted("SELECT 1")
    except DatabaseUnavailableError as error:
        database = str(error)
    status = 200 if database == "ok" else 503
    return web.json_response(
        {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
            "engine": service.choice.name,
        },
        status=status,
    )


async def _json(request: web.Request) -> Any:
    try:
        return await request.json(loads=orjson.loads)
    except (ValueError, orjson.JSONDecodeError):
        raise ValueError("the body must be JSON") from None
