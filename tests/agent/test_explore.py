"""The explorer's routes over loopback: GET /logs, /logs/{id}, /stats/volume, /stats/facets."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from loglens.agent.explore import bucket_seconds, escape_like
from loglens.run import ReadSideServer
from tests.agent.conftest import NOW, Script, answer, insert_logs, log_row


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# `logs` is requested for the rows it inserts (usefixtures marks do not apply to fixtures).
@pytest.fixture
async def server(logs: asyncpg.Connection, agent_server: Any) -> ReadSideServer:  # noqa: ARG001
    started: ReadSideServer = await agent_server(Script(answer("SELECT 1")).choice())
    return started


async def get(
    http: aiohttp.ClientSession, server: ReadSideServer, path: str, *, status: int = 200, **params: Any
) -> Any:
    async with http.get(f"http://127.0.0.1:{server.port}{path}", params=params) as response:
        body = await response.json()
        assert response.status == status, body
        return body


def window(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    return {"from": start.isoformat(), "to": end.isoformat()}


async def test_pages_come_newest_first_and_a_cursor_continues_them(
    server: ReadSideServer, http: aiohttp.ClientSession
) -> None:
    first = await get(http, server, "/logs", limit=4)
    assert [row["message"][:20] for row in first["items"]] == [
        "DatabaseConnectionTi",  # 5 minutes ago
        "DatabaseConnectionTi",  # 7
        "UpstreamServiceError",  # 9
        "GET /api/v1/orders c",  # 20
    ]
    assert first["next_cursor"]
    second = await get(http, server, "/logs", limit=4, cursor=first["next_cursor"])
    # The last 24 hours by default: the log of 2000 minutes ago is out, the deleted one never in.
    assert [row["message"] for row in second["items"]] == ["slow query", "KeyError: 'q'"]
    assert second["next_cursor"] is None
    row = first["items"][0]
    assert set(row) >= {"id", "created_at", "level", "service", "metadata", "stack_trace", "message_length"}
    assert row["metadata"] == {"ip": "10.0.0.1", "http_status": 503}
    assert row["duration_ms"] == 5012.5


async def test_filters_combine(server: ReadSideServer, http: aiohttp.ClientSession) -> None:
    errors = await get(http, server, "/logs", level="error,fatal", service="payment-api")
    assert [row["level"] for row in errors["items"]] == ["ERROR", "ERROR"]
    both = await get(http, server, "/logs", level=["ERROR", "FATAL"], service=["payment-api", "order-api"])
    assert len(both["items"]) == 3
    week = await get(http, server, "/logs", **window(NOW - dt.timedelta(days=7), NOW))
    assert len(week["items"]) == 7
    text = await get(http, server, "/logs", q="POOL exhausted")
    assert len(text["items"]) == 2


async def test_text_search_is_literal(server: ReadSideServer, http: aiohttp.ClientSession) -> None:
    # Unescaped, "%" and "_" would match every message.
    assert (await get(http, server, "/logs", q="%"))["items"] == []
    assert (await get(http, server, "/logs", q="_"))["items"] == []
    assert escape_like(r"50%_\x") == r"50\%\_\\x"
    # A quote in a value is a value, not SQL.
    assert (await get(http, server, "/logs", service="x' OR '1'='1"))["items"] == []
    assert (await get(http, server, "/logs", q="'; DROP TABLE logs; --"))["items"] == []
    assert len((await get(http, server, "/logs"))["items"]) == 6


async def test_trace_and_user_ids_filter(
    server: ReadSideServer, http: aiohttp.ClientSession, logs: asyncpg.Connection
) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    await insert_logs(
        logs,
        [
            log_row(1, "INFO", "gateway", "in", trace_id=trace, user_id="user_0042"),
            log_row(1, "ERROR", "payment-api", "out", trace_id=trace, user_id="user_0007"),
        ],
    )
    assert len((await get(http, server, "/logs", trace_id=trace))["items"]) == 2
    by_user = await get(http, server, "/logs", user_id="user_0042")
    assert [row["message"] for row in by_user["items"]] == ["in"]


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"level": "LOUD"}, "unknown level"),
        ({"environment": "prod"}, "unknown environment"),
        ({"from": "yesterday"}, "ISO-8601"),
        ({"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "before"),
        ({"from": "2020-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "at most"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "ten"}, "limit"),
        ({"q": "x" * 501}, "at most"),
    ],
)
async def test_bad_parameters_are_400_with_a_reason(
    server: ReadSideServer, http: aiohttp.ClientSession, params: dict[str, str], complaint: str
) -> None:
    body = await get(http, server, "/logs", status=400, **params)
    assert complaint in body["error"]


async def test_one_log_in_full(
    server: ReadSideServer, http: aiohttp.ClientSession, logs: asyncpg.Connection
) -> None:
    long = "payload dump: " + "x" * 5000
    await insert_logs(logs, [log_row(0.5, "INFO", "inventory-worker", long)])
    listed = (await get(http, server, "/logs", limit=1))["items"][0]
    assert len(listed["message"]) == 2000
    assert listed["message_length"] == len(long)
    full = await get(http, server, f"/logs/{listed['id']}", at=listed["created_at"])
    assert full["message"] == long
    await get(http, server, f"/logs/{listed['id']}", status=400)
    await get(http, server, "/logs/999999", status=404, at=listed["created_at"])


async def test_volume_is_bucketed_by_level(server: ReadSideServer, http: aiohttp.ClientSession) -> None:
    start, end = NOW - dt.timedelta(hours=1), NOW
    body = await get(http, server, "/stats/volume", **window(start, end))
    assert body["bucket_seconds"] == 60
    assert len(body["buckets"]) in (60, 61)
    assert set(body["levels"]) == {"ERROR", "FATAL", "INFO", "WARN"}
    assert sum(body["levels"]["ERROR"]) == 2
    assert body["total"] == 5
    assert all(len(series) == len(body["buckets"]) for series in body["levels"].values())
    # Each count is in the bucket of its log's time.
    fatal = body["buckets"][body["levels"]["FATAL"].index(1)]
    fatal_at = NOW - dt.timedelta(minutes=9)
    assert (
        dt.datetime.fromisoformat(fatal) <= fatal_at < dt.datetime.fromisoformat(fatal) + dt.timedelta(minutes=1)
    )
    errors = await get(http, server, "/stats/volume", level="ERROR")
    assert set(errors["levels"]) == {"ERROR"}
    assert errors["bucket_seconds"] == 1800


def test_bucket_widths_are_round() -> None:
    assert bucket_seconds(dt.timedelta(minutes=15)) == 15
    assert bucket_seconds(dt.timedelta(hours=24)) == 1800
    assert bucket_seconds(dt.timedelta(days=7)) == 10800
    assert bucket_seconds(dt.timedelta(days=400)) == 604800


async def test_facets_count_each_value_and_ignore_their_own_filter(
    server: ReadSideServer, http: aiohttp.ClientSession
) -> None:
    everything = await get(http, server, "/stats/facets")
    assert everything["level"] == [
        {"value": "INFO", "count": 1},
        {"value": "WARN", "count": 1},
        {"value": "ERROR", "count": 3},
        {"value": "FATAL", "count": 1},
    ]
    assert {item["value"]: item["count"] for item in everything["service"]} == {
        "payment-api": 2,
        "order-api": 2,
        "search-api": 2,
    }
    assert everything["total"] == 6
    errors = await get(http, server, "/stats/facets", level="ERROR")
    # The level facet still offers every level; the others count only errors.
    assert len(errors["level"]) == 4
    assert {item["value"]: item["count"] for item in errors["service"]} == {"payment-api": 2, "search-api": 1}
    assert errors["total"] == 6


async def test_explorer_reads_as_the_reader_role(server: ReadSideServer) -> None:
    records = await server.service.database.fetch_trusted("SELECT current_user AS who")
    assert records[0]["who"] == "loglens_reader"


@pytest.mark.usefixtures("logs")
async def test_explorer_routes_want_the_token_when_one_is_set(
    agent_server: Any, http: aiohttp.ClientSession
) -> None:
    server = await agent_server(Script(answer("SELECT 1")).choice(), api_token="s3cret")
    for path in ("/logs", "/stats/volume", "/stats/facets", "/ws/tail"):
        await get(http, server, path, status=401)
    assert len((await get(http, server, "/logs", token="s3cret"))["items"]) == 6
