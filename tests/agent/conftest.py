"""Fixtures for the agent: logs to ask about, scripted models, and the agent as a service."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from loglens.agent.models import ModelChoice
from loglens.agent.service import AgentService
from loglens.collector.storage.partitions import Partitions, day_of
from loglens.run import ReadSideServer
from tests.conftest import settings_for_tests

NOW = dt.datetime.now(dt.UTC)


def log_row(minutes_ago: float, level: str, service: str, message: str, **columns: Any) -> dict[str, Any]:
    return {
        "created_at": NOW - dt.timedelta(minutes=minutes_ago),
        "level": level,
        "service": service,
        "message": message,
        **columns,
    }


SAMPLE_LOGS = [
    log_row(
        5,
        "ERROR",
        "payment-api",
        "DatabaseConnectionTimeout: pool exhausted",
        error_type="DatabaseConnectionTimeout",
        path="/api/v1/payments",
        duration_ms=5012.5,
        metadata={"ip": "10.0.0.1", "http_status": 503},
    ),
    log_row(
        7,
        "ERROR",
        "payment-api",
        "DatabaseConnectionTimeout: pool exhausted",
        error_type="DatabaseConnectionTimeout",
        path="/api/v1/payments",
        duration_ms=5003.0,
        metadata={"ip": "10.0.0.2", "http_status": 503},
    ),
    log_row(
        9,
        "FATAL",
        "order-api",
        "UpstreamServiceError: payment-api returned 503",
        error_type="UpstreamServiceError",
        path="/api/v1/orders",
        duration_ms=30.0,
    ),
    log_row(20, "INFO", "order-api", "GET /api/v1/orders completed", path="/api/v1/orders", duration_ms=12.0),
    log_row(30, "WARN", "search-api", "slow query", path="/api/v1/search", duration_ms=900.0),
    log_row(300, "ERROR", "search-api", "KeyError: 'q'", error_type="KeyError", path="/api/v1/search"),
    log_row(2000, "INFO", "payment-api", "payment captured", path="/api/v1/payments", duration_ms=80.0),
    log_row(3, "ERROR", "payment-api", "deleted row", error_type="Ghost", deleted=True),
]


async def insert_logs(connection: asyncpg.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert rows as the owner (the collector's daily partitions are created first)."""
    await Partitions().ensure(connection, {day_of(int(row["created_at"].timestamp() * 1e6)) for row in rows})
    for row in rows:
        columns = list(row)
        values = [orjson.dumps(value).decode() if name == "metadata" else value for name, value in row.items()]
        placeholders = ", ".join(f"${n + 1}" for n in range(len(columns)))
        await connection.execute(f"INSERT INTO logs ({', '.join(columns)}) VALUES ({placeholders})", *values)


@pytest.fixture
async def logs(db: asyncpg.Connection) -> asyncpg.Connection:
    """The test database with SAMPLE_LOGS in it."""
    await insert_logs(db, SAMPLE_LOGS)
    return db


# --- scripted models ------------------------------------------------------------------------

Step = Callable[[list[ModelMessage]], tuple[str, dict[str, Any]]]


def call(tool: str, **args: Any) -> Step:
    return lambda _messages: (tool, args)


@dataclass
class Script:
    """A model that answers with the next tool call of a script, streamed in small pieces."""

    steps: list[Step]
    seen: list[list[ModelMessage]] = field(default_factory=list)
    chunk_chars: int = 12

    def model(self) -> FunctionModel:
        return FunctionModel(self._respond, stream_function=self._stream, model_name="scripted")

    def choice(self) -> ModelChoice:
        return ModelChoice("scripted", self.model(), "scripted")

    def _next(self, messages: list[ModelMessage]) -> tuple[str, dict[str, Any]]:
        self.seen.append(list(messages))
        turn = sum(isinstance(message, ModelResponse) for message in messages)
        step = self.steps[min(turn, len(self.steps) - 1)]
        return step(messages)

    def _respond(self, messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
        tool, args = self._next(messages)
        return ModelResponse(parts=[ToolCallPart(tool, args)])

    async def _stream(self, messages: list[ModelMessage], _info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
        tool, args = self._next(messages)
        text = orjson.dumps(args).decode()
        for start in range(0, len(text), self.chunk_chars):
            yield {
                0: DeltaToolCall(
                    name=tool if start == 0 else None, json_args=text[start : start + self.chunk_chars]
                )
            }


def tool_returns(messages: list[ModelMessage]) -> list[str]:
    return [
        str(part.content)
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart)
    ]


def answer(
    sql: str, insight: str = "There were errors.", chart: str = "stat", reading: str = "Number of errors"
) -> list[Step]:
    """The usual two turns: run the SQL, then give it as the final result."""
    return [
        call("execute_sql", sql=sql),
        call("final_result", sql=sql, reading=reading, insight=insight, chart=chart),
    ]


@pytest.fixture
async def make_service(dsn: str) -> AsyncIterator[Callable[..., Any]]:
    """Start an AgentService on the test's database with a scripted model."""
    services: list[AgentService] = []

    async def make(script: Script, **settings: Any) -> AgentService:
        service = AgentService(settings_for_tests(**settings), dsn, script.choice())
        await service.start()
        services.append(service)
        return service

    yield make
    for service in services:
        await service.stop()


@pytest.fixture
async def agent_server(dsn: str) -> AsyncIterator[Callable[..., Any]]:
    started: list[ReadSideServer] = []

    async def start(choice: ModelChoice, **settings: Any) -> ReadSideServer:
        server = ReadSideServer(settings_for_tests(agent_port=0, **settings), dsn, choice)
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()
