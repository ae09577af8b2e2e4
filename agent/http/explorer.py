"""The explorer's routes: pages of logs, one log in full, volume and facets for the web client.

    GET /logs            a page of logs, newest first (filters, ?limit=, ?cursor=)
    GET /logs/{id}?at=   one log, every column
    GET /stats/volume    counts per time bucket and level
    GET /stats/facets    the most common values of each filterable column, with counts

Every read goes through ``agent/explore.py`` as the reader role; bad parameters are 400.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from aiohttp import web

from loglens.agent.database import ReadOnlyDatabase
from loglens.agent.explore import (
    DEFAULT_PAGE,
    MAX_PAGE,
    BadRequestError,
    Explorer,
    parse_filter,
    parse_limit,
    parse_time,
)
from loglens.agent.http.shared import dumps
from loglens.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

EXPLORER = web.AppKey("explorer", Explorer)


def add_explorer_routes(app: web.Application, database: ReadOnlyDatabase) -> None:
    app[EXPLORER] = Explorer(database)
    app.router.add_get("/logs", get_logs)
    app.router.add_get("/logs/{id:[0-9]+}", get_log)
    app.router.add_get("/stats/volume", get_volume)
    app.router.add_get("/stats/facets", get_facets)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _answer(request: web.Request, work: Any) -> web.Response:
    """Run one explorer read; bad parameters are 400, a database problem 503, a timeout 504."""
    try:
        return web.json_response(await work(request.app[EXPLORER]), dumps=dumps)
    except BadRequestError as error:
        return _error(400, str(error))
    except DatabaseUnavailableError as error:
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
            raise BadRequestError('"at", the log\'s created_at, is required')
        row = await explorer.one(int(request.match_info["id"]), at)
        if row is None:
            raise web.HTTPNotFound(text='{"error": "no such log"}', content_type="application/json")
        return row

    return await _answer(request, work)


async def get_volume(request: web.Request) -> web.Response:
    return await _answer(request, lambda explorer: explorer.volume(parse_filter(request.query)))


async def get_facets(request: web.Request) -> web.Response:
    return await _answer(request, lambda explorer: explorer.facets(parse_filter(request.query)))
