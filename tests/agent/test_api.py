"""The agent's HTTP API on loopback: WS /ws/query, POST /query, /history, /schema, /health."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from loglens.agent.models import ModelChoice
from loglens.errors import ConfigurationError
from loglens.run import ReadSideServer
from tests.agent.conftest import Script, answer, call
from tests.conftest import settings_for_tests

ERRORS_BY_SERVICE = (
    "SELECT service, count(*) AS errors FROM logs WHERE NOT deleted AND level IN ('ERROR','FATAL') "
    "GROUP BY service ORDER BY errors DESC"
)
READING = "Number of errors, all time, per service, most first"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def url(server: ReadSideServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def ask_over_websocket(
    http: aiohttp.ClientSession, server: ReadSideServer, question: str, path: str = "/ws/query"
) -> tuple[list[dict[str, Any]], float]:
    async with http.ws_connect(url(server, path)) as ws:
        sent = time.perf_counter()
        await ws.send_str(orjson.dumps({"question": question, "max_results": 50}).decode())
        first = await ws.receive_json()
        first_after = time.perf_counter() - sent
        events = [first]
        while events[-1]["type"] != "done":
            events.append(await ws.receive_json(timeout=30))
    return events, first_after


@pytest.mark.usefixtures("logs")
async def test_websocket_streams_every_step_then_the_result(
    agent_server: Any, http: aiohttp.ClientSession
) -> None:
    server = await agent_server(
        Script(answer(ERRORS_BY_SERVICE, "payment-api had the most errors (2).", "bar", READING)).choice()
    )

    events, first_after = await ask_over_websocket(http, server, "Which service had the most errors?")

    assert first_after < 0.1
    assert events[0] == {"type": "node_start", "node": "retrieve_schema", "progress": 5}
    kinds = [event["type"] for event in events]
    assert kinds.index("token") < kinds.index("result") < kinds.index("done") == len(kinds) - 1
    sql = "".join(e["content"] for e in events if e["type"] == "token" and e["field"] == "sql")
    assert sql == ERRORS_BY_SERVICE
    result = events[-2]
    assert result["columns"] == ["service", "errors"]
    assert result["results"][0] == {"service": "payment-api", "errors": 2}
    assert result["chart"] == "bar"
    assert result["chart_spec"] == {"type": "bar", "x": "service", "y": ["errors"]}
    assert result["insight"] == "payment-api had the most errors (2)."
    assert result["reading"] == READING


def _stalling_model(cancelled: asyncio.Event) -> FunctionModel:
    async def stream(_messages: list[ModelMessage], _info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
        yield {0: DeltaToolCall(name="execute_sql", json_args='{"sql": "SELECT')}
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        yield {0: DeltaToolCall(json_args=' 1"}')}

    return FunctionModel(stream_function=stream, model_name="stalling")


@pytest.mark.usefixtures("logs")
async def test_a_client_that_disconnects_cancels_its_run(agent_server: Any, http: aiohttp.ClientSession) -> None:
    cancelled = asyncio.Event()
    server = await agent_server(ModelChoice("stalling", _stalling_model(cancelled), "stalling"))
    async with http.ws_connect(url(server, "/ws/query")) as ws:
        await ws.send_str(orjson.dumps({"question": "slow one"}).decode())
        while (await ws.receive_json())["type"] != "token":
            pass
    await asyncio.wait_for(cancelled.wait(), timeout=5)
    async with http.get(url(server, "/health")) as response:
        assert response.status == 200


@pytest.mark.usefixtures("logs")
async def test_post_query_answers_with_the_documented_body(agent_server: Any, http: aiohttp.ClientSession) -> None:
    server = await agent_server(Script(answer(ERRORS_BY_SERVICE, "2 services failed.", "bar", READING)).choice())
    async with http.post(url(server, "/query"), json={"question": "errors by service", "max_results": 10}) as r:
        assert r.status == 200
        body = await r.json()
    assert set(body) >= {
        "sql",
        "reading",
        "columns",
        "results",
        "count",
        "execution_time_ms",
        "insight",
        "chart",
        "engine",
        "attempts",
    }
    assert body["sql"] == ERRORS_BY_SERVICE
    assert body["reading"] == READING
    assert body["count"] == len(body["results"]) == 3
    assert (body["engine"], body["attempts"]) == ("scripted", 1)


@pytest.mark.usefixtures("logs")
async def test_the_offline_engine_says_what_it_understood_in_the_questions_language(
    dsn: str, http: aiohttp.ClientSession
) -> None:
    server = ReadSideServer(settings_for_tests(agent_port=0, llm_provider="offline"), dsn, None)
    await server.start()
    try:
        async with http.post(url(server, "/query"), json={"question": "How many errors in the last hour?"}) as r:
            body = await r.json()
        events, _ = await ask_over_websocket(http, server, "최근 1시간 서비스별 에러 수")
    finally:
        await server.stop()

    assert body["engine"] == "offline"
    assert body["reading"] == "Number of errors, last hour"
    assert body["results"] == [{"errors": 3}]
    result = events[-2]
    assert result["type"] == "result"
    assert result["reading"] == "에러 수, 최근 1시간, 서비스별, 많은 순"
    assert result["results"][0] == {"service": "payment-api", "errors": 2}


@pytest.mark.usefixtures("logs")
async def test_an_unanswerable_question_is_200_with_an_error(
    agent_server: Any, http: aiohttp.ClientSession
) -> None:
    server = await agent_server(
        Script([call("cannot_answer", reason="Not in the logs.", suggestions=["errors?"])]).choice()
    )
    async with http.post(url(server, "/query"), json={"question": "What is love?"}) as r:
        assert r.status == 200
        body = await r.json()
    assert body["error"] == "Not in the logs."
    assert body["suggestions"] == ["errors?"]


@pytest.mark.usefixtures("logs")
async def test_malformed_requests_are_400(agent_server: Any, http: aiohttp.ClientSession) -> None:
    server = await agent_server(Script(answer(ERRORS_BY_SERVICE)).choice())
    for body in ({}, {"question": ""}, {"question": "x" * 3000}, {"question": "ok", "max_results": "ten"}):
        async with http.post(url(server, "/query"), json=body) as r:
            assert r.status == 400, body
            assert "question" in (await r.json())["error"] or "max_results" in (await r.json())["error"]
    async with http.post(url(server, "/query"), data=b"not json") as r:
        assert r.status == 400


@pytest.mark.usefixtures("logs")
async def test_history_schema_and_health(agent_server: Any, http: aiohttp.ClientSession) -> None:
    server = await agent_server(Script(answer(ERRORS_BY_SERVICE)).choice())
    await ask_over_websocket(http, server, "errors by service?")
    async with http.get(url(server, "/history")) as r:
        items = (await r.json())["items"]
    assert [(i["question"], i["source"], i["outcome"]) for i in items] == [
        ("errors by service?", "web", "answered")
    ]
    async with http.get(url(server, "/schema")) as r:
        schema = await r.json()
    assert schema["table"] == "logs"
    assert {c["name"] for c in schema["columns"]} >= {"created_at", "level", "service", "metadata"}
    assert next(c for c in schema["columns"] if c["name"] == "level")["values"][-2:] == ["ERROR", "FATAL"]
    assert {entry["value"] for entry in schema["values"]["service"]} == {"payment-api", "order-api", "search-api"}
    assert any(key["key"] == "ip" for key in schema["metadata_keys"])
    async with http.get(url(server, "/health")) as r:
        assert await r.json() == {"status": "ok", "database": "ok", "engine": "scripted"}


@pytest.mark.usefixtures("logs")
async def test_a_configured_token_guards_every_route_but_health(
    agent_server: Any, http: aiohttp.ClientSession
) -> None:
    server = await agent_server(Script(answer(ERRORS_BY_SERVICE)).choice(), api_token="t0ken")
    async with http.get(url(server, "/history")) as r:
        assert r.status == 401
    async with http.get(url(server, "/history"), headers={"Authorization": "Bearer t0ken"}) as r:
        assert r.status == 200
    async with http.get(url(server, "/health")) as r:
        assert r.status == 200
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await ask_over_websocket(http, server, "errors?")
    events, _ = await ask_over_websocket(http, server, "errors?", path="/ws/query?token=t0ken")
    assert events[-2]["type"] == "result"


def test_an_agent_api_beyond_loopback_needs_a_token(dsn: str) -> None:
    with pytest.raises(ConfigurationError, match="LOGLENS_API_TOKEN"):
        ReadSideServer(settings_for_tests(host="0.0.0.0"), dsn, Script([]).choice())
    ReadSideServer(settings_for_tests(host="0.0.0.0", api_token="t"), dsn, Script([]).choice())
