"""The real provider code paths over the wire: pydantic-ai's Anthropic and OpenAI models and the
official SDKs, against local servers speaking their protocols with scripted answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from loglens.agent.models import choose_model
from loglens.run import ReadSideServer
from tests.agent.fake_llm import FakeAnthropic, FakeOpenAI, FakeProvider, Turn
from tests.conftest import settings_for_tests

GOOD_SQL = (
    "SELECT service, count(*) AS errors FROM logs WHERE NOT deleted AND level IN ('ERROR','FATAL') "
    "GROUP BY service ORDER BY errors DESC"
)
INSIGHT = "payment-api had the most errors: 2 in the period."
READING = "Number of errors, all time, per service, most first"
PROVIDERS = ["anthropic", "openai", "openai-compatible"]


def recovering_script() -> list[Turn]:
    """Wrong SQL first (refused, then a database error), then the right one, then the answer."""
    return [
        Turn("execute_sql", {"sql": "DROP TABLE logs"}),
        Turn("execute_sql", {"sql": "SELECT count(*) FROM logs WHERE svc = 'x'"}),
        Turn("execute_sql", {"sql": GOOD_SQL}),
        Turn("final_result", {"sql": GOOD_SQL, "reading": READING, "insight": INSIGHT, "chart": "bar"}),
    ]


def fake_for(provider: str, script: list[Turn]) -> FakeProvider:
    return FakeAnthropic(script) if provider == "anthropic" else FakeOpenAI(script)


def settings_for(provider: str, fake: FakeProvider, key: str = "test-key") -> dict[str, Any]:
    values: dict[str, Any] = {"llm_provider": provider, "llm_base_url": fake.base_url, "agent_port": 0}
    if provider == "anthropic":
        values["anthropic_api_key"] = key
    elif provider == "openai":
        values["openai_api_key"] = key
    else:
        values.update(llm_api_key=key, llm_model="qwen2.5-coder")
    return values


@pytest.fixture
async def provider_server(dsn: str) -> AsyncIterator[Any]:
    running: list[Any] = []

    async def start(
        provider: str, script: list[Turn], key: str = "test-key"
    ) -> tuple[ReadSideServer, FakeProvider]:
        fake = fake_for(provider, script)
        await fake.start()
        settings = settings_for_tests(**settings_for(provider, fake, key))
        server = ReadSideServer(settings, dsn, choose_model(settings))
        await server.start()
        running.extend([server, fake])
        return server, fake

    yield start
    for item in reversed(running):
        await item.stop()


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_post_query_recovers_from_refused_and_failing_sql(
    provider: str, logs: asyncpg.Connection, provider_server: Any
) -> None:
    server, fake = await provider_server(provider, recovering_script())
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{server.port}/query", json={"question": "Which service had the most errors?"}
        ) as response,
    ):
        body = await response.json()

    assert response.status == 200
    assert "error" not in body, body
    assert body["sql"] == GOOD_SQL
    assert body["results"][0] == {"service": "payment-api", "errors": 2}
    assert (body["insight"], body["chart"], body["attempts"]) == (INSIGHT, "bar", 3)
    assert body["reading"] == READING  # the model's reading of its own SQL, as it wrote it
    assert body["engine"].startswith(provider)
    feedback = fake.tool_results()
    assert any("only a SELECT" in text for text in feedback), feedback
    assert any(
        'column \\"svc\\" does not exist' in text or 'column "svc" does not exist' in text for text in feedback
    )
    assert any("<log_rows>" in text for text in feedback)
    assert await logs.fetchval("SELECT count(*) FROM logs") == 8


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.usefixtures("logs")
async def test_websocket_streams_tokens_from_the_providers_stream(provider: str, provider_server: Any) -> None:
    server, fake = await provider_server(provider, recovering_script()[2:])
    async with aiohttp.ClientSession() as http, http.ws_connect(f"http://127.0.0.1:{server.port}/ws/query") as ws:
        await ws.send_str(orjson.dumps({"question": "Which service had the most errors?"}).decode())
        events = [await ws.receive_json()]
        while events[-1]["type"] != "done":
            events.append(await ws.receive_json(timeout=30))

    assert all(document.get("stream") for document in fake.requests)
    sql_tokens = [e["content"] for e in events if e["type"] == "token" and e["field"] == "sql"]
    insight_tokens = [e["content"] for e in events if e["type"] == "token" and e["field"] == "insight"]
    assert len(sql_tokens) > 3  # streamed in pieces, as the provider sent them
    assert "".join(sql_tokens) == GOOD_SQL
    assert "".join(insight_tokens) == INSIGHT
    assert events[-2]["type"] == "result"
    assert events[-2]["reading"] == READING
    order = [f"{e['type']}:{e.get('node', '')}" for e in events if e["type"] in ("node_start", "result", "done")]
    assert order == [
        "node_start:retrieve_schema",
        "node_start:generate_sql",
        "node_start:validate_sql",
        "node_start:execute_query",
        "node_start:generate_insight",
        "result:",
        "done:",
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.usefixtures("logs")
async def test_three_bad_queries_end_in_a_clear_failure(provider: str, provider_server: Any) -> None:
    script = [Turn("execute_sql", {"sql": f"SELECT missing_{n} FROM logs"}) for n in range(4)]
    server, fake = await provider_server(provider, script)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{server.port}/query", json={"question": "anything"}) as response,
    ):
        body = await response.json()
    assert response.status == 200
    assert "no query worked in 3 attempts" in body["error"]
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("provider", "variable"),
    [
        ("anthropic", "ANTHROPIC_API_KEY"),
        ("openai", "OPENAI_API_KEY"),
        ("openai-compatible", "LOGLENS_LLM_API_KEY"),
    ],
)
@pytest.mark.usefixtures("logs")
async def test_a_refused_key_names_the_variable_to_set(provider: str, variable: str, provider_server: Any) -> None:
    server, _ = await provider_server(provider, recovering_script(), key="wrong-key")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{server.port}/query", json={"question": "errors?"}) as response,
    ):
        body = await response.json()
    assert response.status == 200
    assert variable in body["error"]
    assert "refused the key" in body["error"]


def _final_result_tool(document: dict[str, Any]) -> dict[str, Any]:
    """The final_result tool's JSON Schema as a request offered it (Anthropic or OpenAI form)."""
    for tool in document.get("tools", []):
        if tool.get("name") == "final_result":
            return dict(tool["input_schema"])
        function = tool.get("function") or {}
        if function.get("name") == "final_result":
            return dict(function["parameters"])
    raise AssertionError(f"no final_result tool in {document.get('tools')}")


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.usefixtures("logs")
async def test_the_model_is_asked_for_a_reading_and_asked_again_without_one(
    provider: str, provider_server: Any
) -> None:
    script = [
        Turn("execute_sql", {"sql": GOOD_SQL}),
        Turn("final_result", {"sql": GOOD_SQL, "insight": INSIGHT, "chart": "bar"}),  # no reading
        Turn("final_result", {"sql": GOOD_SQL, "reading": READING, "insight": INSIGHT, "chart": "bar"}),
    ]
    server, fake = await provider_server(provider, script)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{server.port}/query", json={"question": "errors by service?"}) as response,
    ):
        body = await response.json()

    assert response.status == 200
    assert body["reading"] == READING
    tool = _final_result_tool(fake.requests[0])
    assert "reading" in tool["required"]
    assert "language of the question" in tool["properties"]["reading"]["description"]
    assert len(fake.requests) == 3
    assert any("reading" in text and "required" in text.lower() for text in fake.tool_results())
