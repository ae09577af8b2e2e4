"""The live tail: ``WS /ws/tail``, new logs pushed as they are committed.

    in:  {"type": "start", "filters": {...}} | {"type": "pause"} | {"type": "resume"}
    out: {"type": "logs", "items": [...], "skipped": n, "backfill": bool} | {"type": "status", "state": ...}
         | {"type": "error", "message": ...}

Polling and skipping live in ``agent/tail.py``; this module speaks the socket.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import orjson
from aiohttp import WSMsgType, web

from loglens.agent.database import ReadOnlyDatabase
from loglens.agent.explore import BadRequestError, filter_from_json
from loglens.agent.http.shared import cancel_and_wait, dumps
from loglens.agent.tail import POLL_S, Tail
from loglens.errors import DatabaseUnavailableError

TAIL_DATABASE = web.AppKey("tail_database", ReadOnlyDatabase)
TAIL_SLOTS = web.AppKey("tail_slots", asyncio.Semaphore)
MAX_TAILS = 32


def add_tail_route(app: web.Application, database: ReadOnlyDatabase) -> None:
    app[TAIL_DATABASE] = database
    app[TAIL_SLOTS] = asyncio.Semaphore(MAX_TAILS)
    app.router.add_get("/ws/tail", ws_tail)


async def ws_tail(request: web.Request) -> web.StreamResponse:
    slots = request.app[TAIL_SLOTS]
    if slots.locked():
        return web.json_response(
            {"error": f"at most {MAX_TAILS} live tails at once; close one and try again"}, status=503
        )
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=16 * 1024)
    await ws.prepare(request)
    database = request.app[TAIL_DATABASE]
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
                            raise BadRequestError('"filters" must be an object')
                        where = filter_from_json(filters)
                    except BadRequestError as error:
                        await ws.send_str(dumps({"type": "error", "message": str(error)}))
                        continue
                    await cancel_and_wait(running)
                    live.set()
                    running = asyncio.create_task(_follow(ws, Tail(database, where), live))
                elif kind == "pause":
                    live.clear()
                    await ws.send_str(dumps({"type": "status", "state": "paused"}))
                elif kind == "resume":
                    live.set()
                    await ws.send_str(dumps({"type": "status", "state": "live"}))
                else:
                    await ws.send_str(
                        dumps({"type": "error", "message": 'send {"type": "start" | "pause" | "resume"}'})
                    )
        finally:
            await cancel_and_wait(running)
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
                await ws.send_str(dumps({"type": "logs", "items": batch.items, "skipped": 0, "backfill": True}))
                await ws.send_str(dumps({"type": "status", "state": "live"}))
            else:
                batch = await tail.poll()
                if batch.items or batch.skipped:
                    # send_str waits while the client's socket buffer is full: a slow client
                    # slows the polling down, and the next poll skips to the newest rows.
                    await ws.send_str(dumps({"type": "logs", "items": batch.items, "skipped": batch.skipped}))
        except (DatabaseUnavailableError, asyncpg.PostgresError, OSError) as error:
            if ws.closed:
                return
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(dumps({"type": "error", "message": f"the tail paused: {error}; retrying"}))
            await asyncio.sleep(2)
            continue
        except ConnectionResetError:
            return
        await asyncio.sleep(POLL_S)
