"""What the web client needs from the agent's server: the explorer's routes, the live tail,
and the built app itself (``bots/web/dist``) at ``/``.

    GET /logs, GET /logs/{id}, GET /stats/volume, GET /stats/facets   (agent/explore.py)
    WS  /ws/tail     {"type": "start", "filters": {...}} | {"type": "pause"} | {"type": "resume"} in;
                     {"type": "logs", "items": [...], "skipped": n, "backfill": bool} | {"type": "status"} |
                     {"type": "error"} out
    GET /            the app; hashed files under /assets/ are cached for a year, index.html never;
                     any other path without a file extension is the app too (its own routes)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiohttp import WSMsgType, web

from agent.database import ReadOnlyDatabase
from agent.explore import (
    DEFAULT_PAGE,
    MAX_PAGE,
    BadRequest,
    Explorer,
    filter_from_json,
    parse_filter,
    parse_limit,
    parse_time,
)
from agent.tail import POLL_S, Tail
from collector.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

EXPLORER = web.AppKey("explorer", Explorer)
WEB_DIR = web.AppKey("web_dir", Path)
TAIL_SLOTS = web.AppKey("tail_slots", asyncio.Semaphore)
DEFAULT_WEB_DIR = Path(__file__).resolve().parents[1] / "bots" / "web" / "dist"
MAX_TAILS = 32
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>loglens</title>
<p>The web client is not built yet. Run <code>make up</code> (it builds it), or
<code>cd bots/web && npm ci && npm run build</code>, then reload. The API is here:
<code>/health</code>, <code>/query</code>, <code>/ws/query</code>, <code>/logs</code>.</p>"""


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def add_explorer_routes(app: web.Application, database: ReadOnlyDatabase) -> None:
    app[EXPLORER] = Explorer(database)
    app[TAIL_SLOTS] = asyncio.Semaphore(MAX_TAILS)
    app.router.add_get("/logs", get_logs)
    app.router.add_get("/logs/{id:[0-9]+}", get_log)
    app.router.add_get("/stats/volume", get_volume)
    app.router.add_get("/stats/facets", get_facets)
    app.router.add_get("/ws/tail", ws_tail)


def add_web_client(app: web.Application, web_dir: Path | None) -> None:
    """Serve the built app; registered last, so that every API route matches first."""
    app[WEB_DIR] = (web_dir or DEFAULT_WEB_DIR).resolve()
    app.router.add_get("/{path:.*}", get_app_file)


# --- the explorer -----------------------------------------------------------------------------


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _answer(request: web.Request, work: Any) -> web.Response:
    """Run one explorer read; bad parameters are 400, a database problem 503, a timeout 504."""
    try:
        return web.json_response(await work(request.app[EXPLORER]), dumps=_dumps)
    except BadRequest as error:
        return _error(400, str(error))
    except DatabaseUnavailable as error:
        return _error(503, str(error))
    except asyncpg.QueryCanceledError:
        return _error(504, "the query took too long; choose a shorter time range or more filters")
    except asyncpg.PostgresError as error:
        log.warning("explorer query failed: %s", error)
        return _error(500, f"the database refused the query: {error}")


async def get_logs(request: web.Request) -> web.Response:
    async def work(explorer: Explorer) -> Any:
        where = parse_filter(request.query)
        limit = parse_limit(request.query, DEFAULT_PAGE, MAX_PAGE)
        return await explorer.page(where, limit, request.query.get("cursor") or None)

    return await _answer(request, work)


async def get_log(request: web.Request) -> web.Response:
    async def work(explorer: Explorer) -> Any:
        at = parse_time(request.query.get("at"), "at")
        if at is None:
            raise BadRequest('"at", the log\'s created_at, is required')
        row = await explorer.one(int(request.match_info["id"]), at)
        if row is None:
            raise web.HTTPNotFound(text='{"error": "no such log"}', content_type="application/json")
        return row

    return await _answer(request, work)


async def get_volume(request: web.Request) -> web.Response:
    return await _answer(request, lambda explorer: explorer.volume(parse_filter(request.query)))


async def get_facets(request: web.Request) -> web.Response:
    return await _answer(request, lambda explorer: explorer.facets(parse_filter(request.query)))


# --- the live tail -------------------------------------------------------------------------------


async def ws_tail(request: web.Request) -> web.StreamResponse:
    slots = request.app[TAIL_SLOTS]
    if slots.locked():
        return _error(503, f"at most {MAX_TAILS} live tails at once; close one and try again")
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=16 * 1024)
    await ws.prepare(request)
    explorer = request.app[EXPLORER]
    running: asyncio.Task[None] | None = None
    live = asyncio.Event()
    live.set()
    async with slots:
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    document = orjson.loads(message.data)
                    kind = document.get("type") if isinstance(document, dict) else None
                except orjson.JSONDecodeError:
                    kind = None
                if kind == "start":
                    try:
                        filters = document.get("filters") or {}
                        if not isinstance(filters, dict):
                            raise BadRequest('"filters" must be an object')
                        where = filter_from_json(filters)
                    except BadRequest as error:
                        await ws.send_str(_dumps({"type": "error", "message": str(error)}))
                        continue
                    await _stop(running)
                    live.set()
                    running = asyncio.create_task(_follow(ws, Tail(explorer.database, where), live))
                elif kind == "pause":
                    live.clear()
                    await ws.send_str(_dumps({"type": "status", "state": "paused"}))
                elif kind == "resume":
                    live.set()
                    await ws.send_str(_dumps({"type": "status", "state": "live"}))
                else:
                    await ws.send_str(
                        _dumps({"type": "error", "message": 'send {"type": "start" | "pause" | "resume"}'})
                    )
        finally:
            await _stop(running)
    return ws


async def _follow(ws: web.WebSocketResponse, tail: Tail, live: asyncio.Event) -> None:
    """Poll and send until the socket closes; a database problem is reported and retried."""
    started = False
    while not ws.closed:
        await live.wait()
        try:
            if not started:
                batch = await tail.start()
                started = True
                await ws.send_str(_dumps({"type": "logs", "items": batch.items, "skipped": 0, "backfill": True}))
                await ws.send_str(_dumps({"type": "status", "state": "live"}))
            else:
                batch = await tail.poll()
                if batch.items or batch.skipped:
                    # send_str waits while the client's socket buffer is full: a slow client
                    # slows the polling down, and the next poll skips to the newest rows.
                    await ws.send_str(_dumps({"type": "logs", "items": batch.items, "skipped": batch.skipped}))
        except (DatabaseUnavailable, asyncpg.PostgresError, OSError) as error:
            if ws.closed:
                return
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(_dumps({"type": "error", "message": f"the tail paused: {error}; retrying"}))
            await asyncio.sleep(2)
            continue
        except ConnectionResetError:
            return
        await asyncio.sleep(POLL_S)


async def _stop(task: asyncio.Task[None] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


# --- the app -------------------------------------------------------------------------------------


async def get_app_file(request: web.Request) -> web.StreamResponse:
    root = request.app[WEB_DIR]
    relative = request.match_info["path"]
    index = root / "index.html"
    if relative:
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            cache = IMMUTABLE if candidate.parent == root / "assets" else "no-cache"
            return web.FileResponse(candidate, headers={"Cache-Control": cache})
        if "." in relative.rsplit("/", 1)[-1]:  # a missing file, not one of the app's own pages
            raise web.HTTPNotFound()
    if not index.is_file():
        return web.Response(text=NOT_BUILT, content_type="text/html", status=503)
    return web.FileResponse(index, headers={"Cache-Control": "no-cache"})
